package webhooks_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/webhooks"
)

var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// receiver is a real HTTP endpoint on loopback that answers with the
// statuses it is told to, in turn, and records what it received.
type receiver struct {
	srv      *httptest.Server
	secret   []byte
	mu       sync.Mutex
	statuses []int // answered in turn; then 204
	hang     int   // the next hang requests sleep past the timeout
	got      []received
}

type received struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Type                     string
}

func newReceiver(t *testing.T, secret []byte) *receiver {
	r := &receiver{secret: secret}
	release := make(chan struct{})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var env struct{ Type string }
		_ = json.Unmarshal(body, &env)
		r.mu.Lock()
		rec := received{req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body, env.Type}
		r.got = append(r.got, rec)
		hang := r.hang > 0
		if hang {
			r.hang--
		}
		status := http.StatusNoContent
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		if hang {
			select {
			case <-release:
			case <-req.Context().Done():
			}
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() { close(release); r.srv.Close() })
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func newDispatcher(t *testing.T, clk *clock.Fake, q webhooks.Queue, allowPrivate bool) *webhooks.Dispatcher {
	t.Helper()
	d, err := webhooks.New(webhooks.Options{Queue: q, Timeout: 300 * time.Millisecond, MaxAttempts: 4,
		BaseBackoff: time.Second, MaxBackoff: time.Minute, AllowPrivate: allowPrivate, Clock: clk.Now,
		Jitter: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func msg(id, typ, subject string) webhooks.Message {
	return webhooks.Message{ID: id, Type: typ, At: t0, Subject: subject, Data: json.RawMessage(`{"block_id":"` + subject + `"}`)}
}

// TestDeliveryFailsTimesOutAndRecovers: a receiver that fails, then hangs
// past the timeout, then recovers gets the event on the third attempt,
// with the same webhook-id each time and a valid signature; later events
// of the same subject wait for it, in order; backoff grows.
func TestDeliveryFailsTimesOutAndRecovers(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	r := newReceiver(t, secret)
	r.statuses = []int{http.StatusInternalServerError}
	r.hang = 0
	clk := clock.NewFake(t0)
	q := &webhooks.MemoryQueue{}
	d := newDispatcher(t, clk, q, true)
	sub := webhooks.Subscription{ID: "s1", URL: r.srv.URL, Secret: secret, Enabled: true}
	ctx := t.Context()
	for _, m := range []webhooks.Message{msg("e1", "block.created", "b1"), msg("e2", "block.lifted", "b1"), msg("e3", "block.created", "b2")} {
		if err := d.Enqueue(ctx, []webhooks.Subscription{sub}, m); err != nil {
			t.Fatal(err)
		}
	}
	// Attempt 1: e1 fails with 500; e3 (another subject) goes through;
	// e2 waits behind e1.
	if n, err := d.RunOnce(ctx, 10); n != 2 || err != nil {
		t.Fatalf("RunOnce = %d, %v; want 2 attempts", n, err)
	}
	// Not due yet: the backoff after attempt 1 is 0.5 × 1 s.
	if n, _ := d.RunOnce(ctx, 10); n != 0 {
		t.Fatalf("%d attempts before the backoff ended", n)
	}
	clk.Advance(500 * time.Millisecond)
	r.mu.Lock()
	r.hang = 1
	r.mu.Unlock()
	if n, err := d.RunOnce(ctx, 10); n != 1 || err != nil { // e1 again: times out
		t.Fatalf("RunOnce = %d, %v; want 1", n, err)
	}
	clk.Advance(time.Second) // 0.5 × 2 s
	if n, _ := d.RunOnce(ctx, 10); n != 1 {
		t.Fatalf("third attempt: %d", n)
	}
	if n, _ := d.RunOnce(ctx, 10); n != 1 { // now e2, in order
		t.Fatalf("e2 after e1: %d", n)
	}
	var ids, types []string
	for _, g := range r.received() {
		ids = append(ids, g.ID)
		types = append(types, g.Type)
		if err := webhooks.Verify(secret, g.ID, g.Timestamp, g.Signature, g.Body, clk.Now(), 5*time.Minute); err != nil {
			t.Errorf("delivery %s: %v", g.ID, err)
		}
	}
	if got := strings.Join(ids, " "); got != "e1 e3 e1 e1 e2" {
		t.Errorf("received %s, want e1 e3 e1 e1 e2 (the retries keep the webhook-id; e2 waits for e1)", got)
	}
	if got := strings.Join(types, " "); got != "block.created block.created block.created block.created block.lifted" {
		t.Errorf("types %s", got)
	}
	log := q.Log("s1")
	if len(log) != 3 || log[2].Attempts != 3 || log[2].State != webhooks.StateDelivered || log[0].State != webhooks.StateDelivered {
		t.Errorf("log %+v", log)
	}
}

// TestDeadLetterAndResend: after MaxAttempts a delivery is dead; a resend
// delivers it with the same webhook-id.
func TestDeadLetterAndResend(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	r := newReceiver(t, secret)
	r.statuses = []int{500, 502, 503, 500}
	clk := clock.NewFake(t0)
	q := &webhooks.MemoryQueue{}
	d := newDispatcher(t, clk, q, true)
	sub := webhooks.Subscription{ID: "s1", URL: r.srv.URL, Secret: secret, Enabled: true, Types: []string{"ban.created"}}
	ctx := t.Context()
	_ = d.Enqueue(ctx, []webhooks.Subscription{sub}, msg("e1", "ban.created", "b1"))
	_ = d.Enqueue(ctx, []webhooks.Subscription{sub}, msg("e2", "block.created", "b1")) // not wanted
	for range 4 {
		if _, err := d.RunOnce(ctx, 10); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	log := q.Log("s1")
	if len(log) != 1 || log[0].State != webhooks.StateDead || log[0].Attempts != 4 || log[0].LastStatus != 500 {
		t.Fatalf("log %+v, want one dead delivery after 4 attempts", log)
	}
	if err := q.Resend("s1", log[0].Seq, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.RunOnce(ctx, 10); n != 1 {
		t.Fatal("the resent delivery was not attempted")
	}
	got := r.received()
	if len(got) != 5 || got[4].ID != "e1" {
		t.Errorf("received %d, last %+v; want the resend of e1", len(got), got[len(got)-1])
	}
	if log := q.Log("s1"); log[0].State != webhooks.StateDelivered {
		t.Errorf("after the resend: %+v", log[0])
	}
}

// TestPrivateTargetsRefused: without AllowPrivate a loopback receiver is
// never contacted, and the delivery is dead at once.
func TestPrivateTargetsRefused(t *testing.T) {
	r := newReceiver(t, []byte("0123456789abcdef"))
	clk := clock.NewFake(t0)
	q := &webhooks.MemoryQueue{}
	d := newDispatcher(t, clk, q, false)
	_ = d.Enqueue(t.Context(), []webhooks.Subscription{{ID: "s1", URL: r.srv.URL, Secret: []byte("0123456789abcdef"), Enabled: true}}, msg("e1", "block.created", "b1"))
	if _, err := d.RunOnce(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	if got := r.received(); len(got) != 0 {
		t.Fatalf("the loopback receiver got %d requests", len(got))
	}
	log := q.Log("s1")
	if len(log) != 1 || log[0].State != webhooks.StateDead || !strings.Contains(log[0].LastError, "not public") {
		t.Errorf("log %+v, want dead: not public", log)
	}
}

// TestVerify: the signature of the specification, tolerance, rotation.
func TestVerify(t *testing.T) {
	secret, err := webhooks.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	// The example of the Standard Webhooks specification.
	body := []byte(`{"test": 2432232314}`)
	ts := time.Unix(1614265330, 0)
	if got, want := webhooks.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %s, want %s (the specification's example)", got, want)
	}
	sig := webhooks.Sign(secret, "m1", ts, body)
	for _, tc := range []struct {
		name string
		sig  string
		now  time.Time
		want error
	}{
		{"valid", sig, ts, nil},
		{"rotated: one of two", "v1,AAAA " + sig, ts.Add(time.Minute), nil},
		{"tampered", "v1,AAAA", ts, webhooks.ErrSignature},
		{"too old", sig, ts.Add(10 * time.Minute), webhooks.ErrTimestamp},
	} {
		if err := webhooks.Verify(secret, "m1", "1614265330", tc.sig, body, tc.now, 5*time.Minute); !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := webhooks.ParseSecret("whsec_short"); !errors.Is(err, webhooks.ErrSecret) {
		t.Errorf("ParseSecret(short) = %v", err)
	}
}
