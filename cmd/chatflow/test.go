package main

import (
	"context"
	"flag"
	"io"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/flowtest"
)

func cmdTest(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(out)
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
	r := &flowtest.Runner{Build: app.TestBuilder(zap.NewNop(), app.Config{}), Out: out}
	for _, res := range r.RunAll(ctx, files) {
		if res.Failed {
			return errFailed
		}
	}
	return nil
}
