package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed flow.schema.json actions/*.json entities/*.json
var files embed.FS

// FS returns the embedded schema files (read-only).
func FS() fs.FS { return files }

// Read returns the bytes of one embedded schema, e.g. "flow.schema.json" or
// "actions/HelpdeskClient.IsBlockedForLiveChat.json".
func Read(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading schema %q: %w", name, err)
	}
	return b, nil
}

// MustRead is Read for schemas that are known to be embedded; it panics if
// name is missing, which is a programming error caught by tests.
func MustRead(name string) []byte {
	b, err := Read(name)
	if err != nil {
		panic(err)
	}
	return b
}

// Action returns the embedded parameter schema of a built-in action.
func Action(name string) ([]byte, error) { return Read(path.Join("actions", name+".json")) }

// Entities returns the names of the embedded entity schemas.
func Entities() []string {
	ents, _ := fs.ReadDir(files, "entities")
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	return names
}

// Compile compiles a JSON Schema document. name identifies it in error
// messages (for example an action name). Formats are asserted.
func Compile(name string, doc []byte) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.ExtractAnnotations = true // needed for defaults
	url := "mem:///" + strings.ReplaceAll(name, " ", "_") + ".json"
	if err := c.AddResource(url, bytes.NewReader(doc)); err != nil {
		return nil, fmt.Errorf("loading schema %q: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compiling schema %q: %w", name, err)
	}
	return s, nil
}

// Flow compiles the flow file schema.
func Flow() (*jsonschema.Schema, error) {
	return Compile("flow", MustRead("flow.schema.json"))
}

// Problem is one schema violation: where in the instance (a JSON pointer)
// and what is wrong.
type Problem struct {
	Pointer string
	Message string
}

// Problems flattens a validation error into its leaf problems, sorted by
// pointer then message, dropping duplicates. Errors that are not *jsonschema.ValidationError
// become one problem at the root.
func Problems(err error) []Problem {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Problem{{Pointer: "", Message: err.Error()}}
	}
	var out []Problem
	seen := map[Problem]bool{}
	var walk func(v *jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) == 0 {
			p := Problem{Pointer: v.InstanceLocation, Message: v.Message}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			return
		}
		for _, c := range v.Causes {
			walk(c)
		}
	}
	walk(ve)
	// The validator visits properties in map order; sort so that messages
	// are stable (golden files, tests) and grouped by location.
	slices.SortStableFunc(out, func(a, b Problem) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out
}

// Normalize converts a value decoded from YAML (int, map[string]any, ...)
// into the JSON data model the validator expects (float64 numbers), by a
// JSON round trip. It is for load time, not the hot path.
func Normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("normalizing value: %w", err)
	}
	var out any
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("normalizing value: %w", err)
	}
	return out, nil
}

// ApplyDefaults fills in the schema defaults of missing object properties of
// v, recursively, in place. It follows $ref and only descends into objects
// whose schema declares properties.
func ApplyDefaults(s *jsonschema.Schema, v any) {
	for s != nil && s.Ref != nil && len(s.Properties) == 0 {
		s = s.Ref
	}
	if s == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for name, ps := range s.Properties {
		cur, present := m[name]
		if !present {
			if ps.Default != nil {
				m[name] = ps.Default
			}
			continue
		}
		ApplyDefaults(ps, cur)
	}
}
