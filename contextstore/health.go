package contextstore

import "context"

// HealthStatus is the overall state of a backend in a Health report.
type HealthStatus string

// The states of a backend, from best to worst.
const (
	// HealthOK: every part of the backend answers.
	HealthOK HealthStatus = "ok"
	// HealthDegraded: the backend serves, but a part of it does not (a
	// Redis Cluster shard without a reachable master, or without the
	// replica that confirms sanction writes): requests touching that part
	// fail with ErrUnavailable, the others succeed.
	HealthDegraded HealthStatus = "degraded"
	// HealthDown: the backend serves nothing.
	HealthDown HealthStatus = "down"
)

// Health is a backend's report on whether it can serve, for readiness
// probes and metrics.
type Health struct {
	// Status is the overall state.
	Status HealthStatus `json:"status"`
	// Reason says why Status is not HealthOK (empty when it is).
	Reason string `json:"reason,omitempty"`
	// Shards lists the parts that are not ok, for a backend made of parts
	// (a Redis Cluster: one entry per shard); empty otherwise.
	Shards []ShardHealth `json:"shards,omitempty"`
}

// ShardHealth is the state of one part of a backend.
type ShardHealth struct {
	// Name identifies the part: for a Redis Cluster shard, its master's
	// address and its slot ranges ("127.0.0.1:7001 slots 0-5460").
	Name string `json:"name"`
	// Status is HealthDegraded (serves, but a write confirmation cannot be
	// had) or HealthDown (does not answer).
	Status HealthStatus `json:"status"`
	// Reason is what failed.
	Reason string `json:"reason"`
}

// HealthReporter is implemented by backends that can tell more than Ping:
// which part of them is down and why. Health asks the backend (bounded by
// ctx) and never fails: an unreachable backend is reported as HealthDown.
type HealthReporter interface {
	Health(ctx context.Context) Health
}

// Stats are cumulative counts a backend keeps about its own failures,
// for metrics.
type Stats struct {
	// Errors counts the failed operations reported to callers as
	// ErrUnavailable, by kind (a backend's own small fixed set of words,
	// such as "network", "timeout", "cluster_down", "not_replicated").
	Errors map[string]uint64
	// Recoveries counts the outages that ended: a period of ErrUnavailable
	// failures followed by operations succeeding again (after a failover,
	// a restart, or a network repair).
	Recoveries uint64
}

// StatsReporter is implemented by backends that keep Stats.
type StatsReporter interface {
	Stats() Stats
}
