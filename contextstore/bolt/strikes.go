package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

// bucketStrikes holds one record per moderation subject: the key is the
// subject, the value the JSON array of its strikes, oldest first. A
// subject's list is small (the ladder needs minutes of strikes, decay
// forgets them after months, and contextstore.MaxStrikesPerSubject bounds
// it), so one read-modify-write in one transaction keeps AddStrike atomic.
// The bucket is created by the first AddStrike, so files written before
// strikes existed need no migration.
const bucketStrikes = "strikes"

func (s *Store) readStrikes(tx *bbolt.Tx, subject string) ([]*contextstore.Strike, error) {
	b := tx.Bucket([]byte(bucketStrikes))
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(subject))
	if v == nil {
		return nil, nil
	}
	var list []*contextstore.Strike
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, fmt.Errorf("decoding strikes of %q: %w", subject, err)
	}
	return list, nil
}

// AddStrike implements contextstore.StrikeStore (fsync'd before it
// returns, like every write).
func (s *Store) AddStrike(ctx context.Context, st *contextstore.Strike, keep time.Duration) error {
	cp, err := contextstore.NewStrike(st, keep)
	if err != nil {
		return err
	}
	return s.update(ctx, "adding strike to "+fmt.Sprintf("%q", st.Subject), func(tx *bbolt.Tx) error {
		old, err := s.readStrikes(tx, cp.Subject)
		if err != nil {
			return err
		}
		list, ok := contextstore.MergeStrike(old, cp, keep)
		if !ok {
			return nil
		}
		val, err := json.Marshal(list)
		if err != nil {
			return fmt.Errorf("encoding strikes: %w", err)
		}
		b, err := tx.CreateBucketIfNotExists([]byte(bucketStrikes))
		if err != nil {
			return err
		}
		return b.Put([]byte(cp.Subject), val)
	})
}

// ListStrikes implements contextstore.StrikeStore.
func (s *Store) ListStrikes(ctx context.Context, subject string, since time.Time) ([]*contextstore.Strike, error) {
	var out []*contextstore.Strike
	err := s.view(ctx, fmt.Sprintf("listing strikes of %q", subject), func(tx *bbolt.Tx) error {
		list, err := s.readStrikes(tx, subject)
		for _, st := range list {
			if !st.At.Before(since) {
				out = append(out, st)
			}
		}
		return err
	})
	return out, err
}

// ClearStrikes implements contextstore.StrikeStore.
func (s *Store) ClearStrikes(ctx context.Context, subject string) (int, error) {
	n := 0
	err := s.update(ctx, fmt.Sprintf("clearing strikes of %q", subject), func(tx *bbolt.Tx) error {
		list, err := s.readStrikes(tx, subject)
		if err != nil || list == nil {
			return err
		}
		n = len(list)
		return tx.Bucket([]byte(bucketStrikes)).Delete([]byte(subject))
	})
	return n, err
}
