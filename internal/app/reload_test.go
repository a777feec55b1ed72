package app_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
)

const greetV1 = `id: greet
version: 1
trigger: message
steps:
  - ask: "v1: what is your name?"
    into: Name
  - say: "v1: hello ${@Name}"
`

const greetV2 = `id: greet
version: 2
trigger: message
steps:
  - ask: "v2: what is your name?"
    into: Name
  - say: "v2: hello ${@Name}"
`

// TestReloadFlows: a reload makes a new version the one new conversations
// start on while a running conversation finishes on its own; a set with a
// broken file, or a flow changed under the same version, is refused as a
// whole and the old set is kept.
func TestReloadFlows(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "greet.flow.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(greetV1)
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{dir}, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	say := func(conv, text string) string {
		t.Helper()
		res, err := a.Executor.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: conv, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(res.Replies, " | ")
	}
	if got := say("old", "hi"); got != "v1: what is your name?" {
		t.Fatalf("first turn: %q", got)
	}

	// Changed under the same version: refused, the old set stays.
	write(strings.Replace(greetV1, "hello", "hey", 1))
	_, _, err = a.ReloadFlows()
	var le *flows.LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), `flow "greet" changed but its version is still 1: give it version 2`) {
		t.Fatalf("reload of a changed v1 = %v", err)
	}
	// A broken file: refused, every problem located.
	write("id: greet\nversion: 2\ntrigger: message\nsteps:\n  - say: \"=[[ChatUser]].Nmae\"\n")
	if _, _, err = a.ReloadFlows(); !errors.As(err, &le) || !strings.Contains(err.Error(), "greet.flow.yaml:5:") {
		t.Fatalf("reload of a broken file = %v", err)
	}
	if got := say("new-before", "hi"); got != "v1: what is your name?" {
		t.Fatalf("after refused reloads a new conversation got %q, want v1", got)
	}

	write(greetV2)
	n, warns, err := a.ReloadFlows()
	if err != nil || n != 2 || len(warns) != 0 {
		t.Fatalf("ReloadFlows = %d, %v, %v; want 2 flows (v1 kept for running conversations)", n, warns, err)
	}
	if got := say("old", "Ann"); got != "v1: hello Ann" {
		t.Errorf("the running conversation got %q, want to finish on v1", got)
	}
	if got := say("new", "hi"); got != "v2: what is your name?" {
		t.Errorf("a new conversation got %q, want v2", got)
	}
}
