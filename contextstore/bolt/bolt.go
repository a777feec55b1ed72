package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
)

// Bucket names; see doc.go for what each one holds.
const (
	bucketConversations = "conversations"
	bucketActivity      = "activity"
	bucketBlocks        = "blocks"
	bucketBlocksByUser  = "blocks_by_user"
	bucketBlocksByIP    = "blocks_by_ip"
	bucketBlocksByConv  = "blocks_by_conversation"
	bucketBlocksByKind  = "blocks_by_kind"
	bucketBlockCauses   = "block_causes"
	bucketOutbox        = "outbox"
	bucketAudit         = "audit"
	bucketQueues        = "queues"
	bucketQueueMembers  = "queue_members"
	bucketMeta          = "meta"

	metaSchema      = "schema"
	metaBansVersion = "bans_version"

	// schemaVersion is the layout version written to the meta bucket. Open
	// refuses files with another version rather than misreading them.
	schemaVersion = 1

	defaultLockTimeout = time.Second
)

func allBuckets() []string {
	return []string{
		bucketConversations, bucketActivity,
		bucketBlocks, bucketBlocksByUser, bucketBlocksByIP, bucketBlocksByConv, bucketBlocksByKind, bucketBlockCauses, bucketOutbox,
		bucketAudit, bucketQueues, bucketQueueMembers, bucketMeta,
	}
}

// Options configure a Store. The zero value is usable.
type Options struct {
	// Logger receives the store's logs (opening, sweeps). Defaults to
	// zap.NewNop(); the store names it "bolt".
	Logger *zap.Logger
	// Clock returns the current time; it decides conversation expiry.
	// Defaults to time.Now.
	Clock func() time.Time
	// ConversationTTL is how long a conversation lives after its last
	// update (Conversation.UpdatedAt). 0 keeps conversations forever.
	ConversationTTL time.Duration
	// LockTimeout is how long Open waits for the file lock held by another
	// process before failing. Defaults to 1s.
	LockTimeout time.Duration
}

// Store is the embedded durable contextstore.Store backed by one bbolt file.
// Every acknowledged write has been committed and fsync'd. It is safe for
// concurrent use; reads run in parallel, and concurrent writes are group
// committed: they share one write transaction and its fsync (see
// committer), so write throughput grows with the number of writers instead
// of being one fsync per write.
type Store struct {
	db   *bbolt.DB
	wr   *committer
	path string
	log  *zap.Logger
	now  func() time.Time
	ttl  time.Duration
}

var _ contextstore.Store = (*Store)(nil)

// Open opens (creating if needed) the store file at path. The parent
// directory is created with mode 0700 and the file with mode 0600. If another
// process holds the file, Open fails after Options.LockTimeout with an error
// wrapping contextstore.ErrUnavailable.
func Open(path string, o Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening bolt store: empty path")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = defaultLockTimeout
	}
	if o.ConversationTTL < 0 {
		return nil, fmt.Errorf("opening bolt store %s: negative conversation TTL %s", path, o.ConversationTTL)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("opening bolt store: creating data directory: %w", err)
	}
	start := time.Now()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      o.LockTimeout,
		FreelistType: bbolt.FreelistMapType,
		// NoSync stays false: every commit is fsync'd before it returns.
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening bolt store %s: %w: the file is locked by another process (gave up after %s; is another chatflow serve using this data directory?)",
			path, contextstore.ErrUnavailable, o.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("opening bolt store %s: %w", path, err)
	}
	if err := db.Update(initSchema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening bolt store %s: %w", path, err)
	}
	s := &Store{db: db, wr: newCommitter(db), path: path, log: o.Logger.Named("bolt"), now: o.Clock, ttl: o.ConversationTTL}
	s.log.Info("opened store", zap.String("path", path), zap.Duration("took", time.Since(start)),
		zap.Duration("conversation_ttl", s.ttl))
	return s, nil
}

// initSchema creates the buckets and checks the layout version.
func initSchema(tx *bbolt.Tx) error {
	for _, name := range allBuckets() {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("creating bucket %q: %w", name, err)
		}
	}
	meta := tx.Bucket([]byte(bucketMeta))
	v := meta.Get([]byte(metaSchema))
	if v == nil {
		return meta.Put([]byte(metaSchema), []byte(strconv.Itoa(schemaVersion)))
	}
	if got, err := strconv.Atoi(string(v)); err != nil || got != schemaVersion {
		return fmt.Errorf("unsupported schema version %q (this build reads %d)", v, schemaVersion)
	}
	return nil
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Ping implements contextstore.Store: it runs a read transaction.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, "ping", func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(bucketMeta)) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// Close implements contextstore.Store. It lets queued writes commit and
// waits for running transactions; afterwards every method fails with
// contextstore.ErrUnavailable.
func (s *Store) Close() error {
	s.wr.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing bolt store %s: %w", s.path, err)
	}
	return nil
}

// view runs fn in a read transaction; see run.
func (s *Store) view(ctx context.Context, op string, fn func(*bbolt.Tx) error) error {
	return s.run(ctx, op, false, fn)
}

// update runs fn in a write transaction that is fsync'd before update
// returns; see run. The transaction may be shared with concurrent writes
// and fn may run more than once, so it must be idempotent (see committer).
func (s *Store) update(ctx context.Context, op string, fn func(*bbolt.Tx) error) error {
	return s.run(ctx, op, true, fn)
}

// run translates errors at the boundary: an error returned by fn is the
// caller's (already carrying its location; wrapped with op unless it is a
// contextstore sentinel). Any other failure happened in bbolt itself (the
// database is closed, the commit or fsync failed) and wraps
// contextstore.ErrUnavailable: the write did not take effect.
func (s *Store) run(ctx context.Context, op string, write bool, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var fnErr, err error
	if write {
		fnErr, err = s.wr.submit(fn)
		if fnErr != nil {
			err = fnErr
		}
	} else {
		err = s.db.View(func(tx *bbolt.Tx) error {
			fnErr = fn(tx)
			return fnErr
		})
	}
	switch {
	case err == nil:
		return nil
	case fnErr != nil:
		if isSentinel(fnErr) {
			return fnErr
		}
		return fmt.Errorf("%s: %w", op, fnErr)
	default:
		return fmt.Errorf("%s: %w: %w", op, contextstore.ErrUnavailable, err)
	}
}

func isSentinel(err error) bool {
	return errors.Is(err, contextstore.ErrNotFound) ||
		errors.Is(err, contextstore.ErrVersionConflict) ||
		errors.Is(err, contextstore.ErrAlreadyExists) ||
		errors.Is(err, contextstore.ErrUnavailable)
}

// prefixKey returns a key prefix that holds s unambiguously: its length as
// a uvarint, then its bytes. Keys prefixKey(a)+x and prefixKey(b)+y never
// collide for a != b, whatever bytes a and b contain, and keys sharing one
// prefix sort by their suffix.
func prefixKey(s string) []byte {
	k := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(s)+32), uint64(len(s)))
	return append(k, s...)
}

// seqKey formats a bucket sequence as 20 zero-padded digits, so keys sort
// in sequence order (like the memory store's audit ids).
func seqKey(n uint64) string { return fmt.Sprintf("%020d", n) }
