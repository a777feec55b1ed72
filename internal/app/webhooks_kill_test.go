package app_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/webhooks"
)

// The variables that turn TestWebhookKillHelper into the child of
// TestWebhookDeliveryAcrossKill.
const (
	killHelperDB  = "CHATFLOW_WEBHOOK_HELPER_DB"
	killHelperURL = "CHATFLOW_WEBHOOK_HELPER_URL"
	killHelperKey = "CHATFLOW_WEBHOOK_HELPER_KEY"
)

// TestWebhookKillHelper is not a real test: run as a child process, it
// subscribes the receiver, blocks and lifts a user, relays the outbox and
// starts delivering — and is killed while the receiver holds the first
// request.
func TestWebhookKillHelper(t *testing.T) {
	path := os.Getenv(killHelperDB)
	if path == "" {
		t.Skip("helper process for TestWebhookDeliveryAcrossKill")
	}
	key, err := base64.StdEncoding.DecodeString(os.Getenv(killHelperKey))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	store := openBolt(t, path)
	a, err := app.New(ctx, app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, EncryptionKey: key,
		Config: app.Config{Webhooks: app.WebhooksConfig{AllowPrivate: true, Timeout: app.Duration(time.Minute)}}})
	if err != nil {
		t.Fatal(err)
	}
	u := os.Getenv(killHelperURL)
	if _, _, err := a.Webhooks.Create(ctx, "admin@acme.test", webhooks.SubscriptionInput{URL: &u}); err != nil {
		t.Fatal(err)
	}
	b, err := a.Blocking.Create(ctx, blocking.NewBlock{UserID: "u-1", Actor: "admin@acme.test", ReasonCategory: blocking.CategorySpam, Period: blocking.Period{Minutes: 60}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Blocking.Lift(ctx, b.ID, "admin@acme.test", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Webhooks.Relay(ctx, 100); err != nil {
		t.Fatal(err)
	}
	_, _ = a.Dispatcher.RunOnce(ctx, 10) // hangs in the first delivery until killed
	t.Fatal("the receiver answered the first delivery: the child was not killed during it")
}

// TestWebhookDeliveryAcrossKill: a process killed with SIGKILL while a
// delivery is in flight loses nothing: after the restart the same event
// is delivered again with the same webhook-id and a valid signature, and
// the lift follows it.
func TestWebhookDeliveryAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "chatflow.db")
	key := privacy.NewKey()
	var mu sync.Mutex
	var got []hookRequest
	first := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := req.Body.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		mu.Lock()
		got = append(got, hookRequest{req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), []byte(body.String())})
		n := len(got)
		mu.Unlock()
		if n == 1 {
			close(first)
			select { // hold the request until the sender dies
			case <-release:
			case <-req.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release)

	cmd := exec.Command(os.Args[0], "-test.run=^TestWebhookKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), killHelperDB+"="+path, killHelperURL+"="+srv.URL, killHelperKey+"="+base64.StdEncoding.EncodeToString(key))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the child made no delivery: %s", out.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	ctx := t.Context()
	store := openBolt(t, path)
	defer store.Close()
	clk := clock.NewFake(time.Now().Add(time.Minute))
	a := webhookApp(t, store, clk, key)
	if n, err := a.Webhooks.Relay(ctx, 100); n != 0 || err != nil {
		t.Fatalf("Relay after the restart = %d, %v; want 0", n, err)
	}
	for range 3 {
		if _, err := a.Dispatcher.RunOnce(ctx, 10); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
	}
	subs, err := a.Webhooks.List(ctx)
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions %v, %v", subs, err)
	}
	sealer, _ := privacy.New(key)
	text, err := sealer.Open(subs[0].SealedSecret)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := webhooks.ParseSecret(text)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[0].ID != got[1].ID || got[1].ID == got[2].ID {
		t.Fatalf("received %d requests %v; want the interrupted one again with its webhook-id, then the lift", len(got), got)
	}
	for _, g := range got {
		if err := webhooks.Verify(secret, g.ID, g.Timestamp, g.Signature, g.Body, clk.Now(), 4*time.Hour); err != nil {
			t.Errorf("request %s: %v", g.ID, err)
		}
	}
	if !strings.Contains(string(got[0].Body), `"type":"`+events.BlockCreated+`"`) || !strings.Contains(string(got[2].Body), `"type":"`+events.BlockLifted+`"`) {
		t.Errorf("bodies %s / %s", got[0].Body, got[2].Body)
	}
	log, _ := a.Webhooks.Deliveries(ctx, subs[0].ID, 0)
	for _, d := range log {
		if d.State != contextstore.DeliveryDelivered {
			t.Errorf("delivery %s is %s", d.EventID, d.State)
		}
	}
}
