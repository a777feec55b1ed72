package cli

import (
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/moderation"
)

// isModerationFile reports whether validate lints a file as moderation
// configuration: a rules file (*.rules.yaml) or a service configuration
// (chatflow.yaml, whose moderation: section and rules_file are checked).
func isModerationFile(path string) bool {
	base := filepath.Base(path)
	return strings.HasSuffix(base, ".rules.yaml") || strings.HasSuffix(base, ".rules.yml") || base == "chatflow.yaml" || base == "chatflow.yml"
}

// moderationFiles finds the moderation files under dir.
func moderationFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && flows.OtherModule(dir, path, d) {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && isModerationFile(path) {
			out = append(out, path)
		}
		return err
	})
	return out, err
}

// moderationProblems lints one moderation file into flow problems (same
// file:line:col output).
func moderationProblems(path string) flows.Problems {
	var out flows.Problems
	for _, p := range moderation.LintFile(path) {
		out = append(out, flows.Problem{Pos: flows.Pos{File: p.File, Line: p.Line, Col: p.Col}, Severity: flows.SeverityError, Msg: p.Msg})
	}
	return out
}
