package flows_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
)

// reverseSealer is a stand-in for privacy.Sealer: "sealing" reverses the
// text, the "hash" is h(<ip>) with the address reversed too, so that no
// stored byte sequence equals the clear address.
type reverseSealer struct{ calls *int }

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func (r reverseSealer) SealVisitorIP(ip string) ([]byte, string, error) {
	*r.calls++
	if ip == "fail" {
		return nil, "", errors.New("no key")
	}
	return []byte(reverse(ip)), "h(" + reverse(ip) + ")", nil
}

// TestVisitorIPIsSealed: a new conversation keeps the address only in the
// sealer's form; without a sealer no address is kept at all; a sealing
// failure fails the turn and stores nothing.
func TestVisitorIPIsSealed(t *testing.T) {
	f := newFixture(t)
	f.write("greet.flow.yaml", greetFlow)
	set := f.load()
	var calls int
	e := f.executor(set, func(o *flows.Options) { o.Hooks = append(o.Hooks, reverseSealer{&calls}) })

	const ip = "203.0.113.7"
	if _, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c1", Text: "hi", VisitorIP: ip}); err != nil {
		t.Fatal(err)
	}
	c, err := f.store.GetConversation(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Info.VisitorIPCipher) != reverse(ip) || c.Info.VisitorIPHash != "h("+reverse(ip)+")" || c.Info.LegacyVisitorIP != "" {
		t.Errorf("Info = %+v, want only the sealed address", c.Info)
	}
	// A later event's address does not reseal or replace it.
	if _, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c1", Text: "Bob", VisitorIP: "198.51.100.1"}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("sealer called %d times, want once (at creation)", calls)
	}

	if _, err := e.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c2", Text: "hi", VisitorIP: "fail"}); err == nil || !strings.Contains(err.Error(), "sealing the visitor ip: no key") {
		t.Errorf("err = %v, want the sealing error", err)
	}
	if _, err := f.store.GetConversation(t.Context(), "c2"); !errors.Is(err, contextstore.ErrNotFound) {
		t.Errorf("a failed seal stored the conversation: %v", err)
	}

	plain := f.executor(set)
	if _, err := plain.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c3", Text: "hi", VisitorIP: ip}); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.store.GetConversation(t.Context(), "c3"); c.Info.HasVisitorIP() {
		t.Errorf("without a sealer Info = %+v, want no address", c.Info)
	}
}

// TestLegacyVisitorIPMigrates: a context written before addresses were
// sealed ("VisitorIP" in clear) is sealed and loses the clear address on
// its next turn, and on its next update.
func TestLegacyVisitorIPMigrates(t *testing.T) {
	f := newFixture(t)
	f.write("greet.flow.yaml", greetFlow)
	var calls int
	e := f.executor(f.load(), func(o *flows.Options) { o.Hooks = append(o.Hooks, reverseSealer{&calls}) })
	ctx := t.Context()
	for _, id := range []string{"old-turn", "old-update"} {
		c := &contextstore.Conversation{ID: id, Vars: map[string]any{}, CreatedAt: t0, UpdatedAt: t0,
			Info: contextstore.ConversationInfo{ConversationID: id, Channel: "live_chat", StartedAt: t0, LegacyVisitorIP: "192.0.2.44"}}
		if err := f.store.PutConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	send(t, e, "old-turn", "hi")
	if _, err := e.Update(ctx, "old-update", func(_ context.Context, t *flows.Turn) error {
		t.Conversation.Info.MarkedSpam = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"old-turn", "old-update"} {
		c, err := f.store.GetConversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Info.LegacyVisitorIP != "" || !bytes.Equal(c.Info.VisitorIPCipher, []byte(reverse("192.0.2.44"))) {
			t.Errorf("%s: Info = %+v, want the address sealed and the clear one gone", id, c.Info)
		}
	}
}

// TestFlowsCannotReadTheVisitorIP: the clear address is no field of
// [[ConversationInfo]]: a flow that reads it fails to load.
func TestFlowsCannotReadTheVisitorIP(t *testing.T) {
	f := newFixture(t)
	f.write("ip.flow.yaml", "id: ip\nversion: 1\ntrigger: message\nsteps:\n  - say: \"${[[ConversationInfo]].VisitorIP}\"\n")
	l, err := flows.NewLoader(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	_, probs := l.Load(f.dir)
	if err := probs.Err(); err == nil || !strings.Contains(err.Error(), "[[ConversationInfo]] has no field VisitorIP") {
		t.Errorf("load error = %v, want no field VisitorIP", err)
	}
}
