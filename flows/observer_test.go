package flows_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/chatflow/chatflow/flows"
)

// stepLog is a hook that records what a StepObserver is told.
type stepLog struct {
	mu  sync.Mutex
	got []string
}

func (l *stepLog) BeforeFlows(context.Context, *flows.Turn) (bool, error) { return false, nil }

func (l *stepLog) StepReached(_ context.Context, f *flows.Flow, step int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, fmt.Sprintf("%s:%s", f.ID, f.Steps[step].ID))
}

func (l *stepLog) ArmTaken(_ context.Context, f *flows.Flow, step, arm int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, fmt.Sprintf("%s:%s arm %d", f.ID, f.Steps[step].ID, arm))
}

var _ flows.StepObserver = (*stepLog)(nil)

// TestStepObserver: the executor reports each step as it starts and the
// arm each branch takes, the else arm numbered after the cases.
func TestStepObserver(t *testing.T) {
	f := newFixture(t)
	f.write("m.flow.yaml", `id: m
version: 1
trigger: message
steps:
  - id: pick
    branch:
      - if: "=@LastUserMessage == 'a'"
        goto: a
      - if: "=@LastUserMessage == 'b'"
        goto: b
  - id: fall
    say: neither
  - end: true
  - id: a
    say: A
  - id: b
    ask: B?
    into: X
  - id: after
    say: done
`)
	log := &stepLog{}
	e := f.executor(f.load(), func(o *flows.Options) { o.Hooks = []flows.Hook{log} })
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"b", []string{"m:pick", "m:pick arm 1", "m:b"}},
		{"x", []string{"m:after"}}, // the answer resumes after the ask
		{"a", []string{"m:pick", "m:pick arm 0", "m:a", "m:b"}},
		{"y", []string{"m:after"}},
		{"z", []string{"m:pick", "m:pick arm 2", "m:fall", "m:#3"}},
	} {
		log.got = nil
		if _, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c1", Text: tc.text}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(log.got, tc.want) {
			t.Errorf("message %q: observed %q, want %q", tc.text, log.got, tc.want)
		}
	}
}
