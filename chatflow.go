package chatflow

import (
	"context"
	"io"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/cli"
)

// Option configures Main.
type Option func(*config)

type config struct {
	env    cli.Env
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// StoreOpener opens a store backend for `chatflow serve --store NAME`.
type StoreOpener func(ctx context.Context, o StoreOptions) (contextstore.Store, error)

// StoreOptions are what serve knows when it opens a store.
type StoreOptions struct {
	// DataDir is serve's data directory (--data), for a store that keeps
	// files.
	DataDir string
	// ConversationTTL is how long an idle conversation context is kept.
	ConversationTTL time.Duration
	// Logger is named for the store.
	Logger *zap.Logger
}

// WithAction adds an internal action to every command: serve and test run
// it, validate checks flows that call it, actions lists it. It panics at
// Main on an empty or duplicate name, like actions.Registry.Register.
func WithAction(spec actions.Spec) Option {
	return func(c *config) { c.env.Actions = append(c.env.Actions, spec) }
}

// WithStore adds a store backend that serve opens with --store name;
// "embedded" and "redis" are chatflow's own.
func WithStore(name string, open StoreOpener) Option {
	return func(c *config) {
		if c.env.Stores == nil {
			c.env.Stores = map[string]cli.StoreOpener{}
		}
		c.env.Stores[name] = func(ctx context.Context, o cli.StoreOptions) (contextstore.Store, error) {
			return open(ctx, StoreOptions{DataDir: o.DataDir, ConversationTTL: o.ConversationTTL, Logger: o.Logger})
		}
	}
}

// WithLogger makes serve log to l instead of the logger it builds from
// --log-level.
func WithLogger(l *zap.Logger) Option { return func(c *config) { c.env.Logger = l } }

// WithClock makes serve read the time from now instead of time.Now (a
// test of a binary built on chatflow drives block expiry with it).
func WithClock(now func() time.Time) Option { return func(c *config) { c.env.Clock = now } }

// WithIO sets the standard streams (default os.Stdin, os.Stdout,
// os.Stderr), e.g. for a test of a binary built on chatflow.
func WithIO(stdin io.Reader, stdout, stderr io.Writer) Option {
	return func(c *config) { c.stdin, c.stdout, c.stderr = stdin, stdout, stderr }
}

// Main runs the chatflow command line with args (without the program
// name) and returns the exit status: 0 on success, 1 when validation or a
// test fails, 2 on bad usage. SIGINT and SIGTERM end serve gracefully.
func Main(ctx context.Context, args []string, opts ...Option) int {
	c := &config{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	for _, o := range opts {
		o(c)
	}
	return cli.Main(ctx, args, c.stdin, c.stdout, c.stderr, c.env)
}
