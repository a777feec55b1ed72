package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/flowtest"
)

func (c *commands) cmdValidate(_ context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(out)
	quiet := fs.Bool("q", false, "print errors only (no warnings, no summary)")
	configPath := fs.String("config", "", "the service configuration: warn when a text written per language, or blocked_message, lacks one of its widget.languages")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"validate needs at least one file or directory"}
	}
	loader, err := flows.NewLoader(app.NewRegistry(c.env.Actions...))
	if err != nil {
		return err
	}
	var probs flows.Problems
	if *configPath != "" {
		cfg, err := app.LoadConfig(*configPath)
		if err != nil {
			return fmt.Errorf("validate: %w", err)
		}
		loader.Languages = cfg.Widget.Languages
		if missing := cfg.BlockedMessage.Missing(cfg.Widget.Languages); len(missing) > 0 {
			probs = append(probs, flows.Problem{Pos: flows.Pos{File: *configPath, Line: 1, Col: 1}, Severity: flows.SeverityWarning,
				Msg: fmt.Sprintf("blocked_message has no text in %s (configured languages: %s)", strings.Join(missing, ", "), strings.Join(cfg.Widget.Languages, ", "))})
		}
	}
	var flowPaths []string
	var scripts []string
	var modFiles []string // moderation rules and configurations
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
			m, err := moderationFiles(p)
			if err != nil {
				return err
			}
			modFiles = append(modFiles, m...)
		case isModerationFile(p):
			modFiles = append(modFiles, p)
		case flowtest.IsScript(p):
			scripts = append(scripts, p)
		default:
			flowPaths = append(flowPaths, p)
		}
	}
	nflows := 0
	if len(flowPaths) > 0 {
		set, ps := loader.Load(flowPaths...)
		probs = append(probs, ps...)
		if set != nil {
			nflows = len(set.Flows())
		}
	}
	for _, f := range modFiles {
		probs = append(probs, moderationProblems(f)...)
	}
	checkOpts := scriptCheckOptions(loader)
	for _, s := range scripts {
		probs = append(probs, flowtest.Check(s, checkOpts)...)
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

// scriptCheckOptions returns what flowtest.Check needs to check scripts
// as `chatflow test` runs them: the commands of the wired services and the
// variables of the flows each script loads (loaded once per set of paths).
func scriptCheckOptions(loader *flows.Loader) flowtest.CheckOptions {
	// ScriptCommands only builds a map of method values, so the names can
	// be read without wiring an App.
	var names []string
	for name := range (*app.App)(nil).ScriptCommands() {
		names = append(names, name)
	}
	cache := map[string]map[string]bool{}
	return flowtest.CheckOptions{
		Commands: names,
		Vars: func(paths []string) map[string]bool {
			key := strings.Join(paths, "\x00")
			if vars, ok := cache[key]; ok {
				return vars
			}
			var vars map[string]bool
			if set, _ := loader.Load(paths...); set != nil {
				vars = map[string]bool{}
				for _, f := range set.Flows() {
					for _, v := range f.VarNames() {
						vars[v] = true
					}
				}
			}
			cache[key] = vars
			return vars
		},
	}
}
