package flowtest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/chatflow/chatflow/flows"
)

// Coverage records which steps and branch arms of the flows the scripts
// exercised. Give it to Runner.Coverage: each script's System then runs it
// as an executor hook (flows.StepObserver), and the flows each script loads
// are added, so a flow no script enters is reported with every step
// missed. Flows are told apart by file, id and version, so the fresh copy
// each script loads counts as the same flow. It is safe for concurrent use.
type Coverage struct {
	mu    sync.Mutex
	flows map[flowKey]*flowCoverage
}

type flowKey struct {
	file, id string
	version  int
}

type flowCoverage struct {
	flow  *flows.Flow // the first copy loaded, for ids and positions
	steps []bool
	arms  map[int][]bool // per branch step: its cases, then the else
}

// NewCoverage returns an empty Coverage.
func NewCoverage() *Coverage {
	return &Coverage{flows: map[flowKey]*flowCoverage{}}
}

func keyOf(f *flows.Flow) flowKey {
	return flowKey{file: filepath.Clean(f.File), id: f.ID, version: f.Version}
}

// AddFlows registers flows, so that their steps count even when no script
// reaches them. Adding a flow again keeps what was recorded.
func (c *Coverage) AddFlows(fs []*flows.Flow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range fs {
		c.flowLocked(f)
	}
}

func (c *Coverage) flowLocked(f *flows.Flow) *flowCoverage {
	k := keyOf(f)
	fc := c.flows[k]
	if fc == nil {
		fc = &flowCoverage{flow: f, steps: make([]bool, len(f.Steps)), arms: map[int][]bool{}}
		for i, st := range f.Steps {
			if st.Kind == flows.StepBranch {
				fc.arms[i] = make([]bool, len(st.Cases)+1)
			}
		}
		c.flows[k] = fc
	}
	return fc
}

// BeforeFlows implements flows.Hook; it never takes over a turn.
func (c *Coverage) BeforeFlows(context.Context, *flows.Turn) (bool, error) { return false, nil }

// StepReached implements flows.StepObserver.
func (c *Coverage) StepReached(_ context.Context, f *flows.Flow, step int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fc := c.flowLocked(f); step >= 0 && step < len(fc.steps) {
		fc.steps[step] = true
	}
}

// ArmTaken implements flows.StepObserver.
func (c *Coverage) ArmTaken(_ context.Context, f *flows.Flow, step, arm int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if arms := c.flowLocked(f).arms[step]; arm >= 0 && arm < len(arms) {
		arms[arm] = true
	}
}

// FlowCoverage is the coverage of one flow version.
type FlowCoverage struct {
	ID      string
	Version int
	File    string
	// Steps and StepsReached count the flow's steps and those that ran.
	Steps, StepsReached int
	// Arms and ArmsTaken count the arms of its branch steps (each case,
	// and the else or fall-through) and those taken.
	Arms, ArmsTaken int
	// Missed describes each step never reached and each arm never taken,
	// in file order, with its position.
	Missed []string
}

// Report returns the coverage of every flow, by id, version and file.
func (c *Coverage) Report() []FlowCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []FlowCoverage
	for k, fc := range c.flows {
		r := FlowCoverage{ID: k.id, Version: k.version, File: k.file, Steps: len(fc.steps)}
		f := fc.flow
		for i, ran := range fc.steps {
			st := f.Steps[i]
			if ran {
				r.StepsReached++
			} else {
				r.Missed = append(r.Missed, fmt.Sprintf("%s: step %s (%s) never reached", st.Pos, st.ID, st.Kind))
			}
			arms, ok := fc.arms[i]
			if !ok {
				continue
			}
			r.Arms += len(arms)
			for a, taken := range arms {
				if taken {
					r.ArmsTaken++
					continue
				}
				// An unreached branch is one line, not one per arm.
				if ran {
					r.Missed = append(r.Missed, armMissed(f, st, a))
				}
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b FlowCoverage) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		if a.Version != b.Version {
			return a.Version - b.Version
		}
		return strings.Compare(a.File, b.File)
	})
	return out
}

// armMissed describes arm a of branch step st.
func armMissed(f *flows.Flow, st *flows.Step, a int) string {
	target := func(i int) string {
		if i >= 0 && i < len(f.Steps) {
			return f.Steps[i].ID
		}
		return "the end"
	}
	if a < len(st.Cases) {
		c := st.Cases[a]
		cond := ""
		if c.Cond != nil {
			cond = " " + strings.Join(strings.Fields(c.Cond.Source()), " ")
		}
		return fmt.Sprintf("%s: branch %s: case %d (if%s -> %s) never taken", c.Pos, st.ID, a+1, cond, target(c.Goto))
	}
	if st.Else >= 0 {
		return fmt.Sprintf("%s: branch %s: else (-> %s) never taken", st.Pos, st.ID, target(st.Else))
	}
	return fmt.Sprintf("%s: branch %s: falling through (no case held) never taken", st.Pos, st.ID)
}

// WriteReport writes the report: one line per flow with its counts, the
// missed steps and arms under it, and a total.
//
//	coverage:
//	  live-chat v1 (examples/flows/live-chat.flow.yaml): steps 12/13 (92%), branch arms 5/7 (71%)
//	    examples/flows/live-chat.flow.yaml:47:5: step connect-failed (say) never reached
//	  total: steps 30/33 (91%), branch arms 9/12 (75%)
func (c *Coverage) WriteReport(w io.Writer) {
	rep := c.Report()
	fmt.Fprintln(w, "coverage:")
	var steps, reached, arms, taken int
	for _, r := range rep {
		fmt.Fprintf(w, "  %s v%d (%s): %s\n", r.ID, r.Version, r.File, counts(r.StepsReached, r.Steps, r.ArmsTaken, r.Arms))
		for _, m := range r.Missed {
			fmt.Fprintf(w, "    %s\n", m)
		}
		steps, reached, arms, taken = steps+r.Steps, reached+r.StepsReached, arms+r.Arms, taken+r.ArmsTaken
	}
	fmt.Fprintf(w, "  total: %s\n", counts(reached, steps, taken, arms))
}

func counts(reached, steps, taken, arms int) string {
	s := "steps " + ratio(reached, steps)
	if arms > 0 {
		s += ", branch arms " + ratio(taken, arms)
	}
	return s
}

func ratio(n, of int) string {
	if of == 0 {
		return "0/0"
	}
	return fmt.Sprintf("%d/%d (%d%%)", n, of, n*100/of)
}

// Interface guards.
var (
	_ flows.Hook         = (*Coverage)(nil)
	_ flows.StepObserver = (*Coverage)(nil)
)
