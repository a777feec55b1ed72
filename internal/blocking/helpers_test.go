package blocking_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/privacy"
)

// t0 is the fake clock's start: a Monday morning.
var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

type env struct {
	svc    *blocking.Service
	store  *memory.Store
	clk    *clock.Fake
	sealer *privacy.Sealer
}

func testSealer(t testing.TB) *privacy.Sealer {
	t.Helper()
	s, err := privacy.New(bytes.Repeat([]byte{7}, privacy.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newEnv returns a Service on a fresh memory store with a fake clock at t0
// and RefreshInterval 0. opts may adjust the options.
func newEnv(t testing.TB, opts ...func(*blocking.Options)) *env {
	t.Helper()
	e := &env{store: memory.New(), clk: clock.NewFake(t0), sealer: testSealer(t)}
	e.svc = e.service(t, opts...)
	return e
}

// service returns another Service on the same store and clock.
func (e *env) service(t testing.TB, opts ...func(*blocking.Options)) *blocking.Service {
	t.Helper()
	o := blocking.Options{Clock: e.clk.Now, Sealer: e.sealer}
	for _, f := range opts {
		f(&o)
	}
	s, err := blocking.New(e.store, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) create(t testing.TB, nb blocking.NewBlock) *contextstore.Block {
	t.Helper()
	if nb.Actor == "" {
		nb.Actor = "admin@acme.test"
	}
	if nb.ReasonCategory == "" && !nb.Allow {
		nb.ReasonCategory = blocking.CategorySpam
	}
	if nb.Period == (blocking.Period{}) {
		nb.Period = blocking.Period{Permanent: true}
	}
	b, err := e.svc.Create(t.Context(), nb)
	if err != nil {
		t.Fatalf("Create(%+v): %v", nb, err)
	}
	return b
}

func (e *env) check(t testing.TB, svc *blocking.Service, sub blocking.Subject) blocking.Decision {
	t.Helper()
	if svc == nil {
		svc = e.svc
	}
	if sub.Channel == "" {
		sub.Channel = blocking.ChannelLiveChat
	}
	d, err := svc.Check(t.Context(), sub)
	if err != nil {
		t.Fatalf("Check(%+v): %v", sub, err)
	}
	return d
}

func ipSub(s string) blocking.Subject {
	return blocking.Subject{IP: netip.MustParseAddr(s), Channel: blocking.ChannelLiveChat}
}

func ptr[T any](v T) *T { return &v }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// auditActions returns "action by actor" for the events of a block.
func auditActions(t *testing.T, svc *blocking.Service, id string) []string {
	t.Helper()
	evs, err := svc.Audit(t.Context(), contextstore.AuditQuery{BlockID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action+" by "+e.Actor)
	}
	return out
}
