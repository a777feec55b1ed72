package flows

import (
	"go.yaml.in/yaml/v3"
)

// reachability warns about steps no path from the first step reaches.
func (fc *fileCtx) reachability(f *Flow, steps *yaml.Node) {
	if len(f.Steps) == 0 {
		return
	}
	seen := make([]bool, len(f.Steps))
	var stack = []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i < 0 || i >= len(f.Steps) || seen[i] {
			continue
		}
		seen[i] = true
		st := f.Steps[i]
		switch st.Kind {
		case StepGoto:
			stack = append(stack, st.Goto)
		case StepEnd:
		case StepBranch:
			for _, c := range st.Cases {
				stack = append(stack, c.Goto)
			}
			if st.Else >= 0 {
				stack = append(stack, st.Else)
			} else {
				stack = append(stack, i+1)
			}
		case StepAction:
			stack = append(stack, i+1, st.OnError)
		default:
			stack = append(stack, i+1)
		}
	}
	for i, ok := range seen {
		if !ok {
			fc.warnf(steps.Content[i], "step %s is unreachable", f.Steps[i].ID)
		}
	}
}
