package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

// appendOutbox writes events to the outbox bucket in tx, the transaction
// of the change they belong to; each gets the bucket's next sequence as
// its id.
func appendOutbox(tx *bbolt.Tx, events []contextstore.OutboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	bk := tx.Bucket([]byte(bucketOutbox))
	for _, e := range events {
		n, err := bk.NextSequence()
		if err != nil {
			return fmt.Errorf("numbering an outbox event: %w", err)
		}
		e.ID = seqKey(n)
		val, err := json.Marshal(&e)
		if err != nil {
			return fmt.Errorf("encoding an outbox event: %w", err)
		}
		if err := bk.Put([]byte(e.ID), val); err != nil {
			return err
		}
	}
	return nil
}

// ReadOutbox implements contextstore.Outbox.
func (s *Store) ReadOutbox(ctx context.Context, after string, limit int) ([]contextstore.OutboxEvent, error) {
	var out []contextstore.OutboxEvent
	err := s.view(ctx, "reading the outbox", func(tx *bbolt.Tx) error {
		out = out[:0]
		c := tx.Bucket([]byte(bucketOutbox)).Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && bytes.Equal(k, []byte(after)) {
			k, v = c.Next()
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var e contextstore.OutboxEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decoding outbox event %s: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
