package blocking_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/events"
)

// TestSanctionOncePerCause: the same cause given to two services at once
// (two instances handling one event), again and again, stores one block,
// one audit event and one domain event each time; two causes store two.
func TestSanctionOncePerCause(t *testing.T) {
	rec := &events.Recorder{}
	e := newEnv(t, func(o *blocking.Options) { o.Events = rec })
	other := e.service(t, func(o *blocking.Options) { o.Events = rec })
	ctx := t.Context()
	for round := range 20 {
		conv := fmt.Sprintf("web-%d", round)
		req := func(cause string) blocking.NewBlock {
			return blocking.NewBlock{
				Kind: contextstore.KindConversation, ConversationID: conv, Channels: []string{blocking.ChannelLiveChat},
				Period: blocking.Period{Minutes: 60}, At: e.clk.Now(), Actor: "ann@acme.test",
				Source: contextstore.SourceFlow, Cause: cause,
			}
		}
		var wg sync.WaitGroup
		outs := make([]blocking.Outcome, 4)
		errs := make([]error, 4)
		for i, svc := range []*blocking.Service{e.svc, other, e.svc, other} {
			cause := conv + "/key-1/block"
			if i == 3 {
				cause = conv + "/key-2/block" // another event
			}
			wg.Go(func() { outs[i], errs[i] = svc.Sanction(ctx, req(cause)) })
		}
		wg.Wait()
		created := 0
		for i, o := range outs {
			if errs[i] != nil {
				t.Fatalf("round %d, request %d: %v", round, i, errs[i])
			}
			if o.Created {
				created++
			}
		}
		if outs[0].Block.ID != outs[1].Block.ID || outs[1].Block.ID != outs[2].Block.ID || outs[3].Block.ID == outs[0].Block.ID {
			t.Fatalf("round %d: blocks %s %s %s %s; want the first three equal, the fourth apart", round,
				outs[0].Block.ID, outs[1].Block.ID, outs[2].Block.ID, outs[3].Block.ID)
		}
		list, err := e.store.ListBlocks(ctx, contextstore.BlockQuery{ConversationID: conv})
		if err != nil {
			t.Fatal(err)
		}
		audit, err := e.store.ListAudit(ctx, contextstore.AuditQuery{Action: blocking.ActionCreate})
		if err != nil {
			t.Fatal(err)
		}
		if created != 2 || len(list) != 2 || len(audit) != 2*(round+1) || len(rec.Events(events.BlockCreated)) != 2*(round+1) {
			t.Fatalf("round %d: %d created, %d stored, %d audit events, %d domain events; want 2, 2, %d, %d",
				round, created, len(list), len(audit), len(rec.Events(events.BlockCreated)), 2*(round+1), 2*(round+1))
		}
	}
}

// TestSanctionAtIsTheTurnsClock: a request's At decides the start and the
// end once, whatever the service's clock says.
func TestSanctionAtIsTheTurnsClock(t *testing.T) {
	e := newEnv(t)
	at := t0.Add(-time.Second) // the turn read its clock a moment ago
	o, err := e.svc.Sanction(t.Context(), blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 90},
		At: at, Actor: "ann@acme.test", Source: contextstore.SourceFlow})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Block.CreatedAt.Equal(at) || !o.Block.Until.Equal(at.Add(90*time.Minute)) {
		t.Fatalf("block from %v until %v; want %v until %v", o.Block.CreatedAt, o.Block.Until, at, at.Add(90*time.Minute))
	}
}

// TestDecideConversation: the context's anonymous block, then the user's
// blacklist, then the IP table; a permanent mirror counts as permanent.
func TestDecideConversation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sealed, hash, err := e.svc.SealVisitorIP("203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	c := &contextstore.Conversation{ID: "web-1", Info: contextstore.ConversationInfo{VisitorIPCipher: sealed, VisitorIPHash: hash}}
	decide := func() blocking.Decision {
		t.Helper()
		d, err := e.svc.DecideConversation(ctx, c, blocking.ChannelLiveChat)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := decide(); d.Blocked {
		t.Fatalf("nobody blocked: %+v", d)
	}
	until := t0.Add(time.Hour)
	c.Info.LiveChatBlockedUntil = &until
	if d := decide(); !d.Blocked || d.Kind != contextstore.KindConversation || !d.Until.Equal(until) || d.Permanent {
		t.Fatalf("context block: %+v", d)
	}
	perm := blocking.PermanentUntil()
	c.Info.LiveChatBlockedUntil = &perm
	if d := decide(); !d.Blocked || !d.Permanent || !d.Until.IsZero() {
		t.Fatalf("permanent context block: %+v", d)
	}
	c.Info.LiveChatBlockedUntil = nil
	ban := e.create(t, blocking.NewBlock{Range: "203.0.113.0/24"})
	if d := decide(); !d.Blocked || d.BlockID != ban.ID || d.Kind != contextstore.KindRange || !d.Permanent {
		t.Fatalf("range ban: %+v", d)
	}
	// An unverified user id is never matched against the blacklist.
	c.User = contextstore.ChatUser{UserID: "u-5"}
	e.create(t, blocking.NewBlock{UserID: "u-5", Period: blocking.Period{Minutes: 60}})
	if d := decide(); d.Kind != contextstore.KindRange {
		t.Fatalf("unverified user matched: %+v", d)
	}
	c.User.IsAuthenticated = true
	if d := decide(); d.Kind != contextstore.KindUser {
		t.Fatalf("authenticated user: %+v", d)
	}
}
