package flows

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/schemas"
)

// flowFileSuffixes are the file name endings the loader treats as flows when
// it walks a directory.
var flowFileSuffixes = []string{".flow.yaml", ".flow.yml", ".flow.json"}

// IsFlowFile reports whether a file name is a flow file by its suffix.
func IsFlowFile(name string) bool {
	for _, s := range flowFileSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// builtinVars are declared in every flow.
var builtinVars = []string{"InternalActionResult", "InternalActionError", "LastUserMessage"}

var stepKinds = []string{"say", "ask", "set", "action", "branch", "goto", "end"}

// Loader loads and lints flow files. Its Registry resolves action names and
// validates literal parameters; it must be set.
type Loader struct {
	Registry *actions.Registry
	// Languages are the languages the customers are served in (the
	// widget's languages), the first the default. A say or ask text
	// written per language ({en: …, de: …}) that lacks one of them is a
	// warning. Empty: no such check.
	Languages []string
	schema    *jsonschema.Schema
}

// NewLoader returns a loader that checks actions against reg.
func NewLoader(reg *actions.Registry) (*Loader, error) {
	s, err := schemas.Flow()
	if err != nil {
		return nil, err
	}
	return &Loader{Registry: reg, schema: s}, nil
}

// Load loads flow files and directories (walked recursively for
// flowFileSuffixes) into a Set. It returns every problem found; the Set is
// nil when any problem is an error.
func (l *Loader) Load(paths ...string) (*Set, Problems) {
	files, probs := expandPaths(paths)
	var flows []*Flow
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: f, Line: 1, Col: 1}, Msg: err.Error()})
			continue
		}
		fl, ps := l.LoadBytes(f, data)
		probs = append(probs, ps...)
		if fl != nil {
			flows = append(flows, fl)
		}
	}
	set, ps := NewSet(flows)
	probs = append(probs, ps...)
	if probs.HasErrors() {
		return nil, probs
	}
	return set, probs
}

// OtherModule reports whether the directory d at path, met while walking
// root, is another Go module (a go.mod of its own, below root): a binary
// built on chatflow with actions of its own (examples/plugin), whose
// flows and scripts its own binary validates. Every walk of flows, test
// scripts and rules skips it.
func OtherModule(root, path string, d fs.DirEntry) bool {
	if !d.IsDir() || filepath.Clean(path) == filepath.Clean(root) {
		return false
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

func expandPaths(paths []string) ([]string, Problems) {
	var files []string
	var probs Problems
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: p, Line: 1, Col: 1}, Msg: err.Error()})
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if OtherModule(p, path, d) {
				return filepath.SkipDir
			}
			if !d.IsDir() && IsFlowFile(d.Name()) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: p, Line: 1, Col: 1}, Msg: err.Error()})
		}
	}
	sort.Strings(files)
	return files, probs
}
