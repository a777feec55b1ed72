package app

import (
	"context"

	"github.com/chatflow/chatflow/actions"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/flowtest"
)

// TestBuilder returns the flowtest.Builder that `chatflow test` and the
// example tests use: the full wiring on a fresh in-memory store with the
// script's fake clock, and cfg unless the script names a config file. The
// spec's hooks (the coverage recorder) run after the built-in ones.
func TestBuilder(log *zap.Logger, cfg Config, extra ...actions.Spec) flowtest.Builder {
	return func(ctx context.Context, spec flowtest.Spec, clk *clock.Fake) (*flowtest.System, error) {
		c := cfg
		if spec.Config != "" {
			var err error
			if c, err = LoadConfig(spec.Config); err != nil {
				return nil, err
			}
		}
		a, err := New(ctx, Options{Store: memory.New(), FlowPaths: spec.Flows, Clock: clk.Now, Logger: log, Config: c, Hooks: spec.Hooks, Actions: extra})
		if err != nil {
			return nil, err
		}
		return &flowtest.System{Executor: a.Executor, Store: a.Store, Clock: clk, Commands: a.ScriptCommands()}, nil
	}
}
