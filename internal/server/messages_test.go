package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/server"
)

// TestAgentMessagesReachTheVisitor: the visitor asks for an agent, the
// agent takes the chat and writes; the visitor reads the agent's message
// from the transcript endpoint. After a block the transcript holds no reason.
func TestAgentMessagesReachTheVisitor(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(a, nil))
	defer ts.Close()

	post := func(path, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	id := post("/v1/conversations", `{}`)["id"].(string)
	post("/v1/conversations/"+id+"/messages", `{"text":"agent","idempotency_key":"1"}`)
	if _, err := a.Desk.Take(t.Context(), "support", "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	if err := a.Desk.Say(t.Context(), id, "Hello, I'm Ann. How can I help?"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Desk.Disconnect(t.Context(), id, "", contextstore.AgentFeedback{Block: true, ReasonCategory: "fraud", Notes: "secret-reason-text"}); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(ts.URL + "/v1/conversations/" + id + "/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Messages []struct{ At, From, Text string }
	}
	raw := new(strings.Builder)
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, m := range got.Messages {
		lines = append(lines, m.From+": "+m.Text)
		raw.WriteString(m.Text)
	}
	want := []string{
		"bot: Hi! I'm the Acme bot. Ask me anything, or type 'agent' to talk to a person.",
		"user: agent",
		"bot: You're in the queue. An agent will be with you shortly.",
		"agent: Hello, I'm Ann. How can I help?",
		"bot: This chat has ended. Thank you for contacting Acme.",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(raw.String(), "secret-reason-text") || strings.Contains(raw.String(), "fraud") {
		t.Errorf("the block reason reached the visitor")
	}
	resp2, err := http.Get(ts.URL + "/v1/conversations/nope/messages")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotFound || resp2.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown conversation: %d %s", resp2.StatusCode, resp2.Header.Get("Content-Type"))
	}
}
