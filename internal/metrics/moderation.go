package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Moderation counts what automatic moderation does. Its methods have the
// shape of moderation.Observer (this package imports no domain package):
//
//	chatflow_moderation_rule_hits_total{rule, action, mode}   mode: enforced or shadow
//	chatflow_moderation_limiter_seconds{limit, outcome}       one limiter call; outcome: allowed or refused
//	chatflow_moderation_strikes_total{kind}                   rate, rule, agent
//	chatflow_moderation_sanctions_total{rule}                 automatic blocks, by the rule or limit behind them
type Moderation struct {
	hits      *prometheus.CounterVec
	limiter   *prometheus.HistogramVec
	strikes   *prometheus.CounterVec
	sanctions *prometheus.CounterVec
}

// limiterBuckets (seconds): an in-process check takes microseconds, a
// Redis one a round trip.
var limiterBuckets = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1}

// Moderation returns the moderation instruments, registering them on
// first use.
func (m *Metrics) Moderation() *Moderation {
	m.modOnce.Do(func() {
		mm := &Moderation{
			hits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "moderation_rule_hits_total",
				Help: "Watched-word rule hits by rule, action and mode (enforced, or shadow: recorded only)."}, []string{"rule", "action", "mode"}),
			limiter: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "moderation_limiter_seconds",
				Help: "Time of one rate limiter check by limit and outcome (allowed or refused).", Buckets: limiterBuckets}, []string{"limit", "outcome"}),
			strikes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "moderation_strikes_total",
				Help: "Strikes issued by kind (rate, rule, agent)."}, []string{"kind"}),
			sanctions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "moderation_sanctions_total",
				Help: "Automatic sanctions by the rule or limit behind them."}, []string{"rule"}),
		}
		m.reg.MustRegister(mm.hits, mm.limiter, mm.strikes, mm.sanctions)
		m.mod = mm
	})
	return m.mod
}

// RuleHit counts a rule hit.
func (m *Moderation) RuleHit(rule, action string, shadow bool) {
	mode := "enforced"
	if shadow {
		mode = "shadow"
	}
	m.hits.WithLabelValues(rule, action, mode).Inc()
}

// LimitChecked observes one limiter call.
func (m *Moderation) LimitChecked(limit string, allowed bool, took time.Duration) {
	outcome := "allowed"
	if !allowed {
		outcome = "refused"
	}
	m.limiter.WithLabelValues(limit, outcome).Observe(took.Seconds())
}

// StrikeAdded counts a strike.
func (m *Moderation) StrikeAdded(kind string) { m.strikes.WithLabelValues(kind).Inc() }

// Sanctioned counts an automatic sanction.
func (m *Moderation) Sanctioned(rule string) { m.sanctions.WithLabelValues(rule).Inc() }
