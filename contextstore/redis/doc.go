// Package redisstore is the Redis backend of contextstore.Store, built on a
// go-redis v9 redis.UniversalClient, so one code path serves a standalone
// server, Sentinel and Cluster. It lives in contextstore/redis; the package
// is named redisstore so that it does not shadow go-redis's package redis
// (import it as "github.com/chatflow/chatflow/contextstore/redis" and call
// redisstore.New or redisstore.Connect).
//
// It passes the conformance suite contextstore/storetest and copies the
// semantics of the memory backend.
//
// # Key layout and hash tags
//
// Every key starts with the key prefix (Options.KeyPrefix, default
// "chatflow:", written P below). Redis Cluster places a key by the part
// between its first "{" and the next "}" (the hash tag), and a script or a
// MULTI may touch keys of one slot only; so keys that are written together
// share a tag:
//
//	P{conv:<id>}              hash: v = version, d = context JSON, t = write token (TTL)
//	P{convs}:ids              sorted set of conversation ids (score 0: id order)
//	P{convs}:exp              sorted set id -> expiry deadline (ms), to prune ids
//	P{user:<id>}              hash: v, d = the user's ChatActivityData, t
//	P{blocks}:data            hash block id -> block JSON (with its Version)
//	P{blocks}:ids             sorted set of all block ids (score 0)
//	P{blocks}:user:<user id>  index: sorted set of block ids
//	P{blocks}:conv:<conv id>  index
//	P{blocks}:ip:<ip hash>    index
//	P{blocks}:kind:<kind>     index
//	P{blocks}:bansver         the bans version counter
//	P{blocks}:claim:<token>   marks a block write as done (1 minute)
//	P{audit}:log              sorted set of "<id>\x00\x01<seq><event JSON>" (score 0)
//	P{audit}:block:<block id> the same members, for one block's history
//	P{audit}:seq              counter for assigned audit ids
//	P{audit}:claim:<token>    the id an append assigned (1 minute)
//	P{queue:<name>}:order     sorted set conversation id -> enqueue sequence
//	P{queue:<name>}:data      hash conversation id -> queue entry JSON
//	P{queue:<name>}:seq       the queue's sequence counter
//	P{queue:<name>}:claim:<t> the entry a dequeue took (1 minute)
//	P{accounts}:data          hash account id -> account JSON (with its Version)
//	P{accounts}:ids           sorted set of all account ids (score 0)
//	P{accounts}:token         hash TokenHash -> account id (the token index)
//	P{accounts}:claim:<token> marks an account write as done (1 minute)
//	Pbans                     pub/sub channel of ban changes (not a key)
//
// A turn touches one slot for its context: the conversation's own tag, so
// conversations spread over the cluster. Blocks, the audit log, the accounts
// and each queue live in one slot each, which keeps their indexes consistent with
// their data (every write is one script) at the price of putting each on
// a single node; that node can be scaled with replicas for reads.
//
// Sorted sets with equal scores order their members byte-wise, as Go
// compares strings, so ZRANGEBYLEX pages through ids in exactly the order
// the contract asks for (and After maps to an exclusive lex bound). An
// audit member starts with the event ID (NUL bytes escaped as "\x00\x02"),
// then "\x00\x01" and a 20-digit sequence number, so events sort by ID and
// then in append order, as in the memory backend; an empty ID is assigned
// that sequence number.
//
// The context JSON is the contextstore.Conversation plus VarTimes, the
// paths of the time.Time values in Vars, so that they load as times and
// not as the strings JSON makes of them (as in the bolt backend).
//
// # Compare-and-swap
//
// A conversation or activity record is a hash with the version in field v
// and the JSON in field d. PutConversation and PutActivity run one Lua
// script (casScript) that compares v with the version the caller read
// (0: the record must not exist), and only then writes v+1 and the JSON
// and refreshes the TTL; otherwise it writes nothing and the store returns
// contextstore.ErrVersionConflict. A turn is therefore two round trips:
// HMGET to load, the script to save. PutConversation sends the index
// update (convIndexScript on the {convs} slot) in the same pipeline, so it
// costs no extra round trip; the index is advisory (it feeds
// ListConversations only), and a failed index update is logged and
// repaired by the next save.
//
// Blocks are written by one script (blockWriteScript) that writes the
// block JSON, moves the id between the index sets and, for IP and range
// bans, increments the bans version and publishes it, all atomically.
// UpdateBlock and DeleteBlock first read the block, check its Version and
// compute the indexes it leaves; the script then writes only if the stored
// JSON is still exactly what was read (else the store reads again).
//
// # Resent commands
//
// go-redis resends a command when the connection drops after it was sent
// (Options.MaxRetries). If Redis had run it, the write would run twice, so
// every write script is idempotent under resending: each call carries a
// random token; the compare-and-swap stores it in field t and, finding
// its own token one version up, reports success instead of a conflict; a
// dequeue, a block write and an audit append leave a claim key holding
// their answer for a minute, which a resent script returns instead of
// taking a second queue entry, appending a second event, or reporting
// ErrAlreadyExists about its own create. The remaining writes (enqueue,
// remove from queue, delete conversation, index updates) are idempotent
// by themselves.
//
// # Expiry
//
// Conversation contexts expire ConversationTTL (default 7 days) after
// their last save: every save sets the TTL again (PEXPIRE in the CAS
// script), reads do not. An expired context is simply gone:
// GetConversation returns contextstore.ErrNotFound and a save at its old
// version ErrVersionConflict. The index entry of an expired context is
// pruned by later saves once its deadline (plus a minute of grace for
// clock skew) has passed; until then ListConversations skips it. Activity
// records, blocks, the audit log and queues do not expire (blocks expire
// logically: a block is active while its Until is later than now).
//
// # Ban notifications
//
// Instances keep IP and range bans in memory. Each ban write publishes the
// new bans version on the channel Pbans; SubscribeBans turns these into a
// channel of versions, and also delivers the current version whenever the
// subscription is (re)established, because pub/sub drops messages sent
// while a subscriber is away. The counter (BansVersion) stays the source
// of truth: an instance may also poll it.
//
// # Failover
//
// Connect builds the go-redis client itself, to set what a failover needs.
// On a Cluster, every node client has a hook (nodeHook) that reloads the
// slot map at once, at most every 100 ms, when a command fails because its
// node does not answer or the cluster is reconfiguring (go-redis reloads
// only on MOVED, ASK and READONLY, which a dead node never sends), and the
// map is refreshed every Config.RefreshInterval under traffic; so the
// retries go-redis makes reach the promoted replica as soon as the cluster
// has promoted it. With Sentinel, go-redis's FailoverClient follows
// +switch-master. SubscribeBans reloads the slot map on failure and
// resubscribes on a live node.
//
// Writes of blocks, bans, lifts, accounts and audit events are durable
// when Options.Durability.Replicas > 0 (Connect's default when every
// master has a replica): the write script and WAIT go in one pipeline on
// the connection of the key's master, and a write the replicas did not
// confirm fails with a NotReplicatedError wrapped with
// contextstore.ErrUnavailable. Conversation and activity saves wait only
// with Durability.Turns: by default a turn acknowledged just before its
// master dies can be lost (replication is asynchronous; the window is the
// time the replication stream takes to leave the master), and in return a
// failed-over shard serves turns as soon as its replica is promoted, while
// durable writes fail until the new master has a replica again.
//
// Health reports the state of each master (INFO replication, asked of all
// at once): down, degraded (a shard down, or short of the replicas durable
// writes need) or ok. Stats counts the failures by kind and the outages
// that ended (a success at least a second after the last failure).
//
// # Errors
//
// redis.Nil becomes contextstore.ErrNotFound. When Redis cannot be reached
// (network errors, timeouts, a closed client, LOADING, READONLY,
// CLUSTERDOWN, TRYAGAIN, ..., a durable write not confirmed by the
// replicas) the error wraps contextstore.ErrUnavailable and the cause, so
// callers can retry. Every write is a single script or
// MULTI, so a failure never leaves a partial write. As with any remote
// store, a timeout after a write was sent leaves its outcome unknown; the
// versions make a retry safe (it fails with ErrVersionConflict if the first
// attempt did land).
package redisstore
