package server_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/server"
)

// scrape reads /metrics and parses the text exposition format.
func (e *env) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	r := e.do(t, "GET", "/metrics", "")
	if r.status != http.StatusOK || !strings.HasPrefix(r.ctype, "text/plain") {
		t.Fatalf("/metrics: status %d, Content-Type %q", r.status, r.ctype)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, r.body)
	}
	return fams
}

// value returns the value of the sample of family name whose labels are
// exactly labels (a histogram gives its sample count), and whether it
// exists.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if !maps.Equal(got, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

type sample struct {
	name   string
	labels map[string]string
	want   float64
}

func checkSamples(t *testing.T, fams map[string]*dto.MetricFamily, samples []sample) {
	t.Helper()
	for _, s := range samples {
		got, ok := value(fams, s.name, s.labels)
		if !ok && s.want != 0 {
			t.Errorf("%s%v: missing, want %v", s.name, s.labels, s.want)
			continue
		}
		if got != s.want {
			t.Errorf("%s%v = %v, want %v", s.name, s.labels, got, s.want)
		}
	}
}

func l(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestMetrics plays a visitor through the API — start, FAQ, a retried
// message, the queue, an agent's block, the self-unblock, an ended
// conversation, bad requests — and checks every counter it should move.
func TestMetrics(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	id := e.start(t)
	decodeTurn(t, e.message(t, id, "where is my order?", "k1"), http.StatusOK)
	decodeTurn(t, e.message(t, id, "where is my order?", "k1"), http.StatusOK) // retry
	decodeTurn(t, e.message(t, id, "I want an agent", "k2"), http.StatusOK)

	checkSamples(t, e.scrape(t), []sample{
		{"chatflow_turns_total", l("event", "start", "outcome", "ok"), 1},
		{"chatflow_turns_total", l("event", "message", "outcome", "ok"), 2},
		{"chatflow_turns_total", l("event", "message", "outcome", "duplicate"), 1},
		{"chatflow_turn_duration_seconds", l("event", "message"), 3},
		{"chatflow_queue_length", l("queue", "support"), 1},
		{"chatflow_queue_length", l("queue", "default"), 0},
		{"chatflow_blocks_created_total", l("kind", "conversation"), 0},
		{"chatflow_http_requests_total", l("method", "POST", "route", "/v1/conversations", "status", "201"), 1},
		{"chatflow_http_requests_total", l("method", "POST", "route", "/v1/conversations/{id}/messages", "status", "200"), 3},
		{"chatflow_http_request_duration_seconds", l("method", "POST", "route", "/v1/conversations/{id}/messages"), 3},
	})

	// An agent takes the chat and blocks the visitor; the visitor unblocks
	// themselves through the self-unblock flow.
	if _, err := e.app.Desk.Take(ctx, "support", "ann@acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Desk.Disconnect(ctx, id, "", contextstore.AgentFeedback{Block: true, ReasonCategory: "abusive_language", BlockIntervalMinutes: 60}); err != nil {
		t.Fatal(err)
	}
	checkSamples(t, e.scrape(t), []sample{
		{"chatflow_blocks_created_total", l("kind", "conversation"), 1},
		{"chatflow_blocks_lifted_total", l("kind", "conversation"), 0},
		{"chatflow_queue_length", l("queue", "support"), 0},
	})
	decodeTurn(t, e.message(t, id, "unblock me", "k3"), http.StatusOK)
	decodeTurn(t, e.message(t, id, "yes", "k4"), http.StatusOK)
	if c := e.conv(t, id); contextstore.IsActiveAt(c.Info.LiveChatBlockedUntil, e.clk.Now()) {
		t.Fatal("the self-unblock flow did not lift the block")
	}
	// Errors: unknown conversation, unknown route, bad JSON, an ended
	// conversation.
	checkProblem(t, e.message(t, "nope", "hello", ""), http.StatusNotFound, "no such conversation")
	e.do(t, "GET", "/v1/conversations/"+id+"/nope", "")
	checkProblem(t, e.do(t, "POST", "/v1/conversations/"+id+"/messages", `{`), http.StatusBadRequest, "invalid JSON body")
	if _, err := e.app.Executor.Handle(ctx, flows.Event{Type: flows.EventEnd, ConversationID: id}); err != nil {
		t.Fatal(err)
	}
	checkProblem(t, e.message(t, id, "hello?", ""), http.StatusConflict, "conversation ended")

	fams := e.scrape(t)
	checkSamples(t, fams, []sample{
		{"chatflow_turns_total", l("event", "start", "outcome", "ok"), 1},
		{"chatflow_turns_total", l("event", "message", "outcome", "ok"), 4},
		{"chatflow_turns_total", l("event", "message", "outcome", "duplicate"), 1},
		{"chatflow_turns_total", l("event", "message", "outcome", "ended"), 1},
		{"chatflow_turns_total", l("event", "message", "outcome", "error"), 0},
		{"chatflow_turn_duration_seconds", l("event", "message"), 6},
		{"chatflow_blocks_created_total", l("kind", "conversation"), 1},
		{"chatflow_blocks_lifted_total", l("kind", "conversation"), 1},
		{"chatflow_blocks_created_total", l("kind", "user"), 0},
		{"chatflow_http_requests_total", l("method", "POST", "route", "/v1/conversations/{id}/messages", "status", "200"), 5},
		{"chatflow_http_requests_total", l("method", "POST", "route", "/v1/conversations/{id}/messages", "status", "404"), 1},
		{"chatflow_http_requests_total", l("method", "POST", "route", "/v1/conversations/{id}/messages", "status", "400"), 1},
		{"chatflow_http_requests_total", l("method", "POST", "route", "/v1/conversations/{id}/messages", "status", "409"), 1},
		{"chatflow_http_requests_total", l("method", "GET", "route", "unmatched", "status", "404"), 1},
		{"chatflow_http_requests_total", l("method", "GET", "route", "/metrics", "status", "200"), 2},
	})
	// No raw path (conversation id) ever becomes a label value.
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, lb := range m.GetLabel() {
				if strings.Contains(lb.GetValue(), id) {
					t.Errorf("%s has the conversation id in label %s=%q", f.GetName(), lb.GetName(), lb.GetValue())
				}
			}
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("%s is not exported", name)
		}
	}
}

// Each server counts on its own registry: nothing is global.
func TestMetricsArePerServer(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	a.start(t)
	a.start(t)
	checkSamples(t, a.scrape(t), []sample{{"chatflow_turns_total", l("event", "start", "outcome", "ok"), 2}})
	checkSamples(t, b.scrape(t), []sample{{"chatflow_turns_total", l("event", "start", "outcome", "ok"), 0}})
}

// logEnv is an env whose app logs to an observer at level.
func logEnv(t *testing.T, level zapcore.Level) (*env, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(level)
	e := &env{store: &flakyStore{Store: memory.New()}}
	a, err := app.New(t.Context(), app.Options{Store: e.store, FlowPaths: []string{"../../examples/flows"}, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
	e.srv = httptest.NewServer(server.New(a, nil))
	t.Cleanup(e.srv.Close)
	return e, logs
}

// requests returns the per-request log entries.
func requests(logs *observer.ObservedLogs) []observer.LoggedEntry {
	return logs.FilterLoggerName("http").FilterMessage("request").AllUntimed()
}

func TestRequestLog(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, tc := range []struct {
		name, sent string
		keep       bool
	}{
		{"no id: generated", "", false},
		{"uuid kept", "3f2b6a1e-8c4d-4f7a-9b0e-2d1c5a6b7e8f", true},
		{"token kept", "req_01HZX.abc:42", true},
		{"spaces replaced", "hello world", false},
		{"quotes and separators replaced", `x" level=error msg="forged`, false},
		{"non-ASCII replaced", "réq-1", false},
		{"too long replaced", strings.Repeat("a", 129), false},
		{"longest kept", strings.Repeat("a", 128), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, logs := logEnv(t, zap.InfoLevel)
			id := e.start(t)
			logs.TakeAll()
			var hdr []string
			if tc.sent != "" {
				hdr = []string{"X-Request-Id", tc.sent}
			}
			req, err := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+"/v1/conversations/"+id+"/messages", nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			echoed := res.Header.Get("X-Request-Id")
			if tc.keep && echoed != tc.sent {
				t.Errorf("X-Request-Id = %q, want the client's %q", echoed, tc.sent)
			}
			if !tc.keep && !hex32.MatchString(echoed) {
				t.Errorf("X-Request-Id = %q, want 32 generated hex digits", echoed)
			}
			entries := requests(logs)
			if len(entries) != 1 {
				t.Fatalf("%d request log entries, want 1: %+v", len(entries), entries)
			}
			f := entries[0].ContextMap()
			if entries[0].Level != zap.InfoLevel || f["method"] != "GET" || f["route"] != "/v1/conversations/{id}/messages" ||
				f["status"] != int64(200) || f["request_id"] != echoed {
				t.Errorf("log entry = %v %v, want GET /v1/conversations/{id}/messages 200 with request_id %s", entries[0].Level, f, echoed)
			}
			if d, ok := f["duration"].(time.Duration); !ok || d <= 0 {
				t.Errorf("duration = %v, want a positive time.Duration", f["duration"])
			}
			if strings.Contains(entries[0].Entry.Message+formatFields(f), id) {
				t.Errorf("the raw path (conversation id) was logged: %v", f)
			}
		})
	}
}

func formatFields(f map[string]any) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// One line per request, for every kind of outcome; a failing turn logs
// its cause with the same request id, at error level.
func TestRequestLogOutcomes(t *testing.T) {
	e, logs := logEnv(t, zap.InfoLevel)
	id := e.start(t)
	e.do(t, "GET", "/nope", "")
	e.do(t, "POST", "/v1/conversations/"+id+"/messages", `{`)
	err := error(contextstore.ErrVersionConflict) // any non-store error fails the turn
	e.store.putErr.Store(&err)
	r := e.do(t, "POST", "/v1/conversations/"+id+"/messages", `{"text":"hi"}`, "X-Request-Id", "failing-1")
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", r.status)
	}
	var got []string
	for _, en := range requests(logs) {
		f := en.ContextMap()
		got = append(got, fmt.Sprint(f["method"], " ", f["route"], " ", en.Level, " ", f["status"]))
	}
	want := []string{
		"POST /v1/conversations info 201",
		"GET unmatched info 404",
		"POST /v1/conversations/{id}/messages info 400",
		"POST /v1/conversations/{id}/messages error 500",
	}
	if !slices.Equal(got, want) {
		t.Errorf("request log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The 500 line carries the cause; the 4xx lines carry none; no other
	// line is written for the failure.
	entries := requests(logs)
	for _, en := range entries[:len(entries)-1] {
		if f := en.ContextMap(); f["error"] != nil {
			t.Errorf("%v %v line has an error field: %v", f["route"], f["status"], f["error"])
		}
	}
	last := entries[len(entries)-1].ContextMap()
	if last["request_id"] != "failing-1" || !strings.Contains(fmt.Sprint(last["error"]), flows.ErrTooManyConflicts.Error()) {
		t.Errorf("500 line = %v, want request_id failing-1 and the cause %q in error", last, flows.ErrTooManyConflicts)
	}
	if n := len(logs.All()); n != len(entries) {
		t.Errorf("%d log entries for %d requests: %+v", n, len(entries), logs.All())
	}
}

// Debug logs of the hot path are written only when debug is enabled.
func TestDebugLogsGuarded(t *testing.T) {
	for _, tc := range []struct {
		level zapcore.Level
		want  int
	}{{zap.DebugLevel, 2}, {zap.InfoLevel, 0}} {
		t.Run(tc.level.String(), func(t *testing.T) {
			e, logs := logEnv(t, tc.level)
			id := e.start(t)
			decodeTurn(t, e.message(t, id, "hello", ""), http.StatusOK)
			turns := logs.FilterLoggerName("http").FilterMessage("turn").AllUntimed()
			if len(turns) != tc.want {
				t.Fatalf("%d turn debug entries, want %d", len(turns), tc.want)
			}
			if tc.want > 0 {
				f := turns[1].ContextMap()
				if f["event"] != "message" || f["outcome"] != "ok" || f["conversation"] != id || f["request_id"] == "" {
					t.Errorf("turn entry = %v", f)
				}
			}
		})
	}
}
