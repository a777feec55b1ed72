package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatflow/chatflow/contextstore"
)

// WatchStore registers the store's health and failure metrics, for the
// parts of contextstore.HealthReporter and contextstore.StatsReporter that
// store implements (the Redis backend implements both; others export
// nothing here):
//
//   - chatflow_store_up: 1 unless the store's health is "down" (asked on
//     every scrape, bounded by ScrapeTimeout);
//   - chatflow_store_degraded_shards: the shards reported not ok (a Redis
//     Cluster shard without a reachable master, or without the replica
//     that confirms sanction writes);
//   - chatflow_store_errors_total{kind}: operations that failed with
//     contextstore.ErrUnavailable, by kind;
//   - chatflow_store_recoveries_total: outages that ended (failover,
//     restart, network repair).
//
// The counters are this process's, unlike the audit-log totals of
// WatchAudit: sum them over instances.
func (m *Metrics) WatchStore(store any) {
	hr, _ := store.(contextstore.HealthReporter)
	sr, _ := store.(contextstore.StatsReporter)
	if hr == nil && sr == nil {
		return
	}
	m.reg.MustRegister(&storeCollector{
		health: hr, stats: sr,
		up: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "store", "up"),
			"1 unless the store reports itself down (asked on scrape).", nil, nil),
		degraded: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "store", "degraded_shards"),
			"Store shards that are down or cannot confirm durable writes (asked on scrape).", nil, nil),
		errors: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "store", "errors_total"),
			"Store operations that failed as unavailable, by kind (network, timeout, cluster_down, not_replicated, ...).", []string{"kind"}, nil),
		recoveries: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "store", "recoveries_total"),
			"Store outages that ended: operations succeed again after failing as unavailable (failover, restart, repair).", nil, nil),
	})
}

type storeCollector struct {
	health                           contextstore.HealthReporter
	stats                            contextstore.StatsReporter
	up, degraded, errors, recoveries *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	if c.health != nil {
		ch <- c.up
		ch <- c.degraded
	}
	if c.stats != nil {
		ch <- c.errors
		ch <- c.recoveries
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	if c.health != nil {
		ctx, cancel := scrapeContext()
		h := c.health.Health(ctx)
		cancel()
		up := 1.0
		if h.Status == contextstore.HealthDown {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
		shards := len(h.Shards)
		if shards == 0 && h.Status == contextstore.HealthDegraded {
			shards = 1 // a backend of one part
		}
		ch <- prometheus.MustNewConstMetric(c.degraded, prometheus.GaugeValue, float64(shards))
	}
	if c.stats != nil {
		st := c.stats.Stats()
		for kind, n := range st.Errors {
			ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(n), kind)
		}
		ch <- prometheus.MustNewConstMetric(c.recoveries, prometheus.CounterValue, float64(st.Recoveries))
	}
}
