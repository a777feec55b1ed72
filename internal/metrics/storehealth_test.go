package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/metrics"
)

// reportingStore is a store that reports a degraded cluster.
type reportingStore struct{ *memory.Store }

func (reportingStore) Health(context.Context) contextstore.Health {
	return contextstore.Health{Status: contextstore.HealthDegraded, Reason: "1 of 3 shards unavailable",
		Shards: []contextstore.ShardHealth{{Name: "127.0.0.1:7001 slots 0-5460", Status: contextstore.HealthDown, Reason: "refused"}}}
}

func (reportingStore) Stats() contextstore.Stats {
	return contextstore.Stats{Errors: map[string]uint64{"network": 7, "not_replicated": 2}, Recoveries: 1}
}

func TestWatchStore(t *testing.T) {
	m := metrics.New(nil)
	m.WatchStore(reportingStore{memory.New()})
	const want = `
# HELP chatflow_store_degraded_shards Store shards that are down or cannot confirm durable writes (asked on scrape).
# TYPE chatflow_store_degraded_shards gauge
chatflow_store_degraded_shards 1
# HELP chatflow_store_errors_total Store operations that failed as unavailable, by kind (network, timeout, cluster_down, not_replicated, ...).
# TYPE chatflow_store_errors_total counter
chatflow_store_errors_total{kind="network"} 7
chatflow_store_errors_total{kind="not_replicated"} 2
# HELP chatflow_store_recoveries_total Store outages that ended: operations succeed again after failing as unavailable (failover, restart, repair).
# TYPE chatflow_store_recoveries_total counter
chatflow_store_recoveries_total 1
# HELP chatflow_store_up 1 unless the store reports itself down (asked on scrape).
# TYPE chatflow_store_up gauge
chatflow_store_up 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"chatflow_store_up", "chatflow_store_degraded_shards", "chatflow_store_errors_total", "chatflow_store_recoveries_total"); err != nil {
		t.Error(err)
	}
	// A store without reports adds nothing.
	m2 := metrics.New(nil)
	m2.WatchStore(memory.New())
	if n, _ := testutil.GatherAndCount(m2.Registry(), "chatflow_store_up"); n != 0 {
		t.Errorf("chatflow_store_up exported for the memory store")
	}
}
