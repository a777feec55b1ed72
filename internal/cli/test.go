package cli

import (
	"context"
	"flag"
	"io"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/flowtest"
)

func (c *commands) cmdTest(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(out)
	coverage := fs.Bool("coverage", false, "after the results, report per flow the steps and branch arms the scripts exercised and list those never reached")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"test needs at least one script or directory"}
	}
	files, err := flowtest.Files(fs.Args()...)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"no test scripts (*.test.yaml) found"}
	}
	r := &flowtest.Runner{Build: app.TestBuilder(zap.NewNop(), app.Config{}, c.env.Actions...), Out: out}
	if *coverage {
		r.Coverage = flowtest.NewCoverage()
	}
	results := r.RunAll(ctx, files)
	if r.Coverage != nil {
		r.Coverage.WriteReport(out)
	}
	for _, res := range results {
		if res.Failed {
			return errFailed
		}
	}
	return nil
}
