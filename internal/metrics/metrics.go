package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/buildinfo"
)

// Namespace prefixes every chatflow metric name.
const Namespace = "chatflow"

// ScrapeTimeout bounds the store reads of one scrape (queue lengths, audit
// log); a collector whose store does not answer in time reports an error
// for its own metrics and the rest of the scrape is still served.
const ScrapeTimeout = 5 * time.Second

// Outcomes of a turn, the outcome label of chatflow_turns_total.
const (
	// OutcomeOK is a turn that ran and was saved.
	OutcomeOK = "ok"
	// OutcomeDuplicate is a retried event answered from the saved record.
	OutcomeDuplicate = "duplicate"
	// OutcomeEnded is an event to an ended conversation.
	OutcomeEnded = "ended"
	// OutcomeUnavailable is a turn that failed because the store was down.
	OutcomeUnavailable = "unavailable"
	// OutcomeConflict is a turn that lost the compare-and-swap race too often.
	OutcomeConflict = "conflict"
	// OutcomeError is any other failure (flow or action errors).
	OutcomeError = "error"
)

// latencyBuckets (seconds) suit turns and actions: sub-millisecond on the
// memory store, milliseconds on bolt and Redis, seconds only when
// something is wrong.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics is a set of chatflow instruments on a registry of its own. It is
// safe for concurrent use. Build it with New.
type Metrics struct {
	reg  *prometheus.Registry
	log  *zap.Logger
	turn struct {
		total   *prometheus.CounterVec
		seconds *prometheus.HistogramVec
	}
	actionSeconds *prometheus.HistogramVec
	http          struct {
		total   *prometheus.CounterVec
		seconds *prometheus.HistogramVec
	}
	modOnce sync.Once
	mod     *Moderation // see Moderation
}

// New returns Metrics registered on a new prometheus.Registry, with the Go
// runtime and process collectors. log (nil: no logging) receives scrape
// errors; it is named "metrics".
func New(log *zap.Logger) *Metrics {
	if log == nil {
		log = zap.NewNop()
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: log.Named("metrics")}
	m.turn.total = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "turns_total",
		Help: "Turns (one per inbound event of a conversation) by event type and outcome.",
	}, []string{"event", "outcome"})
	m.turn.seconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "turn_duration_seconds",
		Help:    "Time to run one turn (load, hooks, flows, actions, save) by event type.",
		Buckets: latencyBuckets,
	}, []string{"event"})
	m.actionSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "action_duration_seconds",
		Help:    "Time to run one internal action call by action name and outcome (ok or error).",
		Buckets: latencyBuckets,
	}, []string{"action", "outcome"})
	m.http.total = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests by method, route pattern and status code.",
	}, []string{"method", "route", "status"})
	m.http.seconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "HTTP request duration by method and route pattern.",
		Buckets: latencyBuckets,
	}, []string{"method", "route"})
	m.reg.MustRegister(
		buildInfoGauge(buildinfo.Read()),
		m.turn.total, m.turn.seconds, m.actionSeconds, m.http.total, m.http.seconds,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// buildInfoGauge is chatflow_build_info: always 1, labelled with the
// build's version, VCS revision and Go version, so that dashboards can
// tell which build each instance runs (join on it, count versions during
// a rollout).
func buildInfoGauge(info buildinfo.Info) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help: "Always 1; the labels identify the build: module version, VCS revision (unknown when not stamped) and Go version.",
		ConstLabels: prometheus.Labels{
			"version": info.Version, "revision": info.Revision, "go_version": info.GoVersion,
		},
	})
	g.Set(1)
	return g
}

// Registry returns the registry of m, e.g. to register more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics of m in the Prometheus text exposition
// format; call it once per server (it registers its own error counter). A
// collector that fails (a store that does not answer) is logged and left
// out; the other metrics are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{m.log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // counts its own errors: promhttp_metric_handler_errors_total
	})
}

// TurnOutcome classifies the result of flows.Executor.Handle for the
// outcome label.
func TurnOutcome(res *flows.TurnResult, err error) string {
	switch {
	case err == nil && res != nil && res.Duplicate:
		return OutcomeDuplicate
	case err == nil:
		return OutcomeOK
	case errors.Is(err, flows.ErrConversationEnded):
		return OutcomeEnded
	case errors.Is(err, contextstore.ErrUnavailable):
		return OutcomeUnavailable
	case errors.Is(err, flows.ErrTooManyConflicts):
		return OutcomeConflict
	}
	return OutcomeError
}

// ObserveTurn counts one turn of event type ev with its outcome (one of
// the Outcome constants) and records its duration.
func (m *Metrics) ObserveTurn(ev flows.EventType, outcome string, took time.Duration) {
	m.turn.total.WithLabelValues(string(ev), outcome).Inc()
	m.turn.seconds.WithLabelValues(string(ev)).Observe(took.Seconds())
}

// ObserveAction records one call of the internal action named action; err
// is what the action returned (outcome "ok" or "error").
func (m *Metrics) ObserveAction(action string, took time.Duration, err error) {
	outcome := OutcomeOK
	if err != nil {
		outcome = OutcomeError
	}
	m.actionSeconds.WithLabelValues(action, outcome).Observe(took.Seconds())
}

// ObserveHTTP counts one HTTP request. route must be a registered route
// pattern (or a fixed word such as "unmatched"), never the raw path, and
// method one of a bounded set, so the label values stay few.
func (m *Metrics) ObserveHTTP(method, route string, status int, took time.Duration) {
	m.http.total.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.http.seconds.WithLabelValues(method, route).Observe(took.Seconds())
}

// promLogger adapts zap to promhttp.Logger.
type promLogger struct{ log *zap.Logger }

// Println logs a scrape error.
func (l promLogger) Println(v ...any) {
	l.log.Error("serving metrics", zap.String("error", fmt.Sprint(v...)))
}

// scrapeContext is the context of one collector's store reads. Collect
// has no context parameter (prometheus.Collector), so the deadline is
// set here.
func scrapeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), ScrapeTimeout)
}

// Hook returns an executor hook that records the latency and outcome of
// every action call (chatflow_action_duration_seconds). Pass it in
// app.Options.Hooks and the same Metrics to the server.
func (m *Metrics) Hook() flows.Hook { return actionHook{m} }

type actionHook struct{ m *Metrics }

var _ flows.ActionObserver = actionHook{}

func (h actionHook) ActionDone(_ context.Context, action string, took time.Duration, err error) {
	h.m.ObserveAction(action, took, err)
}
