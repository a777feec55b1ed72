package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/server"
	"github.com/chatflow/chatflow/internal/visitortoken"
)

// sse is one server-sent event.
type sse struct{ event, data string }

// readEvents sends the events of an SSE body to a channel until it ends.
func readEvents(body *bufio.Reader) <-chan sse {
	ch := make(chan sse, 16)
	go func() {
		defer close(ch)
		var ev sse
		for {
			line, err := body.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.event != "" {
					ch <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return ch
}

// TestConversationEvents reads the visitor's event stream over loopback
// while an agent joins, writes and disconnects with a block: the visitor
// sees the states, the agent's message and only the neutral text of the
// block, then "bot" again when a supervisor lifts the block, and the
// stream ends when the client goes away.
func TestConversationEvents(t *testing.T) {
	e := newStaffEnv(t)
	srv := httptest.NewServer(server.New(e.app, nil, server.WithAuth(e.auth), server.WithEventPoll(5*time.Millisecond), server.WithBlockedText("Chat is closed.")))
	e.srv = srv
	id := e.visitor(t) // queued

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/conversations/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := readEvents(bufio.NewReader(res.Body))
	var all []string
	next := func(want string) {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended; want %s (got %q)", want, all)
			}
			got := ev.event + " " + ev.data
			all = append(all, got)
			if got != want {
				t.Fatalf("event %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no event; want %s (got %q)", want, all)
		}
	}
	next(`state {"state":"queued"}`)
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	next(`state {"state":"agent_joined"}`)
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/messages", `{"text": "Hello, I'm Ann."}`)
	select {
	case ev := <-events:
		var m struct{ At, From, Text string }
		if err := json.Unmarshal([]byte(ev.data), &m); ev.event != "message" || err != nil || m.From != "agent" || m.Text != "Hello, I'm Ann." || m.At == "" {
			t.Fatalf("event %s %s, want the agent's message", ev.event, ev.data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message event")
	}
	// An agent's warning is a bot line outside the visitor's sends: the
	// page is told to read the transcript.
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/warn", `{"text": "Please stay polite."}`)
	next(`transcript {}`)
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/disconnect",
		`{"block": true, "reason_category": "abusive_language", "notes": "insulted-the-agent-7f3a", "minutes": 60}`)
	next(`state {"state":"agent_left"}`)
	next(`state {"state":"blocked","text":"Chat is closed."}`)
	// A supervisor lifts the block: the visitor gets the composer back
	// without trying again (IsBlockedForLiveChat still holds the last answer).
	active := conversationBlocks(t, e, superTok, "active")
	if len(active) != 1 {
		t.Fatalf("active conversation blocks = %+v", active)
	}
	e.must(t, http.StatusOK, nil, superTok, "POST", "/v1/admin/blocks/"+active[0].ID+"/lift", `{"notes": "second chance"}`)
	next(`state {"state":"bot"}`)

	cancel()
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }() // waits for the handler to return
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream handler did not end after the client went away")
	}
	for range events {
	}
}

// TestConversationEventsUnknown: an unknown conversation is 404 problem+json.
func TestConversationEventsUnknown(t *testing.T) {
	e := newStaffEnv(t)
	e.must(t, http.StatusNotFound, nil, "", "GET", "/v1/conversations/nope/events", "")
}

// openStream follows the event stream of conversation id on srv; next
// fails t unless the next event is want ("state {...}").
func openStream(t *testing.T, srv *httptest.Server, id string) (next func(want string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/conversations/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	events := readEvents(bufio.NewReader(res.Body))
	return func(want string) {
		t.Helper()
		select {
		case ev, ok := <-events:
			if got := ev.event + " " + ev.data; !ok || got != want {
				t.Fatalf("event %q (stream open: %v), want %q", got, ok, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no event; want %s", want)
		}
	}
}

// TestConversationEventsUserUnblocked: an authenticated visitor blocked by
// the agent's feedback, and the same user refused in a second
// conversation, both see "blocked" — then "bot" as soon as a supervisor
// unblocks the user, though the conversations keep their Blocked and
// IsBlockedForLiveChat flags.
func TestConversationEventsUserUnblocked(t *testing.T) {
	e := newStaffEnv(t)
	secret := []byte("host-site-shared-secret")
	srv := httptest.NewServer(server.New(e.app, nil, server.WithAuth(e.auth), server.WithEventPoll(5*time.Millisecond),
		server.WithBlockedText("Chat is closed."), server.WithVisitorTokenSecret(secret)))
	t.Cleanup(srv.Close) // after the streams' cleanups: Close waits for their handlers
	e.srv = srv
	tok, err := visitortoken.Sign(secret, visitortoken.Claims{Subject: "u-42", Name: "Dana", Expires: e.clk.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	start := func() string {
		var tr turn
		e.mustVisitor(t, http.StatusCreated, &tr, "POST", "/v1/conversations", `{"channel": "live_chat", "user_token": "`+tok+`"}`)
		e.mustVisitor(t, http.StatusOK, nil, "POST", "/v1/conversations/"+tr.ID+"/messages", `{"text": "I want an agent"}`)
		return tr.ID
	}
	first := start()
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+first+"/disconnect",
		`{"block": true, "reason_category": "fraud", "notes": "chargeback", "minutes": 1440}`)
	second := start() // refused: the user is blacklisted
	next1, next2 := openStream(t, srv, first), openStream(t, srv, second)
	next1(`state {"state":"blocked","text":"Chat is closed."}`)
	next2(`state {"state":"blocked","text":"Chat is closed."}`)

	e.must(t, http.StatusOK, nil, superTok, "POST", "/v1/admin/users/u-42/unblock", `{"notes": "appeal accepted"}`)
	next1(`state {"state":"bot"}`)
	next2(`state {"state":"bot"}`)
}
