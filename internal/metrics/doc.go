// Package metrics holds chatflow's Prometheus instruments. A Metrics value
// owns its own prometheus.Registry (never the global default), so every
// server, and every test, counts on its own.
//
// The instruments, all prefixed chatflow_:
//
//   - turns_total{event, outcome} and turn_duration_seconds{event}: one
//     turn per inbound event (see TurnOutcome for the outcomes);
//   - action_duration_seconds{action, outcome}: internal action calls;
//   - blocks_created_total{kind} and blocks_lifted_total{kind}: read on
//     scrape from the audit log (see WatchAudit);
//   - queue_length{queue}: read on scrape from the store (see WatchQueues);
//   - store_up, store_degraded_shards, store_errors_total{kind} and
//     store_recoveries_total: the store's own health and failure counts,
//     for a store that reports them (see WatchStore);
//   - http_requests_total{method, route, status} and
//     http_request_duration_seconds{method, route}, labelled with the
//     route pattern, never the raw path, so cardinality stays bounded;
//   - build_info{version, revision, go_version}: always 1, the build of
//     the running binary (see package buildinfo);
//   - the Go runtime and process collectors.
package metrics
