package examples_test

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/flowtest"
)

// TestExampleFlowsLintClean loads every example flow: no errors and no
// warnings are allowed.
func TestExampleFlowsLintClean(t *testing.T) {
	l, err := flows.NewLoader(app.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	set, probs := l.Load("flows")
	for _, p := range probs {
		t.Error(p.String())
	}
	if set == nil || len(set.Flows()) < 3 {
		t.Fatalf("expected at least 3 example flows")
	}
}

// TestExampleScripts runs every scripted conversation in tests/.
func TestExampleScripts(t *testing.T) {
	files, err := flowtest.Files("tests")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example scripts")
	}
	r := &flowtest.Runner{Build: app.TestBuilder(zap.NewNop(), app.Config{}), Out: io.Discard}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".test.yaml"), func(t *testing.T) {
			res := r.RunFile(t.Context(), f)
			if res.Failed {
				t.Errorf("%s", res.Failure)
			}
			if res.Steps == 0 {
				t.Errorf("script ran no steps")
			}
		})
	}
}
