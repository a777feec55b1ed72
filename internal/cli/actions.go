package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/chatflow/chatflow/internal/app"
)

func (c *commands) cmdActions(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("actions", flag.ContinueOnError)
	fs.SetOutput(out)
	asJSON := fs.Bool("json", false, "print a JSON array of {name, doc, params} for machines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	specs := app.NewRegistry(c.env.Actions...).Specs()
	if *asJSON {
		type entry struct {
			Name   string          `json:"name"`
			Doc    string          `json:"doc"`
			Params json.RawMessage `json:"params"`
		}
		list := make([]entry, 0, len(specs))
		for _, s := range specs {
			list = append(list, entry{Name: s.Name, Doc: s.Doc, Params: compact(s.Params)})
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	fmt.Fprintln(out, "# Internal actions")
	for _, s := range specs {
		fmt.Fprintf(out, "\n## %s\n\n%s\n\n", s.Name, s.Doc)
		var schema struct {
			Required   []string `json:"required"`
			Properties map[string]struct {
				Type        any    `json:"type"`
				Description string `json:"description"`
				Default     any    `json:"default"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(s.Params, &schema); err != nil {
			return fmt.Errorf("action %s: %w", s.Name, err)
		}
		if len(schema.Properties) == 0 {
			fmt.Fprintln(out, "No parameters.")
			continue
		}
		fmt.Fprintln(out, "| parameter | type | default | description |")
		fmt.Fprintln(out, "|---|---|---|---|")
		for _, name := range sortedKeys(schema.Properties) {
			p := schema.Properties[name]
			def := ""
			if p.Default != nil {
				b, _ := json.Marshal(p.Default)
				def = "`" + string(b) + "`"
			}
			req := ""
			for _, r := range schema.Required {
				if r == name {
					req = " (required)"
				}
			}
			fmt.Fprintf(out, "| `%s`%s | %v | %s | %s |\n", name, req, p.Type, def, p.Description)
		}
	}
	return nil
}

func compact(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
