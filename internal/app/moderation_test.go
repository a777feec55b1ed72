package app_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/moderation"
)

func newModApp(t *testing.T, store contextstore.Store, clk *clock.Fake, cfg app.Config) *app.App {
	t.Helper()
	cfg.BlockedMessage = app.Texts{"": "This chat has ended."}
	a, err := app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Config: cfg,
		EncryptionKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// send posts one visitor message and returns the turn or the limit error.
func send(t *testing.T, a *app.App, conv, text string, i int) (*flows.TurnResult, *moderation.LimitError) {
	t.Helper()
	res, err := a.Executor.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: conv, Text: text,
		Key: fmt.Sprint("k", i), VisitorIP: "203.0.113.9"})
	if le, ok := errors.AsType[*moderation.LimitError](err); ok {
		return nil, le
	}
	if err != nil {
		t.Fatalf("message %d: %v", i, err)
	}
	return res, nil
}

// TestFloodIsThrottledThenBlocked: an anonymous visitor sending 16
// messages within 8 s is throttled (the default limit: a burst of 10,
// then 20 a minute), each refusal is a strike, and the third strike within
// 10 minutes is an offence the ladder sanctions for an hour: a
// conversation block by automod:conversation_messages (reason spam), the
// neutral text, no more replies; the next offence gets a day.
func TestFloodIsThrottledThenBlocked(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	store := memory.New()
	a := newModApp(t, store, clk, app.Config{})
	var seq []string
	var last *flows.TurnResult
	for i := 1; i <= 16; i++ {
		res, le := send(t, a, "flood", "buy now", i)
		switch {
		case le != nil:
			seq = append(seq, "429")
			if le.RetryAfterSeconds() < 1 {
				t.Errorf("message %d: Retry-After %d", i, le.RetryAfterSeconds())
			}
		case res.Conversation.Info.Blocked && last == nil:
			seq, last = append(seq, "blocked"), res
		default:
			seq = append(seq, "ok")
		}
		clk.Advance(500 * time.Millisecond)
	}
	// A burst of 10, then one message per 3 s; the third refusal
	// completes the offence (the message is kept, the block answers it);
	// refusals of a blocked visitor are no strikes.
	if got := strings.Join(seq, " "); got != "ok ok ok ok ok ok ok ok ok ok ok 429 ok 429 blocked 429" {
		t.Fatalf("sequence: %s", got)
	}
	if got := strings.Join(last.Replies, "|"); got != "This chat has ended." {
		t.Errorf("replies of the blocking turn: %q, want only the neutral text", got)
	}
	blocks, err := store.ListBlocks(t.Context(), contextstore.BlockQuery{ConversationID: "flood"})
	if err != nil || len(blocks) != 1 {
		t.Fatalf("blocks: %v %v", blocks, err)
	}
	b := blocks[0]
	if b.CreatedBy != "automod:conversation_messages" || b.ReasonCategory != "spam" || b.Until == nil || b.Until.Sub(b.CreatedAt) != time.Hour {
		t.Errorf("block: by %s, category %s, until %v; want automod:conversation_messages, spam, 1 hour", b.CreatedBy, b.ReasonCategory, b.Until)
	}
	subj := a.Moderation.VisitorSubject(last.Conversation)
	if !strings.HasPrefix(subj, "ip:") || strings.Contains(subj, "203.0.113.9") {
		t.Fatalf("visitor subject %q: want a keyed hash of the IP", subj)
	}
	st, err := a.Moderation.Strikes(t.Context(), subj)
	if err != nil || st.Standing.Strikes != 3 || st.Standing.Offences != 1 || st.Standing.Next.String() != "1d" {
		t.Fatalf("standing %+v, %v; want 3 strikes, 1 offence, next 1d", st.Standing, err)
	}

	// The same visitor floods a new conversation an hour later: the
	// second offence gets a day.
	clk.Advance(time.Hour)
	for i := 100; i < 116; i++ {
		send(t, a, "flood2", "buy now", i)
		clk.Advance(500 * time.Millisecond)
	}
	blocks, _ = store.ListBlocks(t.Context(), contextstore.BlockQuery{ConversationID: "flood2"})
	if len(blocks) != 1 || blocks[0].Until.Sub(blocks[0].CreatedAt) != 24*time.Hour {
		t.Fatalf("second offence: %d blocks (want one of a day)", len(blocks))
	}

	// A supervisor clears the visitor's strikes: the ladder starts again.
	if _, err := a.Moderation.ClearStrikes(t.Context(), subj, "sup@acme.test", "false positive"); err != nil {
		t.Fatal(err)
	}
	st, _ = a.Moderation.Strikes(t.Context(), subj)
	if st.Standing.Strikes != 0 || st.Standing.Offences != 0 {
		t.Errorf("after clearing: %+v", st.Standing)
	}
	ev, _ := store.ListAudit(t.Context(), contextstore.AuditQuery{Action: moderation.AuditClearStrikes})
	if len(ev) != 1 || ev[0].Actor != "sup@acme.test" || strings.Contains(fmt.Sprint(ev[0].Details), subj) {
		t.Errorf("clear audit: %+v", ev)
	}
}

// TestRulesWarnCensorHoldBlock: the actions of watched-word rules, and
// shadow mode.
func TestRulesWarnCensorHoldBlock(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	three := 3
	cfg := app.Config{Moderation: moderation.Config{Rules: []moderation.Rule{
		{ID: "rude", Action: "warn", Words: []string{"idiot"}, Warning: "Please stay polite."},
		{ID: "mask", Action: "censor", Words: []string{"darn"}},
		{ID: "links", Action: "hold", Patterns: []string{`https?://\S+`}},
		{ID: "threat", Action: "block", Words: []string{"kill you"}, Period: "1d", ReasonCategory: "harassment"},
		{ID: "tuning", Action: "block", Words: []string{"scam"}, Shadow: true, Strikes: &three},
	}}}
	store := memory.New()
	a := newModApp(t, store, clk, cfg)
	step := func(conv, text string, i int) *flows.TurnResult {
		res, le := send(t, a, conv, text, i)
		if le != nil {
			t.Fatalf("%q throttled", text)
		}
		clk.Advance(time.Minute)
		return res
	}
	res := step("r1", "you idiot", 1)
	if strings.Join(res.Replies, "|") != "Please stay polite." {
		t.Errorf("warn replies %q", res.Replies)
	}
	res = step("r1", "darn it", 2)
	if got := lastUser(res.Conversation); got.Text != "**** it" {
		t.Errorf("censored line %q", got.Text)
	}
	res = step("r1", "see http://spam.example/x", 3)
	if got := lastUser(res.Conversation); !got.Held {
		t.Errorf("held line %+v", got)
	}
	res = step("r1", "this is a scam", 4)
	if res.Conversation.Info.Blocked {
		t.Errorf("a shadow rule blocked")
	}
	ev, _ := store.ListAudit(t.Context(), contextstore.AuditQuery{Action: moderation.AuditShadow})
	if len(ev) != 1 || ev[0].Actor != "automod:tuning" {
		t.Errorf("shadow audit %+v", ev)
	}
	res = step("r2", "I will kill you", 5)
	blocks, _ := store.ListBlocks(t.Context(), contextstore.BlockQuery{ConversationID: "r2"})
	if !res.Conversation.Info.Blocked || len(blocks) != 1 || blocks[0].CreatedBy != "automod:threat" || blocks[0].ReasonCategory != "harassment" ||
		blocks[0].Until.Sub(blocks[0].CreatedAt) != 24*time.Hour {
		t.Fatalf("block rule: blocked %v, blocks %+v", res.Conversation.Info.Blocked, blocks)
	}
	stats, err := a.Moderation.Rules(t.Context(), clk.Now().Add(-7*24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		want := 1
		if s.Enforced+s.Shadowed != want || len(s.Hits) != 1 {
			t.Errorf("rule %s: %d+%d hits", s.Rule.ID, s.Enforced, s.Shadowed)
		}
	}
	// Switching the shadow rule to enforce is audited and takes effect.
	if err := a.Moderation.SetShadow(t.Context(), "tuning", false, "admin@acme.test"); err != nil {
		t.Fatal(err)
	}
	res = step("r3", "scam scam", 6)
	if !res.Conversation.Info.Blocked {
		t.Errorf("the enforced rule did not block")
	}
}

func lastUser(c *contextstore.Conversation) contextstore.Message {
	for i := len(c.Transcript) - 1; i >= 0; i-- {
		if c.Transcript[i].From == contextstore.FromUser {
			return c.Transcript[i]
		}
	}
	return contextstore.Message{}
}

// TestModerationCheckAction: Moderation.Check, as the app wires it, reports
// the worst standing of the conversation's subjects: after two refused
// messages the next strike completes an offence, so Warn is true.
func TestModerationCheckAction(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	store := memory.New()
	a := newModApp(t, store, clk, app.Config{})
	refused := 0
	for i := 1; refused < 2; i++ {
		if _, le := send(t, a, "chk", "buy now", i); le != nil {
			refused++
		}
	}
	c, err := store.GetConversation(t.Context(), "chk")
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Registry.Invoke(t.Context(), &actions.Call{Action: "Moderation.Check", Conversation: c, Now: clk.Now()}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"Strikes": 2, "Recent": 2, "ToOffence": 0, "Offences": 0, "NextPeriod": "1h", "Warn": true}
	if !reflect.DeepEqual(res.Value, want) {
		t.Errorf("Moderation.Check = %#v\nwant %#v", res.Value, want)
	}
}

// TestModerationCheckInFlow: a flow branches on Moderation.Check's result
// (@InternalActionResult.Warn): a clean visitor is answered, one a strike
// short of an offence is warned first.
func TestModerationCheckInFlow(t *testing.T) {
	dir := t.TempDir()
	flow := `id: check
version: 1
trigger: message
steps:
  - id: check
    action: Moderation.Check
  - branch:
      - if: "=@InternalActionResult.Warn"
        goto: warn
    else: ok
  - id: ok
    say: "fine"
  - end: true
  - id: warn
    say: "careful: one more and this chat ends"
  - end: true
`
	if err := os.WriteFile(filepath.Join(dir, "check.flow.yaml"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{dir}, Clock: clk.Now,
		Config: app.Config{BlockedMessage: app.Texts{"": "This chat has ended."}}, EncryptionKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	var replies []string
	refused := 0
	for i := 1; refused < 2; i++ {
		res, le := send(t, a, "fl", "hello", i)
		if le != nil {
			refused++
			continue
		}
		replies = append(replies, res.Replies...)
	}
	if replies[0] != "fine" || replies[len(replies)-1] != "fine" {
		t.Errorf("replies before any strike = %q, want fine", replies)
	}
	clk.Advance(10 * time.Second) // the limit lets one more through
	res, le := send(t, a, "fl", "hello again", 100)
	if le != nil {
		t.Fatalf("still refused: %v", le)
	}
	if len(res.Replies) != 1 || res.Replies[0] != "careful: one more and this chat ends" {
		t.Errorf("replies with two recent strikes = %q, want the warning", res.Replies)
	}
}
