package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
)

// DefaultRefreshInterval is how old a Redis Cluster slot map may grow
// before a command reloads it in the background, when
// Config.RefreshInterval is zero. A failed command reloads it at once.
const DefaultRefreshInterval = 2 * time.Second

// minRefreshGap is the least time between two slot map reloads that
// errors trigger (go-redis coalesces reloads further: one at a time, with
// a 200 ms pause after each).
const minRefreshGap = 100 * time.Millisecond

// DefaultWaitTimeout bounds the wait for replicas (WAIT) of a durable
// write when Durability.Timeout is zero.
const DefaultWaitTimeout = time.Second

// recoveryQuiet is how long no operation may have failed before the first
// success after an outage counts as its end (a recovery).
const recoveryQuiet = time.Second

// healthNodeTimeout bounds Health's question to each Redis node.
const healthNodeTimeout = 500 * time.Millisecond

// Durability says which writes wait for replicas before they are
// acknowledged. The zero value waits for none.
type Durability struct {
	// Replicas is how many replicas must confirm (Redis WAIT, sent on the
	// connection of the write, in the same round trip) each write of a
	// block, ban, lift, account or audit event before it is reported done;
	// 0: none. A write that is not confirmed within Timeout fails with an
	// error wrapping contextstore.ErrUnavailable (it may still be applied:
	// as after a timeout, a retry is safe). Connect sets it from
	// Config.WaitReplicas.
	Replicas int
	// Timeout bounds the wait; default DefaultWaitTimeout (1 s). It must
	// be shorter than the client's read timeout.
	Timeout time.Duration
	// Turns makes conversation and activity saves wait too. Off by
	// default: a turn then costs no replica round trip, and a turn
	// acknowledged in the instant before its master dies can be lost in
	// a failover (see the package documentation, "Failover").
	Turns bool
}

// errKinds are the kinds of Stats.Errors, in a fixed order.
var errKinds = [...]string{"network", "timeout", "cluster_down", "redirect", "readonly", "loading", "not_replicated", "busy", "closed", "canceled", "other"}

func kindIndex(k string) int {
	for i, v := range errKinds {
		if v == k {
			return i
		}
	}
	return len(errKinds) - 1
}

// NotReplicatedError is the cause of a durable write that the required
// replicas did not confirm in time. The store wraps it together with
// contextstore.ErrUnavailable.
type NotReplicatedError struct {
	Want, Got int64
	Timeout   time.Duration
}

// Error says how many replicas confirmed.
func (e *NotReplicatedError) Error() string {
	return fmt.Sprintf("write confirmed by %d of %d replica(s) within %s (it may still be applied)", e.Got, e.Want, e.Timeout)
}

// errorKind classifies a failure that wraps contextstore.ErrUnavailable.
func errorKind(err error) string {
	var nr *NotReplicatedError
	var ne net.Error
	switch {
	case errors.As(err, &nr), redis.HasErrorPrefix(err, "NOREPLICAS"):
		return "not_replicated"
	case redis.HasErrorPrefix(err, "CLUSTERDOWN"), redis.HasErrorPrefix(err, "MASTERDOWN"), redis.HasErrorPrefix(err, "TRYAGAIN"):
		return "cluster_down"
	case redis.HasErrorPrefix(err, "MOVED"), redis.HasErrorPrefix(err, "ASK"):
		return "redirect"
	case redis.HasErrorPrefix(err, "READONLY"):
		return "readonly"
	case redis.HasErrorPrefix(err, "LOADING"):
		return "loading"
	case redis.HasErrorPrefix(err, "BUSY"):
		return "busy"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout(),
		err != nil && strings.Contains(err.Error(), "pool timeout"):
		return "timeout"
	case errors.Is(err, redis.ErrClosed):
		return "closed"
	case errors.As(err, &ne), errors.Is(err, net.ErrClosed), err != nil && (strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection")):
		return "network"
	}
	return "other"
}

// faults keeps what the store knows about its failures: counts by kind,
// the outage in progress, and the slot map refresh of a Cluster.
type faults struct {
	log     *zap.Logger
	now     func() time.Time
	cluster *redis.ClusterClient // nil: not a cluster

	lastRefresh atomic.Int64 // UnixNano of the last reload that errors triggered
	refreshes   atomic.Uint64
	counts      [len(errKinds)]atomic.Uint64
	recoveries  atomic.Uint64

	open    atomic.Bool // an outage is in progress
	mu      sync.Mutex  // guards the fields below
	since   time.Time   // first failure of the outage
	lastErr time.Time   // latest failure
	failed  int         // failures in the outage
}

// failure records an operation that failed with an ErrUnavailable cause.
func (f *faults) failure(err error) {
	kind := errorKind(err)
	f.counts[kindIndex(kind)].Add(1)
	if kind == "canceled" {
		return // the caller gave up; Redis may be fine
	}
	now := f.now()
	f.mu.Lock()
	if !f.open.Load() {
		f.since = now
		f.failed = 0
		f.open.Store(true)
		f.log.Warn("redis unavailable", zap.String("kind", kind), zap.Error(err))
	}
	f.lastErr = now
	f.failed++
	f.mu.Unlock()
	if kind != "not_replicated" {
		f.refresh("a command failed: " + kind)
	}
}

// success records an operation that Redis answered.
func (f *faults) success() {
	if !f.open.Load() {
		return
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.open.Load() || now.Sub(f.lastErr) < recoveryQuiet {
		return
	}
	f.open.Store(false)
	f.recoveries.Add(1)
	f.log.Info("redis recovered",
		zap.Duration("unavailable_for", f.lastErr.Sub(f.since)),
		zap.Int("failed_operations", f.failed))
}

// refresh reloads a Cluster's slot map in the background, at most once
// per minRefreshGap.
func (f *faults) refresh(why string) {
	if f.cluster == nil {
		return
	}
	now := time.Now().UnixNano()
	last := f.lastRefresh.Load()
	if now-last < int64(minRefreshGap) || !f.lastRefresh.CompareAndSwap(last, now) {
		return
	}
	f.refreshes.Add(1)
	if ce := f.log.Check(zap.DebugLevel, "reloading the cluster slot map"); ce != nil {
		ce.Write(zap.String("why", why))
	}
	f.cluster.ReloadState(context.Background())
}

// stats implements Store.Stats.
func (f *faults) stats() contextstore.Stats {
	st := contextstore.Stats{Errors: make(map[string]uint64, len(errKinds)), Recoveries: f.recoveries.Load()}
	for i, k := range errKinds {
		st.Errors[k] = f.counts[i].Load()
	}
	return st
}

// nodeHook is installed on every node client of a Cluster: a command that
// fails because its node does not answer (refused, reset, timed out) or
// because the cluster is reconfiguring reloads the slot map at once, so
// that the retries go-redis makes (MaxRedirects) already reach the
// promoted replica. go-redis itself reloads only on MOVED, ASK and
// READONLY, which a dead node never sends.
type nodeHook struct{ f *faults }

var _ redis.Hook = nodeHook{}

func (h nodeHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil && ctx.Err() == nil {
			h.f.refresh("cannot connect to " + addr)
		}
		return c, err
	}
}

func (h nodeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.check(ctx, err)
		return err
	}
}

func (h nodeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.check(ctx, err)
		return err
	}
}

func (h nodeHook) check(ctx context.Context, err error) {
	if err == nil || errors.Is(err, redis.Nil) || ctx.Err() != nil {
		return
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		// A reply: only a reconfiguring cluster is a reason to reload.
		if redis.HasErrorPrefix(err, "CLUSTERDOWN") || redis.HasErrorPrefix(err, "TRYAGAIN") {
			h.f.refresh("cluster reconfiguring")
		}
		return
	}
	h.f.refresh("a node does not answer: " + err.Error())
}

// successHook is installed on the store's client: every command Redis
// answers may end an outage (see faults.success).
type successHook struct{ f *faults }

var _ redis.Hook = successHook{}

func (h successHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h successHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err == nil || errors.Is(err, redis.Nil) {
			h.f.success()
		}
		return err
	}
}

func (h successHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil {
			h.f.success()
		}
		return err
	}
}

// Stats implements contextstore.StatsReporter: the failures reported as
// contextstore.ErrUnavailable, by kind, and the outages that ended.
func (s *Store) Stats() contextstore.Stats { return s.faults.stats() }

// runDurable runs a write script and, when the store's durability asks
// for replicas, WAIT on the same connection in the same round trip (WAIT
// counts the replicas that have the connection's writes). On a Cluster the
// pipeline goes to the master of keys[0]; a MOVED reply (the slot map is
// stale) reloads the map and fails the write as unavailable.
func (s *Store) runDurable(ctx context.Context, sc *redis.Script, wait bool, keys []string, args ...any) *redis.Cmd {
	n := s.dur.Replicas
	if !wait || n <= 0 {
		return sc.Run(ctx, s.rdb, keys, args...)
	}
	var node redis.Cmdable = s.rdb
	if s.cluster != nil {
		c, err := s.cluster.MasterForKey(ctx, keys[0])
		if err != nil {
			cmd := redis.NewCmd(ctx)
			cmd.SetErr(err)
			return cmd
		}
		node = c
	}
	run := func(eval bool) (*redis.Cmd, *redis.Cmd) {
		var cmd *redis.Cmd
		var w *redis.Cmd
		_, _ = node.Pipelined(ctx, func(p redis.Pipeliner) error {
			if eval {
				cmd = sc.Eval(ctx, p, keys, args...)
			} else {
				cmd = sc.EvalSha(ctx, p, keys, args...)
			}
			w = p.Do(ctx, "WAIT", n, s.dur.Timeout.Milliseconds())
			return nil
		})
		return cmd, w
	}
	cmd, w := run(false)
	if isNoScript(cmd.Err()) {
		cmd, w = run(true)
	}
	if err := cmd.Err(); err != nil {
		if redis.HasErrorPrefix(err, "MOVED") || redis.HasErrorPrefix(err, "ASK") {
			s.faults.refresh("a durable write was redirected")
		}
		return cmd
	}
	if err := w.Err(); err != nil {
		cmd.SetErr(fmt.Errorf("waiting for %d replica(s): %w", n, err))
		return cmd
	}
	if got, err := w.Int64(); err != nil || got < int64(n) {
		cmd.SetErr(&NotReplicatedError{Want: int64(n), Got: got, Timeout: s.dur.Timeout})
	}
	return cmd
}

// onlineReplicas returns the number of replicas in state online in the
// reply of INFO replication, and the role.
func onlineReplicas(info string) (role string, n int) {
	for line := range strings.SplitSeq(info, "\n") {
		line = strings.TrimSpace(line)
		if r, ok := strings.CutPrefix(line, "role:"); ok {
			role = r
		}
		if strings.HasPrefix(line, "slave") && strings.Contains(line, "state=online") {
			n++
		}
	}
	return role, n
}

// minReplicas returns the fewest online replicas of any master (of the
// one master, outside a Cluster).
func (s *Store) minReplicas(ctx context.Context) (int, error) {
	if s.cluster == nil {
		info, err := s.rdb.Info(ctx, "replication").Result()
		if err != nil {
			return 0, err
		}
		_, n := onlineReplicas(info)
		return n, nil
	}
	var mu sync.Mutex
	least := -1
	err := s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		_, n := onlineReplicas(info)
		mu.Lock()
		if least < 0 || n < least {
			least = n
		}
		mu.Unlock()
		return nil
	})
	return max(least, 0), err
}

// Health implements contextstore.HealthReporter. Outside a Cluster it asks
// the master (INFO replication): down when it does not answer, degraded
// when durable writes need more replicas than are online. On a Cluster it
// asks every master of the current slot map at once (refreshing the map
// first): down when none answers, degraded naming each shard whose master
// does not answer or lacks the replicas durable writes need.
func (s *Store) Health(ctx context.Context) contextstore.Health {
	type answer struct {
		addr string
		err  error
		n    int
	}
	ask := func(ctx context.Context, c redis.Cmdable, addr string) answer {
		ctx, cancel := context.WithTimeout(ctx, healthNodeTimeout)
		defer cancel()
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return answer{addr: addr, err: err}
		}
		role, n := onlineReplicas(info)
		if role != "" && role != "master" {
			return answer{addr: addr, err: fmt.Errorf("the node is a %s", role)}
		}
		return answer{addr: addr, n: n}
	}
	need := s.dur.Replicas
	replicaReason := func(n int) string {
		return fmt.Sprintf("%d of the %d replica(s) that confirm sanction writes online: those writes fail", n, need)
	}
	if s.cluster == nil {
		a := ask(ctx, s.rdb, "")
		switch {
		case a.err != nil:
			return contextstore.Health{Status: contextstore.HealthDown, Reason: "redis does not answer: " + a.err.Error()}
		case a.n < need:
			return contextstore.Health{Status: contextstore.HealthDegraded, Reason: replicaReason(a.n)}
		}
		return contextstore.Health{Status: contextstore.HealthOK}
	}

	var mu sync.Mutex
	var answers []answer
	var shards []redis.ClusterShard
	err := s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		a := ask(ctx, c, c.Options().Addr)
		var sh []redis.ClusterShard
		if a.err == nil {
			// For the slot ranges in the report only (Redis 7+; without
			// them a shard is named by its master's address).
			sctx, cancel := context.WithTimeout(ctx, healthNodeTimeout)
			sh, _ = c.ClusterShards(sctx).Result()
			cancel()
		}
		mu.Lock()
		answers = append(answers, a)
		if shards == nil {
			shards = sh
		}
		mu.Unlock()
		return nil
	})
	if err != nil && len(answers) == 0 {
		s.faults.refresh("health: no node answers")
		return contextstore.Health{Status: contextstore.HealthDown, Reason: "no cluster node answers: " + err.Error()}
	}
	h := contextstore.Health{Status: contextstore.HealthOK}
	down := 0
	for _, a := range answers {
		name := a.addr
		if r := slotRanges(shards, a.addr); r != "" {
			name += " slots " + r
		}
		switch {
		case a.err != nil:
			down++
			h.Shards = append(h.Shards, contextstore.ShardHealth{Name: name, Status: contextstore.HealthDown, Reason: "master does not answer: " + a.err.Error()})
		case a.n < need:
			h.Shards = append(h.Shards, contextstore.ShardHealth{Name: name, Status: contextstore.HealthDegraded, Reason: replicaReason(a.n)})
		}
	}
	switch {
	case down == len(answers):
		h.Status, h.Reason = contextstore.HealthDown, "no cluster master answers"
	case down > 0:
		s.faults.refresh("health: a master does not answer")
		h.Status, h.Reason = contextstore.HealthDegraded, fmt.Sprintf("%d of %d shards unavailable: turns on them fail, the others are served", down, len(answers))
	case len(h.Shards) > 0:
		h.Status, h.Reason = contextstore.HealthDegraded, fmt.Sprintf("%d of %d shards lack replicas", len(h.Shards), len(answers))
	}
	return h
}

// slotRanges formats the slot ranges of the shard whose master is addr.
func slotRanges(shards []redis.ClusterShard, addr string) string {
	var out []string
	for _, sh := range shards {
		for _, n := range sh.Nodes {
			host := n.Endpoint
			if host == "" {
				host = n.IP
			}
			if n.Role != "master" || net.JoinHostPort(host, strconv.FormatInt(n.Port, 10)) != addr {
				continue
			}
			for _, r := range sh.Slots {
				out = append(out, fmt.Sprintf("%d-%d", r.Start, r.End))
			}
		}
	}
	return strings.Join(out, ",")
}

var _ contextstore.HealthReporter = (*Store)(nil)
var _ contextstore.StatsReporter = (*Store)(nil)
