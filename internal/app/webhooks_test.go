package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/webhooks"
)

// hookReceiver is a real HTTP receiver on loopback that answers 500 for
// its first fail requests, hangs past the sender's timeout for the next
// hang ones, then 204; it records every request.
type hookReceiver struct {
	srv        *httptest.Server
	mu         sync.Mutex
	fail, hang int
	got        []hookRequest
}

type hookRequest struct {
	ID, Timestamp, Signature string
	Body                     []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	release := make(chan struct{})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, hookRequest{req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body})
		fail, hang := r.fail > 0, r.fail == 0 && r.hang > 0
		switch {
		case fail:
			r.fail--
		case hang:
			r.hang--
		}
		r.mu.Unlock()
		switch {
		case fail:
			w.WriteHeader(http.StatusInternalServerError)
		case hang:
			select {
			case <-release:
			case <-req.Context().Done():
			}
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(func() { close(release); r.srv.Close() })
	return r
}

func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...)
}

func openBolt(t *testing.T, path string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func webhookApp(t *testing.T, store contextstore.Store, clk *clock.Fake, key []byte) *app.App {
	t.Helper()
	a, err := app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, EncryptionKey: key,
		Config: app.Config{Webhooks: app.WebhooksConfig{AllowPrivate: true, Timeout: app.Duration(300 * time.Millisecond), MaxAttempts: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestWebhooksEndToEndAcrossRestart: a block created and lifted through
// the blocking service reaches a loopback receiver as block.created then
// block.lifted, signed; the receiver fails, the process restarts (the
// embedded store is reopened), the relay resumes from its cursor without
// enqueueing anything twice, the receiver times out, then recovers, and
// every redelivery carries the same webhook-id.
func TestWebhooksEndToEndAcrossRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "chatflow.db")
	key := privacy.NewKey()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	recv := newHookReceiver(t)
	recv.fail, recv.hang = 1, 1

	store := openBolt(t, path)
	a := webhookApp(t, store, clk, key)
	sub, secretText, err := a.Webhooks.Create(ctx, "admin@acme.test", webhooks.SubscriptionInput{URL: &recv.srv.URL, Types: &[]string{events.BlockCreated, events.BlockLifted}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secretText, "whsec_") || strings.Contains(string(sub.SealedSecret), strings.TrimPrefix(secretText, "whsec_")) {
		t.Fatalf("secret %q, sealed %q: want whsec_… stored sealed", secretText, sub.SealedSecret)
	}
	b, err := a.Blocking.Create(ctx, blocking.NewBlock{UserID: "u-1", Actor: "admin@acme.test", ReasonCategory: blocking.CategorySpam, Period: blocking.Period{Minutes: 60}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Blocking.Lift(ctx, b.ID, "admin@acme.test", "resolved"); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Webhooks.Relay(ctx, 100); err != nil || n < 2 {
		t.Fatalf("Relay = %d, %v; want the block's two events", n, err)
	}
	if n, err := a.Dispatcher.RunOnce(ctx, 10); n != 1 || err != nil { // block.created: 500; block.lifted waits
		t.Fatalf("first dispatch: %d, %v", n, err)
	}

	// Restart: a new process on the same file.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	store = openBolt(t, path)
	defer store.Close()
	a = webhookApp(t, store, clk, key)
	if n, err := a.Webhooks.Relay(ctx, 100); n != 0 || err != nil {
		t.Fatalf("Relay after the restart = %d, %v; want 0 (resumed from the cursor)", n, err)
	}
	for range 4 {
		clk.Advance(time.Hour) // past any backoff
		if _, err := a.Dispatcher.RunOnce(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}

	secret, err := webhooks.ParseSecret(secretText)
	if err != nil {
		t.Fatal(err)
	}
	var ids, types []string
	for _, g := range recv.requests() {
		if err := webhooks.Verify(secret, g.ID, g.Timestamp, g.Signature, g.Body, clk.Now(), 5*time.Hour); err != nil {
			t.Errorf("request %s: %v", g.ID, err)
		}
		var body struct {
			Type string       `json:"type"`
			Data events.Event `json:"data"`
		}
		if err := json.Unmarshal(g.Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Data.BlockID != b.ID || body.Data.Type != body.Type {
			t.Errorf("body %s", g.Body)
		}
		ids = append(ids, g.ID)
		types = append(types, body.Type)
	}
	if got, want := strings.Join(types, " "), "block.created block.created block.created block.lifted"; got != want {
		t.Fatalf("received %s, want %s (failed, timed out, delivered, then the lift)", got, want)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] || ids[2] == ids[3] {
		t.Errorf("webhook-ids %v: the redeliveries must keep theirs", ids)
	}
	log, err := a.Webhooks.Deliveries(ctx, sub.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Type != events.BlockLifted || log[0].State != contextstore.DeliveryDelivered ||
		log[1].State != contextstore.DeliveryDelivered || log[1].Attempts != 3 || log[1].EventID != ids[0] {
		t.Errorf("delivery log %+v", log)
	}
}

// TestWebhookRelaysOfTwoInstances: two instances relaying the same outbox
// at once enqueue each event once.
func TestWebhookRelaysOfTwoInstances(t *testing.T) {
	ctx := t.Context()
	store := openBolt(t, filepath.Join(t.TempDir(), "chatflow.db"))
	defer store.Close()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	key := privacy.NewKey()
	a1, a2 := webhookApp(t, store, clk, key), webhookApp(t, store, clk, key)
	u := "https://hooks.example.com/chatflow"
	sub, _, err := a1.Webhooks.Create(ctx, "admin@acme.test", webhooks.SubscriptionInput{URL: &u})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := a1.Blocking.Create(ctx, blocking.NewBlock{UserID: "u-" + string(rune('a'+i)), Actor: "admin@acme.test",
			ReasonCategory: blocking.CategorySpam, Period: blocking.Period{Minutes: 60}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, a := range []*app.App{a1, a2, a1, a2} {
		wg.Go(func() {
			for {
				n, err := a.Webhooks.Relay(ctx, 3)
				if err != nil {
					t.Error(err)
				}
				if n == 0 || err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	log, err := a2.Webhooks.Deliveries(ctx, sub.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range log {
		if seen[d.EventID] {
			t.Errorf("event %s enqueued twice", d.EventID)
		}
		seen[d.EventID] = true
	}
	if len(seen) != 20 {
		t.Errorf("%d events enqueued, want 20", len(seen))
	}
}
