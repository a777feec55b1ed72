package metrics

import (
	"context"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatflow/chatflow/contextstore"
)

// QueueLister is what WatchQueues needs of a store.
type QueueLister interface {
	ListQueue(ctx context.Context, queue string) ([]contextstore.QueueEntry, error)
}

// WatchQueues registers chatflow_queue_length{queue}: on every scrape the
// length of each queue named by queues() is read from src. queues is
// called per scrape, so it may follow flow reloads.
func (m *Metrics) WatchQueues(src QueueLister, queues func() []string) {
	m.reg.MustRegister(&queueCollector{
		src:    src,
		queues: queues,
		desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "queue_length"),
			"Conversations waiting for a helpdesk agent, by queue (read from the store on scrape).",
			[]string{"queue"}, nil),
	})
}

type queueCollector struct {
	src    QueueLister
	queues func() []string
	desc   *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := scrapeContext()
	defer cancel()
	for _, q := range c.queues() {
		entries, err := c.src.ListQueue(ctx, q)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("reading queue %q: %w", q, err))
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(len(entries)), q)
	}
}

// auditPage is how many audit events one store read returns.
const auditPage = 500

// kinds are the block kinds always exported (at 0 until seen).
var kinds = []contextstore.BlockKind{contextstore.KindUser, contextstore.KindConversation, contextstore.KindIP, contextstore.KindRange}

// WatchAudit registers chatflow_blocks_created_total{kind} and
// chatflow_blocks_lifted_total{kind}, counted from the audit log: every
// block change, whoever made it (an action in a turn, an admin, a flow's
// self-unblock), is an audit event, so this sees them all without a hook
// in the blocking service. Each scrape reads only the events appended
// since the previous one; the first scrape reads the whole log, so the
// counters are totals of the store, not of this process. Several
// instances sharing a store therefore report the same totals: aggregate
// them with max, not sum.
func (m *Metrics) WatchAudit(log contextstore.AuditLog) {
	m.reg.MustRegister(&auditCollector{
		log:    log,
		counts: map[string]map[contextstore.BlockKind]float64{contextstore.AuditBlockCreate: {}, contextstore.AuditBlockLift: {}},
		descs: map[string]*prometheus.Desc{
			contextstore.AuditBlockCreate: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "blocks_created_total"),
				"Blocks and bans created, by kind (from the audit log).", []string{"kind"}, nil),
			contextstore.AuditBlockLift: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "blocks_lifted_total"),
				"Blocks and bans lifted before their end, by kind (from the audit log).", []string{"kind"}, nil),
		},
	})
}

type auditCollector struct {
	log   contextstore.AuditLog
	descs map[string]*prometheus.Desc

	mu     sync.Mutex // serializes scrapes
	after  string     // id of the last event counted
	counts map[string]map[contextstore.BlockKind]float64
}

// Describe implements prometheus.Collector.
func (c *auditCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *auditCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := scrapeContext()
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.catchUp(ctx); err != nil {
		// Counters keep what was counted so far; report the failure once.
		for _, d := range c.descs {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for action, d := range c.descs {
		for _, k := range kinds {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, c.counts[action][k], string(k))
		}
	}
}

// catchUp counts the audit events appended since the last scrape.
func (c *auditCollector) catchUp(ctx context.Context) error {
	for {
		evs, err := c.log.ListAudit(ctx, contextstore.AuditQuery{After: c.after, Limit: auditPage})
		if err != nil {
			return fmt.Errorf("reading the audit log: %w", err)
		}
		for _, e := range evs {
			if n, ok := c.counts[e.Action]; ok {
				n[contextstore.BlockKind(e.Details["kind"])]++
			}
			c.after = e.ID
		}
		if len(evs) < auditPage {
			return nil
		}
	}
}
