package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/buildinfo"
	"github.com/chatflow/chatflow/internal/metrics"
)

func TestTurnOutcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  *flows.TurnResult
		err  error
		want string
	}{
		{"ok", &flows.TurnResult{}, nil, metrics.OutcomeOK},
		{"duplicate", &flows.TurnResult{Duplicate: true}, nil, metrics.OutcomeDuplicate},
		{"ended", nil, fmt.Errorf("conversation c1: %w", flows.ErrConversationEnded), metrics.OutcomeEnded},
		{"unavailable", nil, fmt.Errorf("saving: %w", contextstore.ErrUnavailable), metrics.OutcomeUnavailable},
		{"conflict", nil, fmt.Errorf("conversation c1: %w", flows.ErrTooManyConflicts), metrics.OutcomeConflict},
		{"other", nil, errors.New("step budget"), metrics.OutcomeError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := metrics.TurnOutcome(tc.res, tc.err); got != tc.want {
				t.Errorf("TurnOutcome = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestObserve(t *testing.T) {
	m := metrics.New(nil)
	m.ObserveTurn(flows.EventMessage, metrics.OutcomeOK, 3*time.Millisecond)
	m.ObserveAction("ConnectToHelpdeskAgent", 2*time.Millisecond, nil)
	m.ObserveAction("ConnectToHelpdeskAgent", time.Millisecond, nil)
	m.ObserveAction("HelpdeskClient.IsBlockedForLiveChat", 40*time.Millisecond, errors.New("store down"))
	m.ObserveHTTP("GET", "/healthz", 200, time.Millisecond)
	const want = `
# HELP chatflow_action_duration_seconds Time to run one internal action call by action name and outcome (ok or error).
# TYPE chatflow_action_duration_seconds histogram
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.0005"} 0
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.001"} 1
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.0025"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.005"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.01"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.025"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.05"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.1"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.25"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="0.5"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="1"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="2.5"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="5"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="10"} 2
chatflow_action_duration_seconds_bucket{action="ConnectToHelpdeskAgent",outcome="ok",le="+Inf"} 2
chatflow_action_duration_seconds_sum{action="ConnectToHelpdeskAgent",outcome="ok"} 0.003
chatflow_action_duration_seconds_count{action="ConnectToHelpdeskAgent",outcome="ok"} 2
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.0005"} 0
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.001"} 0
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.0025"} 0
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.005"} 0
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.01"} 0
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.025"} 0
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.05"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.1"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.25"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="0.5"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="1"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="2.5"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="5"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="10"} 1
chatflow_action_duration_seconds_bucket{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error",le="+Inf"} 1
chatflow_action_duration_seconds_sum{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error"} 0.04
chatflow_action_duration_seconds_count{action="HelpdeskClient.IsBlockedForLiveChat",outcome="error"} 1
# HELP chatflow_turns_total Turns (one per inbound event of a conversation) by event type and outcome.
# TYPE chatflow_turns_total counter
chatflow_turns_total{event="message",outcome="ok"} 1
# HELP chatflow_http_requests_total HTTP requests by method, route pattern and status code.
# TYPE chatflow_http_requests_total counter
chatflow_http_requests_total{method="GET",route="/healthz",status="200"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"chatflow_action_duration_seconds", "chatflow_turns_total", "chatflow_http_requests_total"); err != nil {
		t.Error(err)
	}
}

// failingAudit is an audit log whose reads fail on demand.
type failingAudit struct {
	*memory.Store
	fail  atomic.Bool
	reads atomic.Int32
}

func (s *failingAudit) ListAudit(ctx context.Context, q contextstore.AuditQuery) ([]*contextstore.AuditEvent, error) {
	s.reads.Add(1)
	if s.fail.Load() {
		return nil, fmt.Errorf("dial tcp: %w", contextstore.ErrUnavailable)
	}
	return s.Store.ListAudit(ctx, q)
}

func appendAudit(t *testing.T, s contextstore.AuditLog, n int, action string, kind contextstore.BlockKind) {
	t.Helper()
	for range n {
		if err := s.AppendAudit(t.Context(), &contextstore.AuditEvent{At: time.Now(), Actor: "ann@acme.test", Action: action, Details: map[string]string{"kind": string(kind)}}); err != nil {
			t.Fatal(err)
		}
	}
}

// The block counters follow the audit log: each scrape reads only new
// events (in pages), other audit actions are ignored, and a failing read
// keeps what was counted and is caught up later.
func TestWatchAudit(t *testing.T) {
	store := &failingAudit{Store: memory.New()}
	core, logs := observer.New(zap.ErrorLevel)
	m := metrics.New(zap.New(core))
	m.WatchAudit(store)
	count := func(name, kind string) float64 {
		t.Helper()
		fams, err := m.Registry().Gather()
		if err != nil {
			t.Fatalf("gather: %v", err)
		}
		for _, f := range fams {
			if f.GetName() != name {
				continue
			}
			for _, mt := range f.GetMetric() {
				if mt.GetLabel()[0].GetValue() == kind {
					return mt.GetCounter().GetValue()
				}
			}
		}
		t.Fatalf("%s{kind=%q} not exported", name, kind)
		return 0
	}
	if got := count("chatflow_blocks_created_total", "user"); got != 0 {
		t.Errorf("created before any block = %v", got)
	}
	appendAudit(t, store, 1203, blocking.ActionCreate, contextstore.KindUser) // more than two pages
	appendAudit(t, store, 2, blocking.ActionCreate, contextstore.KindRange)
	appendAudit(t, store, 3, blocking.ActionLift, contextstore.KindUser)
	appendAudit(t, store, 4, blocking.ActionRenew, contextstore.KindUser)
	if got := count("chatflow_blocks_created_total", "user"); got != 1203 {
		t.Errorf("created{user} = %v, want 1203", got)
	}
	if got := count("chatflow_blocks_created_total", "range"); got != 2 {
		t.Errorf("created{range} = %v, want 2", got)
	}
	if got := count("chatflow_blocks_lifted_total", "user"); got != 3 {
		t.Errorf("lifted{user} = %v, want 3", got)
	}
	// A scrape with nothing new reads one short page.
	before := store.reads.Load()
	count("chatflow_blocks_lifted_total", "user")
	if n := store.reads.Load() - before; n != 1 {
		t.Errorf("an idle scrape read the audit log %d times, want 1", n)
	}

	// The store fails: the scrape reports an error for these metrics only.
	store.fail.Store(true)
	appendAudit(t, store.Store, 1, blocking.ActionLift, contextstore.KindUser)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("scrape with the store down: %d, want 200 with the other metrics", res.StatusCode)
	}
	if logs.FilterMessage("serving metrics").Len() == 0 {
		t.Error("the failed collection was not logged")
	}
	store.fail.Store(false)
	if got := count("chatflow_blocks_lifted_total", "user"); got != 4 {
		t.Errorf("lifted{user} after recovery = %v, want 4", got)
	}
}

func TestWatchQueues(t *testing.T) {
	store := memory.New()
	m := metrics.New(nil)
	queues := []string{"default", "support"}
	m.WatchQueues(store, func() []string { return queues })
	for _, id := range []string{"c1", "c2"} {
		if err := store.Enqueue(t.Context(), contextstore.QueueEntry{ConversationID: id, Queue: "support", EnqueuedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	const want = `
# HELP chatflow_queue_length Conversations waiting for a helpdesk agent, by queue (read from the store on scrape).
# TYPE chatflow_queue_length gauge
chatflow_queue_length{queue="default"} 0
chatflow_queue_length{queue="support"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "chatflow_queue_length"); err != nil {
		t.Error(err)
	}
	if _, err := store.Dequeue(t.Context(), "support"); err != nil {
		t.Fatal(err)
	}
	queues = append(queues, "billing") // read per scrape
	const after = `
# HELP chatflow_queue_length Conversations waiting for a helpdesk agent, by queue (read from the store on scrape).
# TYPE chatflow_queue_length gauge
chatflow_queue_length{queue="billing"} 0
chatflow_queue_length{queue="default"} 0
chatflow_queue_length{queue="support"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(after), "chatflow_queue_length"); err != nil {
		t.Error(err)
	}
}

// Two Metrics values never share a series: no global registry.
func TestMetricsAreIndependent(t *testing.T) {
	a, b := metrics.New(nil), metrics.New(nil)
	a.ObserveHTTP("GET", "/healthz", 200, time.Millisecond)
	if n := testutil.CollectAndCount(b.Registry(), "chatflow_http_requests_total"); n != 0 {
		t.Errorf("b has %d http series after a request counted on a", n)
	}
}

func TestBuildInfo(t *testing.T) {
	m := metrics.New(nil)
	info := buildinfo.Read()
	want := fmt.Sprintf(`
# HELP chatflow_build_info Always 1; the labels identify the build: module version, VCS revision (unknown when not stamped) and Go version.
# TYPE chatflow_build_info gauge
chatflow_build_info{go_version=%q,revision=%q,version=%q} 1
`, info.GoVersion, info.Revision, info.Version)
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "chatflow_build_info"); err != nil {
		t.Error(err)
	}
	// Served with the other metrics.
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	line := fmt.Sprintf("chatflow_build_info{go_version=%q,revision=%q,version=%q} 1\n", info.GoVersion, info.Revision, info.Version)
	if !strings.Contains(rec.Body.String(), line) {
		t.Errorf("scrape lacks %q", line)
	}
}
