package flowtest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/internal/flowtest"
)

// TestCoverageReport runs two scripts over the harness's flows and
// compares the whole report: counts per flow, then each step never reached
// and each branch arm never taken, with its position.
func TestCoverageReport(t *testing.T) {
	h := newHarness(t)
	a := h.script(t, "a.test.yaml", "steps:\n  - user: two\n  - bot: [one, two]\n")
	b := h.script(t, "b.test.yaml", "steps:\n  - user: hi\n  - bot: Hello hi\n")
	var out bytes.Buffer
	cov := flowtest.NewCoverage()
	r := &flowtest.Runner{Build: h.build, Out: &out, Coverage: cov}
	for _, res := range r.RunAll(t.Context(), []string{a, b}) {
		if res.Failed {
			t.Fatalf("%s: %s", res.Name, res.Failure)
		}
	}
	var rep bytes.Buffer
	cov.WriteReport(&rep)
	got := strings.ReplaceAll(rep.String(), h.dir, "DIR")
	want := `coverage:
  bye v1 (DIR/flows/bye.flow.yaml): steps 0/1 (0%)
    DIR/flows/bye.flow.yaml:5:5: step #1 (say) never reached
  echo v1 (DIR/flows/echo.flow.yaml): steps 6/7 (85%), branch arms 2/3 (66%)
    DIR/flows/echo.flow.yaml:6:9: branch #1: case 1 (if @LastUserMessage == 'boom' -> boom) never taken
    DIR/flows/echo.flow.yaml:18:5: step boom (action) never reached
  welcome v1 (DIR/flows/welcome.flow.yaml): steps 0/1 (0%)
    DIR/flows/welcome.flow.yaml:5:5: step #1 (say) never reached
  total: steps 6/9 (66%), branch arms 2/3 (66%)
`
	if got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
	// The structured report says the same.
	for _, fc := range cov.Report() {
		if fc.ID == "echo" && (fc.Steps != 7 || fc.StepsReached != 6 || fc.Arms != 3 || fc.ArmsTaken != 2 || len(fc.Missed) != 2) {
			t.Errorf("echo coverage = %+v", fc)
		}
	}
}

// TestCoverageUnreachedBranchAndFallThrough: a branch never reached is one
// line (not one per arm); a branch without else names its fall-through.
func TestCoverageUnreachedBranchAndFallThrough(t *testing.T) {
	h := newHarness(t)
	writeFile(t, h.dir+"/flows/echo.flow.yaml", `id: echo
version: 1
trigger: message
steps:
  - id: first
    branch:
      - if: "=@LastUserMessage == 'x'"
        goto: second
  - say: fell through
  - end: true
  - id: second
    branch:
      - if: "=true"
        goto: first
`)
	f := h.script(t, "a.test.yaml", "steps:\n  - user: hi\n  - bot: fell through\n")
	cov := flowtest.NewCoverage()
	r := &flowtest.Runner{Build: h.build, Out: &bytes.Buffer{}, Coverage: cov}
	if res := r.RunFile(t.Context(), f); res.Failed {
		t.Fatal(res.Failure)
	}
	var rep bytes.Buffer
	cov.WriteReport(&rep)
	got := strings.ReplaceAll(rep.String(), h.dir, "DIR")
	want := "  echo v1 (DIR/flows/echo.flow.yaml): steps 3/4 (75%), branch arms 1/4 (25%)\n" +
		"    DIR/flows/echo.flow.yaml:7:9: branch first: case 1 (if @LastUserMessage == 'x' -> second) never taken\n" +
		"    DIR/flows/echo.flow.yaml:11:5: step second (branch) never reached\n"
	if !strings.Contains(got, want) {
		t.Errorf("report:\n%s\nwant it to contain:\n%s", got, want)
	}
}
