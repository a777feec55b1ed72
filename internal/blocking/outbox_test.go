package blocking_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/events"
)

func outboxTypes(t *testing.T, e *env) ([]string, []events.Event) {
	t.Helper()
	list, err := e.store.ReadOutbox(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var evs []events.Event
	for _, o := range list {
		var ev events.Event
		if err := json.Unmarshal(o.Data, &ev); err != nil {
			t.Fatalf("outbox event %s: %v", o.ID, err)
		}
		if ev.Type != o.Type || ev.BlockID != o.Subject {
			t.Errorf("outbox event %s: %+v does not match its envelope %s/%s", o.ID, ev, o.Type, o.Subject)
		}
		types = append(types, o.Type)
		evs = append(evs, ev)
	}
	return types, evs
}

// TestOutboxFollowsEveryChange: create, renew, edit and lift each write
// one event to the store's outbox with the change; a refused change
// writes none; a ban's events are ban.*.
func TestOutboxFollowsEveryChange(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := e.create(t, blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 60}})
	if _, err := e.svc.Renew(ctx, b.ID, blocking.Period{Minutes: 120}, "sam@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	reason := "abuse"
	if _, err := e.svc.Edit(ctx, b.ID, blocking.Edit{Reason: &reason}, "sam@acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Lift(ctx, b.ID, "sam@acme.test", "sorry"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Lift(ctx, b.ID, "sam@acme.test", "again"); err == nil {
		t.Fatal("a second lift succeeded")
	}
	ban := e.create(t, blocking.NewBlock{Range: "203.0.113.0/24"})
	if _, err := e.svc.Lift(ctx, ban.ID, "ada@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	types, evs := outboxTypes(t, e)
	want := "block.created block.renewed block.edited block.lifted ban.created ban.lifted"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("outbox %s, want %s", got, want)
	}
	if evs[0].Actor != "admin@acme.test" || evs[0].Details["period"] != "1h" || evs[2].Details["changed"] != "reason" {
		t.Errorf("events %+v", evs[:3])
	}
	for _, ev := range evs {
		for _, v := range ev.Details {
			if strings.Contains(v, "abuse") || strings.Contains(v, "sorry") {
				t.Errorf("event %s carries free text %q", ev.Type, v)
			}
		}
	}
}

// TestExpiryAnnouncedOnce: two services (two instances) announcing
// expiries at once write one block.expired per expired block; a lifted
// block is never announced as expired.
func TestExpiryAnnouncedOnce(t *testing.T) {
	e := newEnv(t)
	other := e.service(t)
	ctx := t.Context()
	for i := range 5 {
		e.create(t, blocking.NewBlock{UserID: fmt.Sprint("u-", i), Period: blocking.Period{Minutes: 60}})
	}
	lifted := e.create(t, blocking.NewBlock{UserID: "u-lifted", Period: blocking.Period{Minutes: 60}})
	if _, err := e.svc.Lift(ctx, lifted.ID, "sam@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	e.create(t, blocking.NewBlock{UserID: "u-forever"})
	e.clk.Advance(61 * time.Minute)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		svc := e.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() {
			n, err := svc.AnnounceExpiries(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	types, evs := outboxTypes(t, e)
	expired := 0
	for i, typ := range types {
		if typ == events.BlockExpired {
			expired++
			if evs[i].BlockID == lifted.ID {
				t.Error("a lifted block was announced as expired")
			}
		}
	}
	if total := counts[0] + counts[1] + counts[2] + counts[3]; expired != 5 || total != 5 {
		t.Fatalf("%d block.expired events, %d announced in all (%v); want 5 and 5", expired, total, counts)
	}
	if n, _ := e.svc.AnnounceExpiries(ctx); n != 0 {
		t.Errorf("a later round announced %d again", n)
	}
	var list []*contextstore.Block
	list, _ = e.store.ListBlocks(ctx, contextstore.BlockQuery{})
	for _, b := range list {
		if b.ID != lifted.ID && b.Until != nil && !b.ExpiryAnnounced {
			t.Errorf("block %s ended but is not marked announced", b.ID)
		}
	}
}
