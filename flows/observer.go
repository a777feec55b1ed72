package flows

import "context"

// StepObserver is implemented by hooks that want to know which steps of a
// flow run and which arm of each branch is taken, e.g. the coverage report
// of `chatflow test --coverage`. The executor calls it synchronously, on
// the turn's goroutine, so an implementation must be quick and safe for
// concurrent use; it must not change the flow.
type StepObserver interface {
	// StepReached is called when step (an index into f.Steps) starts.
	StepReached(ctx context.Context, f *Flow, step int)
	// ArmTaken is called when a branch step has chosen: arm is the index
	// of the case whose condition held, or len(f.Steps[step].Cases) when
	// none did (the else, or falling through to the next step).
	ArmTaken(ctx context.Context, f *Flow, step, arm int)
}

// observeStep tells the StepObserver hooks that step of f starts.
func (e *Executor) observeStep(ctx context.Context, f *Flow, step int) {
	for _, h := range e.opts.Hooks {
		if o, ok := h.(StepObserver); ok {
			o.StepReached(ctx, f, step)
		}
	}
}

// observeArm tells the StepObserver hooks which arm the branch at step of
// f took.
func (e *Executor) observeArm(ctx context.Context, f *Flow, step, arm int) {
	for _, h := range e.opts.Hooks {
		if o, ok := h.(StepObserver); ok {
			o.ArmTaken(ctx, f, step, arm)
		}
	}
}
