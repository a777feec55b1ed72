package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/server"
)

// healthStore is a memory store that reports the health it is told.
type healthStore struct {
	*memory.Store
	h atomic.Pointer[contextstore.Health]
}

func (s *healthStore) Health(context.Context) contextstore.Health { return *s.h.Load() }

// TestReadyzHealth: a store that reports its shards keeps the instance
// ready (200) while one shard is out, naming it, and fails readiness only
// when it serves nothing; the metrics say the same.
func TestReadyzHealth(t *testing.T) {
	st := &healthStore{Store: memory.New()}
	st.h.Store(&contextstore.Health{Status: contextstore.HealthOK})
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	a, err := app.New(t.Context(), app.Options{Store: st, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(a, nil))
	t.Cleanup(srv.Close)
	e := &env{srv: srv, app: a, clk: clk}

	if r := e.do(t, "GET", "/readyz", ""); r.status != 200 || r.body != `{"status":"ready"}`+"\n" {
		t.Errorf("readyz ok = %+v", r)
	}
	st.h.Store(&contextstore.Health{Status: contextstore.HealthDegraded, Reason: "1 of 3 shards unavailable",
		Shards: []contextstore.ShardHealth{{Name: "10.0.0.7:6379 slots 0-5460", Status: contextstore.HealthDown, Reason: "master does not answer"}}})
	const degraded = `{"status":"degraded","store":{"status":"degraded","reason":"1 of 3 shards unavailable","shards":[{"name":"10.0.0.7:6379 slots 0-5460","status":"down","reason":"master does not answer"}]}}` + "\n"
	if r := e.do(t, "GET", "/readyz", ""); r.status != 200 || r.body != degraded {
		t.Errorf("readyz degraded = %+v\nwant body %s", r, degraded)
	}
	if r := e.do(t, "GET", "/metrics", ""); !strings.Contains(r.body, "chatflow_store_degraded_shards 1") || !strings.Contains(r.body, "chatflow_store_up 1") {
		t.Errorf("metrics while degraded lack chatflow_store_degraded_shards 1 / chatflow_store_up 1")
	}
	st.h.Store(&contextstore.Health{Status: contextstore.HealthDown, Reason: "no cluster master answers"})
	if p := checkProblem(t, e.do(t, "GET", "/readyz", ""), http.StatusServiceUnavailable, "store unreachable"); !strings.Contains(p.Detail, "no cluster master answers") {
		t.Errorf("readyz down: detail %q lacks the reason", p.Detail)
	}
	if r := e.do(t, "GET", "/metrics", ""); !strings.Contains(r.body, "chatflow_store_up 0") {
		t.Errorf("metrics while down lack chatflow_store_up 0")
	}
}
