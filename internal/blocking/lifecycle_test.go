package blocking_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
)

func TestBlockUserForLiveChat(t *testing.T) {
	tests := []struct {
		name string
		save bool
		// prior is a ChatActivityData stored before the block, if any.
		prior *contextstore.ChatActivityData
	}{
		{name: "save", save: true},
		{name: "save over existing activity", save: true, prior: &contextstore.ChatActivityData{UserID: "u-42"}},
		{name: "do not save", save: false},
		{name: "do not save, existing activity untouched", save: false, prior: &contextstore.ChatActivityData{UserID: "u-42"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			if tc.prior != nil {
				if err := e.store.PutActivity(ctx, tc.prior); err != nil {
					t.Fatal(err)
				}
			}
			b, act, err := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{
				UserID: "u-42", ConversationID: "app-1", AgentEmail: "ann@acme.test", Minutes: 60,
				ReasonCategory: "fraud", Reason: "chargeback scam", Notes: "third time", SaveToChatActivityData: tc.save,
			})
			if err != nil {
				t.Fatal(err)
			}
			until := t0.Add(time.Hour)
			if b.Kind != contextstore.KindUser || b.UserID != "u-42" || b.ConversationID != "app-1" ||
				strings.Join(b.Channels, ",") != "live_chat" || !b.CreatedAt.Equal(t0) || !b.Until.Equal(until) ||
				b.Reason != "chargeback scam" || b.ReasonCategory != "fraud" || b.CreatedBy != "ann@acme.test" {
				t.Fatalf("block %+v", b)
			}
			stored, getErr := e.store.GetActivity(ctx, "u-42")
			if !tc.save {
				if act != nil {
					t.Fatalf("activity returned %+v, want nil", act)
				}
				switch {
				case tc.prior == nil && !errors.Is(getErr, contextstore.ErrNotFound):
					t.Fatalf("activity was created: %+v, %v", stored, getErr)
				case tc.prior != nil && (stored.Version != 1 || stored.LiveChatBlockedUntil != nil):
					t.Fatalf("activity was written: %+v", stored)
				}
			} else {
				if getErr != nil {
					t.Fatal(getErr)
				}
				if act == nil || act.Version != stored.Version {
					t.Fatalf("returned %+v, stored %+v", act, stored)
				}
				if !stored.LiveChatBlockedUntil.Equal(until) || !stored.LiveChatBlockedAt.Equal(t0) ||
					stored.LiveChatBlockedReason != "chargeback scam" || stored.LiveChatBlockedByAgentName != "ann@acme.test" {
					t.Fatalf("activity %+v", stored)
				}
			}
			// The blacklist holds on live chat only, until the end.
			if d := e.check(t, nil, blocking.Subject{UserID: "u-42", Channel: "live_chat"}); !d.Blocked || d.BlockID != b.ID || d.Kind != contextstore.KindUser || !d.Until.Equal(until) {
				t.Fatalf("decision %+v", d)
			}
			if d := e.check(t, nil, blocking.Subject{UserID: "u-42", Channel: "forum"}); d.Blocked {
				t.Fatalf("forum decision %+v", d)
			}
		})
	}
}

func TestBlockUserForLiveChatInput(t *testing.T) {
	e := newEnv(t)
	_, _, err := e.svc.BlockUserForLiveChat(t.Context(), blocking.LiveChatBlock{Minutes: 0})
	want := "invalid input: user_id: required for a user block; period: required: use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90"
	if errText(err) != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	// An unknown category from agent feedback does not fail the block; no
	// agent means the flow blocked.
	b, _, err := e.svc.BlockUserForLiveChat(t.Context(), blocking.LiveChatBlock{UserID: "u-1", Minutes: 5, ReasonCategory: "rude"})
	if err != nil {
		t.Fatal(err)
	}
	if b.ReasonCategory != blocking.CategoryOther || b.CreatedBy != blocking.ActorFlow {
		t.Fatalf("block %+v", b)
	}
}

// TestExpiry: a block ends by itself when its time is up; nothing sweeps.
func TestExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b, _, err := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: "u-7", AgentEmail: "ann@acme.test", Minutes: 1440, Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	ban := e.create(t, blocking.NewBlock{IP: "198.51.100.7", Period: blocking.Period{Minutes: 1440}})
	sub := blocking.Subject{UserID: "u-7", Channel: "live_chat"}

	e.clk.Advance(1440*time.Minute - time.Second)
	if d := e.check(t, nil, sub); !d.Blocked {
		t.Fatal("not blocked a second before the end")
	}
	if d := e.check(t, nil, ipSub("198.51.100.7")); !d.Blocked || d.Kind != contextstore.KindIP {
		t.Fatalf("ip decision a second before the end: %+v", d)
	}
	v, err := e.svc.Get(ctx, b.ID)
	if err != nil || v.Status != blocking.StatusActive || v.TimeLeft == nil || *v.TimeLeft != time.Second {
		t.Fatalf("view %+v, %v", v, err)
	}

	e.clk.Advance(time.Second)
	if d := e.check(t, nil, sub); d.Blocked {
		t.Fatalf("still blocked at the end: %+v", d)
	}
	if d := e.check(t, nil, ipSub("198.51.100.7")); d.Blocked {
		t.Fatalf("ip still banned at the end: %+v", d)
	}
	active, err := e.svc.List(ctx, contextstore.BlockQuery{Status: contextstore.StatusActive})
	if err != nil || len(active) != 0 {
		t.Fatalf("active: %d, %v", len(active), err)
	}
	hist, err := e.svc.History(ctx, contextstore.BlockQuery{})
	if err != nil || len(hist) != 2 || hist[0].Block.ID != b.ID || hist[1].Block.ID != ban.ID {
		t.Fatalf("history %v, %v", hist, err)
	}
	for _, v := range hist {
		if v.Status != blocking.StatusExpired || v.TimeLeft != nil || v.EndedAt == nil || !v.EndedAt.Equal(t0.Add(1440*time.Minute)) {
			t.Fatalf("history view %+v", v)
		}
	}
	if hist[1].IP != "198.51.100.7" {
		t.Errorf("history ip = %q", hist[1].IP)
	}
}

func TestLift(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := e.create(t, blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 60}, Actor: "ann@acme.test"})
	e.clk.Advance(10 * time.Minute)

	if _, err := e.svc.Lift(ctx, b.ID, "", ""); errText(err) != "invalid input: actor: required: who makes the change" {
		t.Fatalf("lift without actor: %v", err)
	}
	l, err := e.svc.Lift(ctx, b.ID, "boss@acme.test", "apologised by email")
	if err != nil {
		t.Fatal(err)
	}
	if l.LiftedAt == nil || !l.LiftedAt.Equal(t0.Add(10*time.Minute)) || l.LiftedBy != "boss@acme.test" || l.LiftNotes != "apologised by email" || !l.UpdatedAt.Equal(*l.LiftedAt) {
		t.Fatalf("lifted %+v", l)
	}
	if d := e.check(t, nil, blocking.Subject{UserID: "u-1", Channel: "live_chat"}); d.Blocked {
		t.Fatalf("still blocked: %+v", d)
	}
	v, _ := e.svc.Get(ctx, b.ID)
	if v.Status != blocking.StatusLifted || !v.EndedAt.Equal(*l.LiftedAt) {
		t.Fatalf("view %+v", v)
	}
	hist, _ := e.svc.History(ctx, contextstore.BlockQuery{UserID: "u-1"})
	if len(hist) != 1 || hist[0].Status != blocking.StatusLifted {
		t.Fatalf("history %+v", hist)
	}

	_, err = e.svc.Lift(ctx, b.ID, "boss@acme.test", "again")
	if want := "lifting block " + b.ID + ": block is not active: it was lifted by boss@acme.test at 2026-01-05T10:10:00Z"; errText(err) != want || !errors.Is(err, blocking.ErrNotActive) {
		t.Fatalf("second lift: %v\nwant %s", err, want)
	}
	_, err = e.svc.Lift(ctx, "nope", "boss@acme.test", "")
	if !errors.Is(err, contextstore.ErrNotFound) {
		t.Fatalf("lift of unknown block: %v", err)
	}
	got := auditActions(t, e.svc, b.ID)
	if want := "block.create by ann@acme.test|block.lift by boss@acme.test"; strings.Join(got, "|") != want {
		t.Fatalf("audit %v, want %s", got, want)
	}
}

func TestUnblockUserClearsChatActivityData(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b1, _, err := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: "u-42", AgentEmail: "ann@acme.test", Minutes: 60, Reason: "abuse", SaveToChatActivityData: true})
	if err != nil {
		t.Fatal(err)
	}
	b2 := e.create(t, blocking.NewBlock{UserID: "u-42", Channels: []string{"forum"}, Period: blocking.Period{Minutes: 600}})
	other := e.create(t, blocking.NewBlock{UserID: "u-43", Period: blocking.Period{Minutes: 600}})

	n, err := e.svc.UnblockUser(ctx, "u-42", "admin@acme.test", "apologised")
	if err != nil || n != 2 {
		t.Fatalf("UnblockUser = %d, %v", n, err)
	}
	act, err := e.store.GetActivity(ctx, "u-42")
	if err != nil {
		t.Fatal(err)
	}
	if act.LiveChatBlockedUntil != nil || act.LiveChatBlockedAt != nil || act.LiveChatBlockedReason != "" || act.LiveChatBlockedByAgentName != "" {
		t.Fatalf("activity not cleared: %+v", act)
	}
	for _, id := range []string{b1.ID, b2.ID} {
		v, _ := e.svc.Get(ctx, id)
		if v.Status != blocking.StatusLifted || v.Block.LiftedBy != "admin@acme.test" || v.Block.LiftNotes != "apologised" {
			t.Fatalf("block %s: %+v", id, v.Block)
		}
		if got := auditActions(t, e.svc, id); len(got) != 2 || got[1] != "block.lift by admin@acme.test" {
			t.Fatalf("audit of %s: %v", id, got)
		}
	}
	if v, _ := e.svc.Get(ctx, other.ID); v.Status != blocking.StatusActive {
		t.Fatal("another user's block was lifted")
	}
	if d := e.check(t, nil, blocking.Subject{UserID: "u-42", Channel: "live_chat"}); d.Blocked {
		t.Fatalf("still blocked %+v", d)
	}
	// Again: nothing to lift, not an error.
	if n, err := e.svc.UnblockUser(ctx, "u-42", "admin@acme.test", ""); n != 0 || err != nil {
		t.Fatalf("second UnblockUser = %d, %v", n, err)
	}
}

// TestLiftMirrorsRemainingBlock: with two live-chat blocks, lifting the one
// the activity shows makes it show the other; the last lift clears it.
func TestLiftMirrorsRemainingBlock(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	short, _, _ := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: "u-1", AgentEmail: "ann@acme.test", Minutes: 60, Reason: "short", SaveToChatActivityData: true})
	e.clk.Advance(time.Minute)
	long, _, _ := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: "u-1", AgentEmail: "bob@acme.test", Minutes: 600, Reason: "long", SaveToChatActivityData: true})
	if _, err := e.svc.Lift(ctx, long.ID, "admin@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	act, _ := e.store.GetActivity(ctx, "u-1")
	if !act.LiveChatBlockedUntil.Equal(*short.Until) || act.LiveChatBlockedReason != "short" || act.LiveChatBlockedByAgentName != "ann@acme.test" || !act.LiveChatBlockedAt.Equal(t0) {
		t.Fatalf("activity %+v", act)
	}
	if _, err := e.svc.Lift(ctx, short.ID, "admin@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	act, _ = e.store.GetActivity(ctx, "u-1")
	if act.LiveChatBlockedUntil != nil || act.LiveChatBlockedReason != "" {
		t.Fatalf("activity %+v", act)
	}
}

func putConversation(t *testing.T, e *env, id string, until *time.Time) {
	t.Helper()
	c := &contextstore.Conversation{ID: id, Info: contextstore.ConversationInfo{ConversationID: id, Channel: "live_chat", LiveChatBlockedUntil: until, Blocked: until != nil}}
	if err := e.store.PutConversation(t.Context(), c); err != nil {
		t.Fatal(err)
	}
}

func TestLiftConversationBlockClearsContext(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	until := t0.Add(24 * time.Hour)
	// What IsBlockedForLiveChat does for an anonymous user: the context
	// gets the block, the service the record.
	putConversation(t, e, "web-1", &until)
	rec, err := e.svc.RecordConversationBlock(ctx, blocking.ConversationBlock{ConversationID: "web-1", AgentEmail: "ann@acme.test", Until: until, Reason: "insults", ReasonCategory: "abusive_language"})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := e.store.GetConversation(ctx, "web-1"); c.Version != 1 {
		t.Fatalf("RecordConversationBlock wrote the context (version %d)", c.Version)
	}
	if rec.Kind != contextstore.KindConversation || !rec.Until.Equal(until) || strings.Join(rec.Channels, ",") != "live_chat" {
		t.Fatalf("record %+v", rec)
	}
	if d := e.check(t, nil, blocking.Subject{ConversationID: "web-1", Channel: "live_chat"}); !d.Blocked || d.Kind != contextstore.KindConversation {
		t.Fatalf("decision %+v", d)
	}

	if u, err := e.svc.ConversationUntil(ctx, "web-1"); err != nil || u == nil || !u.Equal(until) {
		t.Fatalf("ConversationUntil = %v, %v; want %v", u, err, until)
	}
	if _, err := e.svc.Lift(ctx, rec.ID, "manager@acme.test", "unblock now"); err != nil {
		t.Fatal(err)
	}
	// The service never writes the context (the pipeline does, through
	// the executor): it says what the context should now hold.
	if c, _ := e.store.GetConversation(ctx, "web-1"); c.Version != 1 {
		t.Fatalf("Lift wrote the context (version %d)", c.Version)
	}
	if u, err := e.svc.ConversationUntil(ctx, "web-1"); err != nil || u != nil {
		t.Fatalf("ConversationUntil after the lift = %v, %v; want nil", u, err)
	}
	if d := e.check(t, nil, blocking.Subject{ConversationID: "web-1", Channel: "live_chat"}); d.Blocked {
		t.Fatalf("decision %+v", d)
	}
}

func TestRecordConversationUnblockLeavesContext(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	until := t0.Add(time.Hour)
	putConversation(t, e, "web-1", &until)
	rec, err := e.svc.RecordConversationBlock(ctx, blocking.ConversationBlock{ConversationID: "web-1", Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if rec.CreatedBy != blocking.ActorFlow {
		t.Errorf("CreatedBy %q", rec.CreatedBy)
	}
	n, err := e.svc.RecordConversationUnblock(ctx, "web-1", "flow", "lifted by the conversation's flow")
	if err != nil || n != 1 {
		t.Fatalf("RecordConversationUnblock = %d, %v", n, err)
	}
	if c, _ := e.store.GetConversation(ctx, "web-1"); c.Version != 1 {
		t.Fatal("the context was written; the flow's turn owns it")
	}
	if v, _ := e.svc.Get(ctx, rec.ID); v.Status != blocking.StatusLifted || v.Block.LiftedBy != "flow" {
		t.Fatalf("record %+v", v.Block)
	}
	_, err = e.svc.RecordConversationBlock(ctx, blocking.ConversationBlock{ConversationID: "web-1", Until: t0})
	if want := "invalid input: period: required: use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90"; errText(err) != want {
		t.Fatalf("got %v", err)
	}
}

func TestConversationUntilFollowsRenewAndEdit(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	putConversation(t, e, "web-2", nil)
	until := func() *time.Time {
		t.Helper()
		u, err := e.svc.ConversationUntil(ctx, "web-2")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	// An admin blocks a conversation: the context should get the block.
	b := e.create(t, blocking.NewBlock{ConversationID: "web-2", Period: blocking.Period{Minutes: 60}})
	if u := until(); u == nil || !u.Equal(t0.Add(time.Hour)) {
		t.Fatalf("ConversationUntil = %v", u)
	}
	e.clk.Advance(30 * time.Minute)
	if _, err := e.svc.Renew(ctx, b.ID, blocking.Period{Permanent: true}, "admin@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	if u := until(); u == nil || !u.Equal(blocking.PermanentUntil()) {
		t.Fatalf("ConversationUntil = %v, want PermanentUntil", u)
	}
	// Moving the block off live chat unblocks the live chat.
	if _, err := e.svc.Edit(ctx, b.ID, blocking.Edit{Channels: &[]string{"forum"}}, "admin@acme.test"); err != nil {
		t.Fatal(err)
	}
	if u := until(); u != nil {
		t.Fatalf("ConversationUntil = %v, want nil", u)
	}
	if c, _ := e.store.GetConversation(ctx, "web-2"); c.Version != 1 {
		t.Fatalf("the service wrote the context (version %d)", c.Version)
	}
}

func TestRenew(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b, _, _ := e.svc.BlockUserForLiveChat(ctx, blocking.LiveChatBlock{UserID: "u-1", AgentEmail: "ann@acme.test", Minutes: 60, Reason: "spam", SaveToChatActivityData: true})
	e.clk.Advance(2 * time.Hour) // expired
	if d := e.check(t, nil, blocking.Subject{UserID: "u-1", Channel: "live_chat"}); d.Blocked {
		t.Fatal("blocked after expiry")
	}
	r, err := e.svc.Renew(ctx, b.ID, blocking.Period{Minutes: blocking.MinutesPerWeek}, "boss@acme.test", "did it again")
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * time.Hour)
	if !r.Until.Equal(now.Add(7*24*time.Hour)) || r.Notes != "2026-01-05T12:00:00Z renewed by boss@acme.test: did it again" || !r.UpdatedAt.Equal(now) {
		t.Fatalf("renewed %+v", r)
	}
	if d := e.check(t, nil, blocking.Subject{UserID: "u-1", Channel: "live_chat"}); !d.Blocked {
		t.Fatal("not blocked after renewal")
	}
	act, _ := e.store.GetActivity(ctx, "u-1")
	if !act.LiveChatBlockedUntil.Equal(*r.Until) {
		t.Fatalf("activity until %v, want %v", act.LiveChatBlockedUntil, r.Until)
	}
	evs, _ := e.svc.Audit(ctx, contextstore.AuditQuery{BlockID: b.ID, Action: blocking.ActionRenew})
	if len(evs) != 1 || evs[0].Details["previous_until"] != "2026-01-05T11:00:00Z" || evs[0].Details["until"] != "2026-01-12T12:00:00Z" || evs[0].Details["period"] != "7d" || evs[0].Actor != "boss@acme.test" {
		t.Fatalf("renew audit %+v", evs)
	}
	if _, err := e.svc.Lift(ctx, b.ID, "boss@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Renew(ctx, b.ID, blocking.Period{Minutes: 60}, "ann@acme.test", "")
	if want := "renewing block " + b.ID + ": block was lifted by boss@acme.test at 2026-01-05T12:00:00Z; create a new block instead"; errText(err) != want || !errors.Is(err, blocking.ErrLifted) {
		t.Fatalf("renew of lifted: %v\nwant %s", err, want)
	}
	_, err = e.svc.Renew(ctx, b.ID, blocking.Period{}, "", "")
	if want := "invalid input: period: required: use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90; actor: required: who makes the change"; errText(err) != want {
		t.Fatalf("bad renew: %v", err)
	}
}

func TestEdit(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := e.create(t, blocking.NewBlock{Range: "203.0.113.0/24", Period: blocking.Period{Minutes: 60}, Reason: "bots"})
	end := time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)
	ed, err := e.svc.Edit(ctx, b.ID, blocking.Edit{
		ReasonCategory: ptr(blocking.CategoryFraud), Reason: ptr("card testing"), Notes: ptr("from the payments team"),
		Channels: &[]string{"contact_form", "live_chat"}, Until: &end,
	}, "boss@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if ed.ReasonCategory != "fraud" || ed.Reason != "card testing" || ed.Notes != "from the payments team" ||
		strings.Join(ed.Channels, ",") != "contact_form,live_chat" || !ed.Until.Equal(end) || ed.Version != 2 {
		t.Fatalf("edited %+v", ed)
	}
	evs, _ := e.svc.Audit(ctx, contextstore.AuditQuery{BlockID: b.ID, Action: blocking.ActionEdit})
	if len(evs) != 1 || evs[0].Details["changed"] != "reason_category,reason,notes,channels,until" ||
		evs[0].Details["until"] != "2026-03-30T00:00:00Z" || evs[0].Details["channels"] != "contact_form,live_chat" || evs[0].Actor != "boss@acme.test" {
		t.Fatalf("edit audit %+v", evs)
	}
	if d := e.check(t, nil, blocking.Subject{IP: ipSub("203.0.113.9").IP, Channel: "forum"}); d.Blocked {
		t.Fatal("edited channels not applied to the ban table")
	}
	if d := e.check(t, nil, blocking.Subject{IP: ipSub("203.0.113.9").IP, Channel: "contact_form"}); !d.Blocked || !d.Until.Equal(end) {
		t.Fatalf("decision %+v", d)
	}

	past := t0.Add(-time.Minute)
	tests := []struct {
		name string
		edit blocking.Edit
		want string
	}{
		{"nothing", blocking.Edit{}, "invalid input: edit: nothing to change"},
		{"end in the past", blocking.Edit{Until: &past}, "invalid input: until: 2026-01-05T09:59:00Z is not after now (2026-01-05T10:00:00Z); lift the block to end it now"},
		{"end and permanent", blocking.Edit{Until: &end, Permanent: true}, "invalid input: until: choose either an end or permanent, not both"},
		{"bad category and channel", blocking.Edit{ReasonCategory: ptr("x"), Channels: &[]string{"fax"}},
			`invalid input: reason_category: unknown category "x"; use one of abusive_language, spam, harassment, fraud, terms_violation, other; channels[0]: unknown channel "fax"; use live_chat, contact_form, call, forum, or no channels for all`},
		{"clear category of a ban", blocking.Edit{ReasonCategory: ptr("")}, "invalid input: reason_category: required: one of abusive_language, spam, harassment, fraud, terms_violation, other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.Edit(ctx, b.ID, tc.edit, "boss@acme.test")
			if errText(err) != tc.want || !errors.Is(err, blocking.ErrInvalid) {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	// Permanent, then lifted: the end of a lifted block cannot change, its
	// notes can.
	if ed, err := e.svc.Edit(ctx, b.ID, blocking.Edit{Permanent: true}, "boss@acme.test"); err != nil || ed.Until != nil {
		t.Fatalf("permanent: %+v, %v", ed, err)
	}
	if _, err := e.svc.Lift(ctx, b.ID, "boss@acme.test", "false positive"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Edit(ctx, b.ID, blocking.Edit{Until: &end}, "boss@acme.test"); !errors.Is(err, blocking.ErrLifted) {
		t.Fatalf("edit end of lifted: %v", err)
	}
	if _, err := e.svc.Edit(ctx, b.ID, blocking.Edit{Notes: ptr("checked again")}, "boss@acme.test"); err != nil {
		t.Fatalf("edit notes of lifted: %v", err)
	}
}
