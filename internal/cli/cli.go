package cli

import (
	"context"
	"time"

	"go.uber.org/zap"

	"errors"
	"flag"
	"fmt"
	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatflow/chatflow/internal/buildinfo"
)

// errFailed marks a run whose findings were already printed: exit 1.
var errFailed = errors.New("failed")

// errHelp marks a -h/--help request whose flag help was printed: exit 0.
var errHelp = errors.New("help")

// parseFlags parses a sub-command's flags: -h prints the flag help and
// exits 0; a bad flag is a usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return errHelp
	default:
		return usageError{err.Error()}
	}
}

// usageError marks bad command-line usage: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `chatflow — a chat-flow runtime with pluggable internal actions

Usage:
  chatflow serve    [flags]        run the server (chatflow serve -h for flags)
  chatflow validate PATH...        lint flows (*.flow.yaml|yml|json) and test scripts (*.test.yaml)
  chatflow test     PATH...        run scripted conversations (*.test.yaml)
  chatflow run      FLOWDIR        chat with the bot in the terminal (/help inside)
  chatflow actions  [--json]       list internal actions with their parameter schemas
  chatflow version                 print the version and revision of this build (also --version)
`

// Env is what a binary built on chatflow adds to the runtime (see the
// module's root package): internal actions and store backends. The zero
// Env is chatflow's own binary.
type Env struct {
	// Actions are registered after the built-in ones, in every command:
	// serve and test run them, validate and actions list and check them.
	Actions []actions.Spec
	// Stores are store backends by name, chosen with serve --store NAME
	// (env CHATFLOW_STORE); "embedded" and "redis" are built in.
	Stores map[string]StoreOpener
	// Logger replaces the logger serve builds from --log-level (nil:
	// serve's own).
	Logger *zap.Logger
	// Clock replaces time.Now for serve (nil: time.Now).
	Clock func() time.Time
}

// StoreOpener opens a store backend for serve.
type StoreOpener func(ctx context.Context, o StoreOptions) (contextstore.Store, error)

// StoreOptions are what serve knows when it opens a store.
type StoreOptions struct {
	// DataDir is serve's data directory (--data).
	DataDir string
	// ConversationTTL is how long an idle conversation is kept.
	ConversationTTL time.Duration
	Logger          *zap.Logger
}

// commands runs the sub-commands of one Env.
type commands struct{ env Env }

// Main runs the chatflow command line with args (without the program
// name) and returns its exit status: 0 on success, 1 when validation or a
// test fails, 2 on bad usage. SIGINT and SIGTERM end serve gracefully.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return (&commands{env: env}).run(ctx, args, stdin, stdout, stderr)
}

// run is Main of chatflow's own binary, without the signal handling
// (the tests give their own context).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return (&commands{}).run(ctx, args, stdin, stdout, stderr)
}

func (c *commands) run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "validate":
		err = c.cmdValidate(ctx, args[1:], stdout)
	case "test":
		err = c.cmdTest(ctx, args[1:], stdout)
	case "run", "chat":
		err = c.cmdRun(ctx, args[1:], stdin, stdout)
	case "actions":
		err = c.cmdActions(args[1:], stdout)
	case "serve":
		err = c.cmdServe(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		if len(args) > 1 {
			err = usageError{fmt.Sprintf("%s takes no arguments", args[0])}
			break
		}
		fmt.Fprint(stdout, buildinfo.Read())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errFailed):
		return 1
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "chatflow: %v\n\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "chatflow: %v\n", err)
		return 1
	}
}
