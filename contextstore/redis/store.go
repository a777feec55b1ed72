package redisstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
)

// DefaultKeyPrefix is the key prefix used when Options.KeyPrefix and
// Config.KeyPrefix are empty.
const DefaultKeyPrefix = "chatflow:"

// DefaultConversationTTL is the idle lifetime of a conversation context
// when Options.ConversationTTL is zero.
const DefaultConversationTTL = 7 * 24 * time.Hour

// indexGrace is how long past its deadline a conversation id stays in the
// conversation index, to absorb clock skew between chatflow instances and
// Redis nodes (an id listed whose context is gone is skipped anyway).
const indexGrace = time.Minute

// pruneBatch bounds the expired ids one PutConversation removes from the
// conversation index.
const pruneBatch = 100

// pageSize is how many ids one round trip of a List method reads.
const pageSize = 256

// Options configures a Store. The zero value is usable.
type Options struct {
	// KeyPrefix is prepended to every key and to the ban channel name;
	// default DefaultKeyPrefix ("chatflow:"). Give each deployment sharing
	// one Redis its own prefix. Any prefix is correct; a prefix containing
	// a complete hash tag ("{x}") puts every key in one cluster slot.
	KeyPrefix string
	// Logger receives warnings (index maintenance, ban subscription) and
	// debug messages; default zap.NewNop(). The store names it "redis".
	Logger *zap.Logger
	// Clock is the current time, used for the conversation index deadlines;
	// default time.Now.
	Clock func() time.Time
	// ConversationTTL is how long a conversation context lives after its
	// last save (every PutConversation refreshes it); default
	// DefaultConversationTTL (7 days). A negative value disables expiry.
	ConversationTTL time.Duration
	// Durability says which writes wait for replicas; the zero value
	// waits for none (Connect fills in Replicas, see Config.WaitReplicas).
	Durability Durability
}

// Config says how Connect reaches Redis.
type Config struct {
	// Addrs are host:port addresses: one address is a standalone server,
	// several are the seed nodes of a Cluster, and with MasterName they are
	// Sentinel addresses. Required.
	Addrs []string
	// MasterName is the Sentinel master name; set it to use Sentinel.
	MasterName string
	// Username and Password authenticate (ACL user, or password only).
	Username, Password string
	// DB is the database number (standalone and Sentinel; must be 0 on a
	// Cluster).
	DB int
	// PoolSize is the connection pool size per node; 0: go-redis's default
	// (10 per CPU).
	PoolSize int
	// DialTimeout, ReadTimeout and WriteTimeout: 0 means go-redis's
	// defaults (5 s, 3 s, ReadTimeout).
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// KeyPrefix, when set, overrides Options.KeyPrefix (default
	// DefaultKeyPrefix).
	KeyPrefix string
	// RefreshInterval is how old a Cluster's slot map may grow before a
	// command reloads it in the background; 0: DefaultRefreshInterval
	// (2 s). Independently of it, a command that fails because a node
	// does not answer reloads the map at once (at most every 100 ms), so
	// that traffic follows a promoted replica as soon as the cluster has
	// promoted it.
	RefreshInterval time.Duration
	// WaitReplicas sets Options.Durability.Replicas: 0 (the default) is
	// automatic: 1 when, at Connect, every master has at least one online
	// replica, else 0 (a single node, or a deployment without replicas,
	// does not wait); a negative value never waits; n > 0 waits for n
	// replicas.
	WaitReplicas int
	// TLSConfig, when set, makes the connections TLS (rediss://).
	TLSConfig *tls.Config
	// Cluster forces the cluster client with one address. Without it,
	// Connect asks a single address whether it is a cluster node (INFO
	// cluster: cluster_enabled:1) and then uses the cluster client, so a
	// managed Cluster's configuration endpoint works as one address.
	Cluster bool
	// NoClusterDetect skips that question (a server that refuses INFO).
	NoClusterDetect bool
	// Options configures the Store that Connect returns.
	Options Options
}

// Store is the Redis backend of contextstore.Store. It is safe for
// concurrent use. Its methods translate Redis errors at the boundary:
// a missing record is contextstore.ErrNotFound, a lost compare-and-swap
// contextstore.ErrVersionConflict, and a failure to reach Redis (network,
// timeout, closed client, cluster down, loading, read-only replica) wraps
// contextstore.ErrUnavailable together with the cause.
type Store struct {
	rdb     redis.UniversalClient
	cluster *redis.ClusterClient // rdb, when it is a Cluster client
	log     *zap.Logger
	now     func() time.Time
	ttl     time.Duration
	keys    keys
	dur     Durability
	faults  *faults
}

var _ contextstore.Store = (*Store)(nil)

// New returns a Store on client, which it takes over: Store.Close closes
// it. New does no I/O; call Ping to check that Redis is reachable.
func New(client redis.UniversalClient, o Options) *Store {
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultKeyPrefix
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.ConversationTTL == 0 {
		o.ConversationTTL = DefaultConversationTTL
	}
	if o.Durability.Timeout <= 0 {
		o.Durability.Timeout = DefaultWaitTimeout
	}
	s := &Store{
		rdb:  client,
		log:  o.Logger.Named("redis"),
		now:  o.Clock,
		ttl:  o.ConversationTTL,
		keys: keys{prefix: o.KeyPrefix},
		dur:  o.Durability,
	}
	s.cluster, _ = client.(*redis.ClusterClient)
	s.faults = &faults{log: s.log, now: time.Now, cluster: s.cluster}
	if s.cluster != nil {
		s.cluster.OnNewNode(func(node *redis.Client) { node.AddHook(nodeHook{s.faults}) })
	}
	client.AddHook(successHook{s.faults})
	return s
}

// Connect builds a go-redis UniversalClient from cfg (one address:
// standalone; MasterName: Sentinel; several addresses: Cluster), pings it
// and returns a Store on it. When Redis cannot be reached the error names
// the addresses and wraps contextstore.ErrUnavailable.
func Connect(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("redis: no address configured")
	}
	for _, a := range cfg.Addrs {
		if strings.TrimSpace(a) == "" {
			return nil, fmt.Errorf("redis: empty address in %q", cfg.Addrs)
		}
	}
	cluster := cfg.MasterName == "" && (len(cfg.Addrs) > 1 || cfg.Cluster)
	if cluster && cfg.DB != 0 {
		return nil, fmt.Errorf("redis: db %d requested, but a cluster (addresses %s) has only db 0", cfg.DB, strings.Join(cfg.Addrs, ","))
	}
	if cfg.RefreshInterval < 0 {
		return nil, fmt.Errorf("redis: refresh interval %s is negative", cfg.RefreshInterval)
	}
	o := cfg.Options
	if cfg.KeyPrefix != "" {
		o.KeyPrefix = cfg.KeyPrefix
	}
	readTimeout := cfg.ReadTimeout
	if readTimeout == 0 {
		readTimeout = 3 * time.Second // go-redis's default
	}
	waitTimeout := o.Durability.Timeout
	if waitTimeout <= 0 {
		waitTimeout = DefaultWaitTimeout
	}
	// A negative read timeout means none (go-redis): any wait fits.
	tooLong := readTimeout > 0 && waitTimeout >= readTimeout
	if cfg.WaitReplicas > 0 && tooLong {
		return nil, fmt.Errorf("redis: the wait timeout %s must be shorter than the read timeout %s", waitTimeout, readTimeout)
	}
	uo := &redis.UniversalOptions{
		Addrs:        cfg.Addrs,
		MasterName:   cfg.MasterName,
		Username:     cfg.Username,
		Password:     cfg.Password,
		DB:           cfg.DB,
		PoolSize:     cfg.PoolSize,
		DialTimeout:  cfg.DialTimeout,
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		TLSConfig:    cfg.TLSConfig,
		// Context deadlines (deadlineHook's) bound the network reads too.
		ContextTimeoutEnabled: true,
	}
	describe := func() string {
		switch {
		case cfg.MasterName != "":
			return fmt.Sprintf("redis master %q via sentinels %s", cfg.MasterName, strings.Join(cfg.Addrs, ","))
		case cluster:
			return "redis cluster at " + strings.Join(cfg.Addrs, ",")
		}
		return "redis at " + strings.Join(cfg.Addrs, ",")
	}
	newClient := func() redis.UniversalClient {
		switch {
		case cfg.MasterName != "":
			// go-redis follows the Sentinels: it subscribes to
			// +switch-master, drops the connections to the old master and
			// asks the Sentinels for the master on every new connection.
			return redis.NewFailoverClient(uo.Failover())
		case cluster:
			co := uo.Cluster()
			// One dial attempt per node: go-redis's default (5 attempts,
			// 100 ms apart) holds a command on a dead master for 0.4 s
			// before its retry can go to the promoted replica; the
			// retries of the command itself (MaxRedirects) cover a
			// refused dial.
			co.DialerRetries = 1
			co.ClusterStateReloadInterval = cfg.RefreshInterval
			if co.ClusterStateReloadInterval == 0 {
				co.ClusterStateReloadInterval = DefaultRefreshInterval
			}
			return redis.NewClusterClient(co)
		}
		return redis.NewClient(uo.Simple())
	}
	client := newClient()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		// Whatever the cause (even redis.Nil: Sentinel does not know the
		// master), the store cannot be used: report it as unavailable.
		return nil, fmt.Errorf("connecting to %s: %w: %w", describe(), contextstore.ErrUnavailable, err)
	}
	// One address may be a Cluster's configuration endpoint (a managed
	// service's): a standalone client there would get MOVED for most
	// keys, so ask the server and switch to the cluster client.
	if !cluster && cfg.MasterName == "" && !cfg.NoClusterDetect {
		enabled, err := clusterEnabled(ctx, client)
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("connecting to %s: asking whether it is a cluster: %w: %w", describe(), contextstore.ErrUnavailable, err)
		}
		if enabled {
			_ = client.Close()
			if cfg.DB != 0 {
				return nil, fmt.Errorf("redis: db %d requested, but %s is a cluster node, and a cluster has only db 0", cfg.DB, cfg.Addrs[0])
			}
			cluster = true
			client = newClient()
			if err := client.Ping(ctx).Err(); err != nil {
				_ = client.Close()
				return nil, fmt.Errorf("connecting to %s: %w: %w", describe(), contextstore.ErrUnavailable, err)
			}
			if cfg.Options.Logger != nil {
				cfg.Options.Logger.Info("redis: the address is a cluster node; using the cluster client", zap.String("addr", cfg.Addrs[0]))
			}
		}
	}
	// Bound every command, its retries included, by the configured
	// timeouts: go-redis retries a timed-out read, so a paused Redis
	// would otherwise hold a request for several read timeouts.
	client.AddHook(deadlineHook{budget: commandBudget(cfg)})
	switch {
	case cfg.WaitReplicas > 0:
		o.Durability.Replicas = cfg.WaitReplicas
	case cfg.WaitReplicas < 0:
		o.Durability.Replicas = 0
	default:
		o.Durability.Replicas = 0
		s := New(client, o)
		n, err := s.minReplicas(ctx)
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("redis: counting the replicas: %w: %w", contextstore.ErrUnavailable, err)
		}
		if n > 0 {
			if tooLong {
				_ = client.Close()
				return nil, fmt.Errorf("redis: the wait timeout %s must be shorter than the read timeout %s", waitTimeout, readTimeout)
			}
			s.dur.Replicas = 1
		}
		s.log.Info("durability", zap.Int("wait_replicas", s.dur.Replicas), zap.Bool("wait_turns", s.dur.Turns && s.dur.Replicas > 0),
			zap.String("why", map[bool]string{true: "every master has a replica", false: "a master has no replica"}[n > 0]))
		return s, nil
	}
	return New(client, o), nil
}

// clusterEnabled reports whether the server c talks to runs in cluster
// mode (INFO cluster says cluster_enabled:1).
func clusterEnabled(ctx context.Context, c redis.UniversalClient) (bool, error) {
	info, err := c.Info(ctx, "cluster").Result()
	if err != nil {
		return false, err
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_enabled:"); ok {
			return v == "1", nil
		}
	}
	return false, nil
}

// commandBudget is the longest one command (or pipeline) may take, its
// retries included: a write and a read timeout, plus a little.
func commandBudget(cfg Config) time.Duration {
	rt, wt := cfg.ReadTimeout, cfg.WriteTimeout
	if rt <= 0 {
		rt = 3 * time.Second // go-redis's default
	}
	if wt <= 0 {
		wt = rt
	}
	return rt + wt + 100*time.Millisecond
}

// deadlineHook gives each command and pipeline a deadline of budget,
// unless its context already ends sooner. go-redis stops retrying when
// the context is done.
type deadlineHook struct{ budget time.Duration }

func (h deadlineHook) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= h.budget {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, h.budget)
}

func (h deadlineHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h deadlineHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		ctx, cancel := h.bound(ctx)
		defer cancel()
		return next(ctx, cmd)
	}
}

func (h deadlineHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ctx, cancel := h.bound(ctx)
		defer cancel()
		return next(ctx, cmds)
	}
}

// Client returns the underlying go-redis client, for health checks and
// instrumentation (for example client.AddHook).
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping implements contextstore.Store: it reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return s.fail("redis: ping", err)
	}
	return nil
}

// Close implements contextstore.Store: it closes the client.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("redis: closing client: %w", err)
	}
	return nil
}

// fail wraps a Redis error for op: redis.Nil becomes
// contextstore.ErrNotFound; failures to reach Redis wrap
// contextstore.ErrUnavailable and the cause; other server errors (a bug
// or a foreign key of the wrong type) are wrapped as they are.
func (s *Store) fail(op string, err error) error {
	switch {
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%s: %w", op, contextstore.ErrNotFound)
	case unavailable(err):
		s.faults.failure(err)
		return fmt.Errorf("%s: %w: %w", op, contextstore.ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

// transientPrefixes are the server error replies that mean "not now"
// rather than "wrong request".
var transientPrefixes = []string{"LOADING", "READONLY", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "BUSY", "NOREPLICAS", "MOVED", "ASK"}

// unavailable reports whether err means Redis could not serve the request
// (so a retry may succeed), as opposed to an error reply to a bad request.
func unavailable(err error) bool {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		for _, p := range transientPrefixes {
			if redis.HasErrorPrefix(err, p) {
				return true
			}
		}
		return false
	}
	// Network errors, timeouts, pool exhaustion, a closed client, a
	// cancelled context: the request may not have reached Redis.
	return true
}

// isNoScript reports whether err is Redis's reply to EVALSHA of a script
// it has not cached.
func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT"))
}

// keys builds every key the store uses. See doc.go for the layout.
type keys struct{ prefix string }

func (k keys) conv(id string) string       { return k.prefix + "{conv:" + id + "}" }
func (k keys) convIDs() string             { return k.prefix + "{convs}:ids" }
func (k keys) convExp() string             { return k.prefix + "{convs}:exp" }
func (k keys) activity(user string) string { return k.prefix + "{user:" + user + "}" }

func (k keys) blockData() string            { return k.prefix + "{blocks}:data" }
func (k keys) blockIDs() string             { return k.prefix + "{blocks}:ids" }
func (k keys) bansVersion() string          { return k.prefix + "{blocks}:bansver" }
func (k keys) blocksByUser(u string) string { return k.prefix + "{blocks}:user:" + u }
func (k keys) blocksByConv(c string) string { return k.prefix + "{blocks}:conv:" + c }
func (k keys) blocksByIP(h string) string   { return k.prefix + "{blocks}:ip:" + h }
func (k keys) blocksByKind(kind contextstore.BlockKind) string {
	return k.prefix + "{blocks}:kind:" + string(kind)
}
func (k keys) blockClaim(token string) string { return k.prefix + "{blocks}:claim:" + token }
func (k keys) blockCauses() string            { return k.prefix + "{blocks}:causes" }
func (k keys) sanctionsChannel() string       { return k.prefix + "sanctions" }
func (k keys) outbox() string                 { return k.prefix + "{blocks}:outbox" }
func (k keys) outboxSeq() string              { return k.prefix + "{blocks}:outboxseq" }
func (k keys) bansChannel() string            { return k.prefix + "bans" }

func (k keys) auditLog() string               { return k.prefix + "{audit}:log" }
func (k keys) auditSeq() string               { return k.prefix + "{audit}:seq" }
func (k keys) auditByBlock(id string) string  { return k.prefix + "{audit}:block:" + id }
func (k keys) auditClaim(token string) string { return k.prefix + "{audit}:claim:" + token }

func (k keys) queueOrder(q string) string { return k.prefix + "{queue:" + q + "}:order" }
func (k keys) queueData(q string) string  { return k.prefix + "{queue:" + q + "}:data" }
func (k keys) queueSeq(q string) string   { return k.prefix + "{queue:" + q + "}:seq" }
func (k keys) queueClaim(q, token string) string {
	return k.prefix + "{queue:" + q + "}:claim:" + token
}

// lexAfter is the ZRANGEBYLEX minimum for "members greater than after".
func lexAfter(after string) string {
	if after == "" {
		return "-"
	}
	return "(" + after
}
