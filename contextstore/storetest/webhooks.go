package storetest

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// testWebhooks: subscriptions round-trip; deliveries are added once per
// (subscription, event) even by concurrent callers, come due in order per
// subject, keep their outcome, list newest first and go with their
// subscription; the cursor only moves forward.
func testWebhooks(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	ctx := t.Context
	del := func(sub, event, subject string) contextstore.WebhookDelivery {
		return contextstore.WebhookDelivery{SubscriptionID: sub, EventID: event, Type: "block.created", Subject: subject,
			At: t0, Data: []byte(`{"block_id":"` + subject + `"}`), State: contextstore.DeliveryPending, NextAt: t0}
	}
	events := func(ds []contextstore.WebhookDelivery) string {
		var out []string
		for _, d := range ds {
			out = append(out, d.SubscriptionID+"/"+d.EventID)
		}
		return strings.Join(out, " ")
	}

	t.Run("Subscriptions", func(t *testing.T) {
		s := newStore(t)
		wantErr(t, "GetWebhookSubscription of a missing id", func() error { _, err := s.GetWebhookSubscription(ctx(), "nope"); return err }(), contextstore.ErrNotFound)
		a := &contextstore.WebhookSubscription{ID: "whs_b", URL: "https://example.com/hook", SealedSecret: []byte{1, 2, 3},
			Types: []string{"block.created", "block.lifted"}, Enabled: true, CreatedAt: t0, CreatedBy: "admin@example.com", UpdatedAt: t0}
		noErr(t, "PutWebhookSubscription", s.PutWebhookSubscription(ctx(), a))
		noErr(t, "PutWebhookSubscription", s.PutWebhookSubscription(ctx(), &contextstore.WebhookSubscription{ID: "whs_a", URL: "https://example.org/", Enabled: false, CreatedAt: t0}))
		got, err := s.GetWebhookSubscription(ctx(), "whs_b")
		noErr(t, "GetWebhookSubscription", err)
		if got.URL != a.URL || !bytes.Equal(got.SealedSecret, a.SealedSecret) || !slices.Equal(got.Types, a.Types) || !got.Enabled || !got.CreatedAt.Equal(t0) || got.CreatedBy != a.CreatedBy {
			t.Errorf("got %+v, want %+v", got, a)
		}
		got.Enabled = false
		noErr(t, "PutWebhookSubscription (update)", s.PutWebhookSubscription(ctx(), got))
		list, err := s.ListWebhookSubscriptions(ctx())
		noErr(t, "ListWebhookSubscriptions", err)
		if len(list) != 2 || list[0].ID != "whs_a" || list[1].ID != "whs_b" || list[1].Enabled {
			t.Errorf("list %+v, want whs_a then the disabled whs_b", list)
		}
		noErr(t, "DeleteWebhookSubscription", s.DeleteWebhookSubscription(ctx(), "whs_a"))
		wantErr(t, "DeleteWebhookSubscription again", s.DeleteWebhookSubscription(ctx(), "whs_a"), contextstore.ErrNotFound)
	})

	t.Run("Deliveries", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"s1", "s2"} {
			noErr(t, "PutWebhookSubscription", s.PutWebhookSubscription(ctx(), &contextstore.WebhookSubscription{ID: id, URL: "https://example.com/", Enabled: true}))
		}
		n, err := s.AddWebhookDeliveries(ctx(), []contextstore.WebhookDelivery{del("s1", "e1", "b1"), del("s2", "e1", "b1"), del("s1", "e2", "b1"), del("s1", "e3", "b2")})
		noErr(t, "AddWebhookDeliveries", err)
		if n != 4 {
			t.Fatalf("added %d, want 4", n)
		}
		// Relaying the same events again (a retry, another instance) adds
		// only the new one.
		n, err = s.AddWebhookDeliveries(ctx(), []contextstore.WebhookDelivery{del("s1", "e2", "b1"), del("s1", "e4", "b2"), del("s1", "e4", "b2")})
		noErr(t, "AddWebhookDeliveries again", err)
		if n != 1 {
			t.Fatalf("added %d on the second call, want 1 (e4 once)", n)
		}
		due, err := s.DueWebhookDeliveries(ctx(), t0, 0)
		noErr(t, "DueWebhookDeliveries", err)
		if got := events(due); got != "s1/e1 s2/e1 s1/e3" {
			t.Fatalf("due %s, want s1/e1 s2/e1 s1/e3 (one head per subscription and subject)", got)
		}
		if due[0].Seq >= due[1].Seq || due[1].Seq >= due[2].Seq || !bytes.Equal(due[0].Data, []byte(`{"block_id":"b1"}`)) || !due[0].At.Equal(t0) || due[0].Type != "block.created" {
			t.Errorf("due %+v", due)
		}
		if d, _ := s.DueWebhookDeliveries(ctx(), t0, 1); len(d) != 1 {
			t.Errorf("limit 1: %d", len(d))
		}
		// s1/e1 fails and waits; s1/e3 is delivered.
		retry := due[0]
		retry.Attempts, retry.NextAt, retry.LastStatus, retry.LastError = 1, t0.Add(time.Minute), 500, "receiver answered 500"
		retry.Data = []byte("ignored") // event fields are kept as stored
		noErr(t, "SaveWebhookDelivery", s.SaveWebhookDelivery(ctx(), retry))
		ok := due[2]
		ok.State, ok.Attempts, ok.LastStatus, ok.DeliveredAt = contextstore.DeliveryDelivered, 1, 204, t0
		noErr(t, "SaveWebhookDelivery", s.SaveWebhookDelivery(ctx(), ok))
		due, err = s.DueWebhookDeliveries(ctx(), t0, 0)
		noErr(t, "DueWebhookDeliveries", err)
		if got := events(due); got != "s2/e1 s1/e4" {
			t.Errorf("due %s, want s2/e1 s1/e4 (s1/e2 waits behind the retried s1/e1)", got)
		}
		due, _ = s.DueWebhookDeliveries(ctx(), t0.Add(time.Minute), 0)
		if got := events(due); got != "s1/e1 s2/e1 s1/e4" {
			t.Errorf("due a minute later %s", got)
		}
		got, err := s.GetWebhookDelivery(ctx(), "s1", "e1")
		noErr(t, "GetWebhookDelivery", err)
		if got.Attempts != 1 || got.LastStatus != 500 || got.LastError != "receiver answered 500" || !got.NextAt.Equal(t0.Add(time.Minute)) || !bytes.Equal(got.Data, []byte(`{"block_id":"b1"}`)) || got.Seq == 0 {
			t.Errorf("saved %+v", got)
		}
		wantErr(t, "GetWebhookDelivery of a missing one", func() error { _, err := s.GetWebhookDelivery(ctx(), "s1", "e9"); return err }(), contextstore.ErrNotFound)
		wantErr(t, "SaveWebhookDelivery of a missing one", s.SaveWebhookDelivery(ctx(), del("s1", "e9", "b1")), contextstore.ErrNotFound)
		// A dead delivery made pending again (resend) is due again.
		dead, _ := s.GetWebhookDelivery(ctx(), "s1", "e3")
		dead.State, dead.Attempts, dead.NextAt = contextstore.DeliveryPending, 0, t0
		noErr(t, "SaveWebhookDelivery (resend)", s.SaveWebhookDelivery(ctx(), dead))
		due, _ = s.DueWebhookDeliveries(ctx(), t0, 0)
		if got := events(due); got != "s2/e1 s1/e3" {
			t.Errorf("due after resend %s, want s2/e1 s1/e3", got)
		}

		log, err := s.ListWebhookDeliveries(ctx(), "s1", 0)
		noErr(t, "ListWebhookDeliveries", err)
		if got := events(log); got != "s1/e4 s1/e3 s1/e2 s1/e1" {
			t.Errorf("log %s, want newest first", got)
		}
		if log, _ := s.ListWebhookDeliveries(ctx(), "s1", 2); events(log) != "s1/e4 s1/e3" {
			t.Errorf("log limit 2: %s", events(log))
		}
		noErr(t, "DeleteWebhookSubscription", s.DeleteWebhookSubscription(ctx(), "s1"))
		if log, _ := s.ListWebhookDeliveries(ctx(), "s1", 0); len(log) != 0 {
			t.Errorf("the deleted subscription's log: %s", events(log))
		}
		due, _ = s.DueWebhookDeliveries(ctx(), t0.Add(time.Hour), 0)
		if got := events(due); got != "s2/e1" {
			t.Errorf("due after deleting s1: %s", got)
		}
		// Re-adding after the delete is a new delivery.
		if n, _ := s.AddWebhookDeliveries(ctx(), []contextstore.WebhookDelivery{del("s1", "e1", "b1")}); n != 1 {
			t.Errorf("re-added %d", n)
		}
	})

	t.Run("ConcurrentAdd", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		counts := make([]int, 4)
		for i := range counts {
			wg.Go(func() {
				n, err := s.AddWebhookDeliveries(ctx(), []contextstore.WebhookDelivery{del("s1", "e1", "b1"), del("s1", "e2", "b1")})
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		if sum := counts[0] + counts[1] + counts[2] + counts[3]; sum != 2 {
			t.Errorf("four relays added %v deliveries, want 2 in all", counts)
		}
		log, _ := s.ListWebhookDeliveries(ctx(), "s1", 0)
		if got := events(log); got != "s1/e2 s1/e1" {
			t.Errorf("log %s", got)
		}
	})

	t.Run("Cursor", func(t *testing.T) {
		s := newStore(t)
		c, err := s.WebhookCursor(ctx())
		noErr(t, "WebhookCursor", err)
		if c != "" {
			t.Fatalf("new cursor %q", c)
		}
		noErr(t, "AdvanceWebhookCursor", s.AdvanceWebhookCursor(ctx(), "00000000000000000005"))
		noErr(t, "AdvanceWebhookCursor back", s.AdvanceWebhookCursor(ctx(), "00000000000000000003"))
		if c, _ := s.WebhookCursor(ctx()); c != "00000000000000000005" {
			t.Errorf("cursor %q, want ...5 (never back)", c)
		}
		noErr(t, "AdvanceWebhookCursor", s.AdvanceWebhookCursor(ctx(), "00000000000000000012"))
		if c, _ := s.WebhookCursor(ctx()); c != "00000000000000000012" {
			t.Errorf("cursor %q, want ...12", c)
		}
	})
}
