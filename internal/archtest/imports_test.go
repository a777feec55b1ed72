package archtest

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/chatflow/chatflow"

// deps returns, for every package of the module, the packages of the
// module it imports directly or indirectly (go list -deps, tests excluded).
func deps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	all := map[string][]string{}
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		var ours []string
		for _, d := range p.Deps {
			if d == module || strings.HasPrefix(d, module+"/") {
				ours = append(ours, strings.TrimPrefix(strings.TrimPrefix(d, module), "/"))
			}
		}
		all[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = ours
	}
	return all
}

// under reports whether pkg is dir or inside it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// domain are the domain packages: sanctions, queues, rules, outbox,
// accounts. They never import the engine or the plugin API.
var domain = []string{
	"internal/blocking", "internal/queue", "internal/moderation", "internal/events", "internal/auth",
	"internal/ipban", "internal/privacy", "internal/workinghours", "internal/ratelimit", "internal/webhooks",
}

// TestImportRules: contextstore imports nothing of ours; actions and flows
// (the plugin API and the engine) import nothing under internal/; domain
// packages import neither flows nor actions; metrics imports no domain
// package; nothing imports cmd.
func TestImportRules(t *testing.T) {
	all := deps(t)
	if len(all) < 20 {
		t.Fatalf("go list found only %d packages", len(all))
	}
	for pkg, ds := range all {
		for _, d := range ds {
			var rule string
			switch {
			case under(pkg, "contextstore") && !under(d, "contextstore"):
				rule = "contextstore imports nothing of ours"
			case (under(pkg, "actions") || under(pkg, "flows") || under(pkg, "schemas")) && under(d, "internal"):
				rule = "the plugin API and the engine import nothing under internal/"
			case slices.ContainsFunc(domain, func(dom string) bool { return under(pkg, dom) }) && (under(d, "flows") || under(d, "actions")):
				rule = "domain packages import neither flows nor actions"
			case under(pkg, "internal/metrics") && slices.ContainsFunc(domain, func(dom string) bool { return under(d, dom) }):
				rule = "metrics imports no domain package"
			case under(d, "cmd"):
				rule = "nothing imports cmd"
			case d == "" && under(pkg, "internal"):
				rule = "nothing under internal/ imports the root package"
			}
			if rule != "" {
				t.Errorf("%s imports %s: %s", pkg, d, rule)
			}
		}
	}
}
