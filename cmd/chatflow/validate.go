package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/flowtest"
)

func cmdValidate(_ context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(out)
	quiet := fs.Bool("q", false, "print errors only (no warnings, no summary)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"validate needs at least one file or directory"}
	}
	loader, err := flows.NewLoader(app.NewRegistry(app.Config{}))
	if err != nil {
		return err
	}
	var flowPaths []string
	var scripts []string
	for _, p := range fs.Args() {
		info, err := os.Stat(p)
		switch {
		case err != nil:
			return fmt.Errorf("validate: %w", err)
		case info.IsDir():
			flowPaths = append(flowPaths, p)
			s, err := flowtest.Files(p)
			if err != nil {
				return err
			}
			scripts = append(scripts, s...)
		case flowtest.IsScript(p):
			scripts = append(scripts, p)
		default:
			flowPaths = append(flowPaths, p)
		}
	}
	var probs flows.Problems
	nflows := 0
	if len(flowPaths) > 0 {
		set, ps := loader.Load(flowPaths...)
		probs = append(probs, ps...)
		if set != nil {
			nflows = len(set.Flows())
		}
	}
	for _, s := range scripts {
		probs = append(probs, checkScript(s)...)
	}
	errs, warns := 0, 0
	for _, p := range probs {
		if p.Severity == flows.SeverityWarning {
			warns++
			if *quiet {
				continue
			}
		} else {
			errs++
		}
		fmt.Fprintln(out, p.String())
	}
	if !*quiet {
		fmt.Fprintf(out, "%d flows, %d test scripts: %d errors, %d warnings\n", nflows, len(scripts), errs, warns)
	}
	if errs > 0 {
		return errFailed
	}
	return nil
}

// checkScript does the static checks of a test script: it parses, names
// known commands, and its flows directory exists.
func checkScript(path string) flows.Problems {
	at := func(line, col int, format string, args ...any) flows.Problem {
		return flows.Problem{Pos: flows.Pos{File: path, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return flows.Problems{at(1, 1, "%v", err)}
	}
	var sc flowtest.Script
	if err := yaml.Unmarshal(data, &sc); err != nil {
		return flows.Problems{at(1, 1, "invalid test script: %v", err)}
	}
	var probs flows.Problems
	dirs := sc.Flows
	if len(dirs) == 0 {
		dirs = flowtest.Paths{"../flows"}
	}
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), dir)); err != nil {
			probs = append(probs, at(1, 1, "flows %q: %v", dir, err))
		}
	}
	if sc.Steps.Kind != yaml.SequenceNode {
		return append(probs, at(1, 1, "a test script needs a list of steps"))
	}
	for i, st := range sc.Steps.Content {
		if st.Kind != yaml.MappingNode || len(st.Content) != 2 {
			probs = append(probs, at(st.Line, st.Column, "step %d: a step is a map with one key", i+1))
		}
	}
	return probs
}
