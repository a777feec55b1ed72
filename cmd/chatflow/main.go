package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "validate":
		err = cmdValidate(ctx, args[1:], stdout)
	case "test":
		err = cmdTest(ctx, args[1:], stdout)
	case "run", "chat":
		err = cmdRun(ctx, args[1:], stdin, stdout)
	case "actions":
		err = cmdActions(args[1:], stdout)
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
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
