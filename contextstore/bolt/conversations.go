package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
)

// convRecord is the stored form of a conversation: its JSON plus what JSON
// alone loses (see codec.go) and when the store wrote it.
type convRecord struct {
	*contextstore.Conversation
	// VarTimes lists the Vars values that were time.Time or *time.Time.
	VarTimes []contextstore.TimePath `json:"VarTimes,omitempty"`
	// WrittenAt is the store's clock at the write; it ages a conversation
	// whose UpdatedAt is zero.
	WrittenAt time.Time `json:"WrittenAt"`
}

// convAge is the part of a record that decides expiry.
type convAge struct {
	UpdatedAt time.Time `json:"UpdatedAt"`
	WrittenAt time.Time `json:"WrittenAt"`
}

// expired reports whether a conversation last updated at updated (or, when
// that is zero, written at written) is past the TTL at now.
func (s *Store) expired(updated, written, now time.Time) bool {
	if s.ttl <= 0 {
		return false
	}
	if updated.IsZero() {
		updated = written
	}
	return updated.Add(s.ttl).Before(now)
}

func decodeConversation(v []byte) (*convRecord, error) {
	rec := &convRecord{Conversation: &contextstore.Conversation{}}
	if err := json.Unmarshal(v, rec); err != nil {
		return nil, err
	}
	if err := contextstore.RestoreVarTimes(rec.Vars, rec.VarTimes); err != nil {
		return nil, err
	}
	return rec, nil
}

// GetConversation implements contextstore.ConversationStore. A conversation
// past Options.ConversationTTL is reported as ErrNotFound.
func (s *Store) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	var out *contextstore.Conversation
	err := s.view(ctx, fmt.Sprintf("getting conversation %q", id), func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(bucketConversations)).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("conversation %q: %w", id, contextstore.ErrNotFound)
		}
		rec, err := decodeConversation(v)
		if err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		if s.expired(rec.UpdatedAt, rec.WrittenAt, s.now()) {
			return fmt.Errorf("conversation %q (expired): %w", id, contextstore.ErrNotFound)
		}
		out = rec.Conversation
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutConversation implements contextstore.ConversationStore. An expired
// conversation counts as absent: it can be created again with Version 0.
func (s *Store) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if c.ID == "" {
		return errors.New("putting conversation: empty id")
	}
	op := fmt.Sprintf("putting conversation %q", c.ID)
	now := s.now()
	next := c.Version + 1
	cp := *c // shallow: only Version differs, and nothing is retained
	cp.Version = next
	val, err := json.Marshal(convRecord{Conversation: &cp, VarTimes: contextstore.VarTimes(c.Vars), WrittenAt: now})
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", op, err)
	}
	err = s.update(ctx, op, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketConversations))
		cur, ok, err := s.storedVersion(b, c.ID, now)
		if err != nil {
			return err
		}
		if (!ok && c.Version != 0) || (ok && cur != c.Version) {
			return fmt.Errorf("conversation %q at version %d: %w", c.ID, c.Version, contextstore.ErrVersionConflict)
		}
		return b.Put([]byte(c.ID), val)
	})
	if err != nil {
		return err
	}
	c.Version = next
	return nil
}

// storedVersion returns the version of a live (not expired) conversation.
func (s *Store) storedVersion(b *bbolt.Bucket, id string, now time.Time) (int64, bool, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return 0, false, nil
	}
	var hdr struct {
		Version int64 `json:"Version"`
		convAge
	}
	if err := json.Unmarshal(v, &hdr); err != nil {
		return 0, false, fmt.Errorf("decoding stored conversation: %w", err)
	}
	if s.expired(hdr.UpdatedAt, hdr.WrittenAt, now) {
		return 0, false, nil
	}
	return hdr.Version, true, nil
}

// DeleteConversation implements contextstore.ConversationStore.
func (s *Store) DeleteConversation(ctx context.Context, id string) error {
	return s.update(ctx, fmt.Sprintf("deleting conversation %q", id), func(tx *bbolt.Tx) error {
		if id == "" {
			return nil
		}
		return tx.Bucket([]byte(bucketConversations)).Delete([]byte(id))
	})
}

// ListConversations implements contextstore.ConversationStore. Expired
// conversations are skipped. It decodes every conversation after f.After.
func (s *Store) ListConversations(ctx context.Context, f contextstore.ConversationFilter) ([]*contextstore.Conversation, error) {
	var out []*contextstore.Conversation
	err := s.view(ctx, "listing conversations", func(tx *bbolt.Tx) error {
		now := s.now()
		c := tx.Bucket([]byte(bucketConversations)).Cursor()
		k, v := c.First()
		if f.After != "" {
			k, v = c.Seek([]byte(f.After))
		}
		for ; k != nil; k, v = c.Next() {
			if string(k) <= f.After {
				continue
			}
			rec, err := decodeConversation(v)
			if err != nil {
				return fmt.Errorf("decoding conversation %q: %w", k, err)
			}
			if s.expired(rec.UpdatedAt, rec.WrittenAt, now) || !f.Match(rec.Conversation) {
				continue
			}
			out = append(out, rec.Conversation)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sweepBatch bounds how many deletions one write transaction does, so a
// sweep never holds the writer lock for long.
const sweepBatch = 1000

// Sweep deletes the conversations past Options.ConversationTTL and returns
// how many it deleted. Reads already treat them as absent; Sweep reclaims
// their space. It does nothing when the TTL is 0.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if s.ttl <= 0 {
		return 0, nil
	}
	now := s.now()
	var candidates [][]byte
	err := s.view(ctx, "sweeping conversations", func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketConversations)).ForEach(func(k, v []byte) error {
			var age convAge
			if err := json.Unmarshal(v, &age); err != nil {
				return fmt.Errorf("decoding conversation %q: %w", k, err)
			}
			if s.expired(age.UpdatedAt, age.WrittenAt, now) {
				candidates = append(candidates, bytes.Clone(k))
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for len(candidates) > 0 {
		batch := candidates[:min(sweepBatch, len(candidates))]
		candidates = candidates[len(batch):]
		n := 0
		err := s.update(ctx, "sweeping conversations", func(tx *bbolt.Tx) error {
			n = 0
			b := tx.Bucket([]byte(bucketConversations))
			for _, k := range batch {
				// Re-check: the conversation may have been written since.
				v := b.Get(k)
				if v == nil {
					continue
				}
				var age convAge
				if err := json.Unmarshal(v, &age); err != nil {
					return fmt.Errorf("decoding conversation %q: %w", k, err)
				}
				if !s.expired(age.UpdatedAt, age.WrittenAt, now) {
					continue
				}
				if err := b.Delete(k); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
	}
	return deleted, nil
}

// Run calls Sweep every interval until ctx is done, logging what each sweep
// deleted and any error (a failed sweep is retried at the next tick). It
// returns nil when ctx is done, or an error if interval is not positive.
func (s *Store) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("running conversation sweeper: non-positive interval %s", interval)
	}
	if s.ttl <= 0 {
		s.log.Debug("conversation TTL is 0, sweeper idle")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start := time.Now()
		n, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			s.log.Warn("sweeping expired conversations", zap.Int("deleted", n), zap.Error(err))
		case n > 0:
			s.log.Info("swept expired conversations", zap.Int("deleted", n), zap.Duration("took", time.Since(start)))
		default:
			if ce := s.log.Check(zap.DebugLevel, "swept expired conversations"); ce != nil {
				ce.Write(zap.Int("deleted", 0), zap.Duration("took", time.Since(start)))
			}
		}
	}
}

// GetActivity implements contextstore.ActivityStore.
func (s *Store) GetActivity(ctx context.Context, userID string) (*contextstore.ChatActivityData, error) {
	var out contextstore.ChatActivityData
	err := s.view(ctx, fmt.Sprintf("getting activity of user %q", userID), func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(bucketActivity)).Get([]byte(userID))
		if v == nil {
			return fmt.Errorf("activity of user %q: %w", userID, contextstore.ErrNotFound)
		}
		if err := json.Unmarshal(v, &out); err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PutActivity implements contextstore.ActivityStore.
func (s *Store) PutActivity(ctx context.Context, d *contextstore.ChatActivityData) error {
	if d.UserID == "" {
		return errors.New("putting activity: empty user id")
	}
	op := fmt.Sprintf("putting activity of user %q", d.UserID)
	next := d.Version + 1
	cp := *d
	cp.Version = next
	val, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", op, err)
	}
	err = s.update(ctx, op, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketActivity))
		cur := b.Get([]byte(d.UserID))
		var stored struct{ Version int64 }
		if cur != nil {
			if err := json.Unmarshal(cur, &stored); err != nil {
				return fmt.Errorf("decoding stored activity: %w", err)
			}
		}
		if (cur == nil && d.Version != 0) || (cur != nil && stored.Version != d.Version) {
			return fmt.Errorf("activity of user %q at version %d: %w", d.UserID, d.Version, contextstore.ErrVersionConflict)
		}
		return b.Put([]byte(d.UserID), val)
	})
	if err != nil {
		return err
	}
	d.Version = next
	return nil
}
