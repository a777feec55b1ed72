package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/metrics"
)

// TestHookRecordsEveryActionCall drives the example flows through the
// executor (not HTTP) and checks that each action call was observed.
func TestHookRecordsEveryActionCall(t *testing.T) {
	m := metrics.New(nil)
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Hooks: []flows.Hook{m.Hook()}})
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"agent", "hello", "agent please"} {
		if _, err := a.Executor.Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "c" + string(rune('0'+i)), Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if n := testutil.CollectAndCount(m.Registry(), "chatflow_action_duration_seconds"); n != 1 {
		t.Fatalf("action series = %d, want 1 (ConnectToHelpdeskAgent ok)", n)
	}
	got, err := testutil.GatherAndCount(m.Registry(), "chatflow_action_duration_seconds")
	if err != nil || got != 1 {
		t.Fatalf("GatherAndCount = %d, %v", got, err)
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "chatflow_action_duration_seconds" {
			continue
		}
		h := mf.GetMetric()[0]
		if c := h.GetHistogram().GetSampleCount(); c != 2 {
			t.Errorf("ConnectToHelpdeskAgent calls observed = %d, want 2", c)
		}
		for _, l := range h.GetLabel() {
			if l.GetName() == "action" && l.GetValue() != "ConnectToHelpdeskAgent" {
				t.Errorf("action label = %q", l.GetValue())
			}
		}
		return
	}
	t.Fatal("no chatflow_action_duration_seconds family")
}

func TestModerationMetrics(t *testing.T) {
	m := metrics.New(nil)
	mm := m.Moderation()
	if m.Moderation() != mm {
		t.Fatal("Moderation registered twice")
	}
	mm.RuleHit("rude", "warn", true)
	mm.LimitChecked("conversation_messages", false, time.Millisecond)
	mm.StrikeAdded("rate")
	mm.Sanctioned("conversation_messages")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`chatflow_moderation_rule_hits_total{action="warn",mode="shadow",rule="rude"} 1`,
		`chatflow_moderation_limiter_seconds_count{limit="conversation_messages",outcome="refused"} 1`,
		`chatflow_moderation_strikes_total{kind="rate"} 1`,
		`chatflow_moderation_sanctions_total{rule="conversation_messages"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("missing %s", want)
		}
	}
}
