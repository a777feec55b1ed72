package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

// auditKey is the escaped event id, a terminator and the bucket sequence
// (20 digits), so events sort by id and events with the same id in append
// order: the order of the memory store's stable sort. The escaping (0x00 →
// 0x00 0xFF, then 0x00 0x01 to end the id) keeps byte order equal to id
// order even for ids that contain NUL bytes or prefix one another.
func auditKey(id string, seq uint64) []byte {
	k := make([]byte, 0, len(id)+22)
	for i := range len(id) {
		k = append(k, id[i])
		if id[i] == 0 {
			k = append(k, 0xFF)
		}
	}
	k = append(k, 0, 1)
	return append(k, seqKey(seq)...)
}

// auditKeyID returns the event id of an audit key.
func auditKeyID(k []byte) string {
	if len(k) < 22 {
		return string(k) // not an audit key; cannot happen
	}
	k = k[:len(k)-22]
	if bytes.IndexByte(k, 0) < 0 {
		return string(k)
	}
	return string(bytes.ReplaceAll(k, []byte{0, 0xFF}, []byte{0}))
}

// AppendAudit implements contextstore.AuditLog. An empty ID becomes the
// bucket's next sequence number, zero-padded to 20 digits, so store-made ids
// sort in append order (and are never reused, also across restarts).
func (s *Store) AppendAudit(ctx context.Context, e *contextstore.AuditEvent) error {
	var id string
	err := s.update(ctx, "appending audit event", func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketAudit))
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		cp := *e
		if cp.ID == "" {
			cp.ID = seqKey(seq)
		}
		val, err := json.Marshal(&cp)
		if err != nil {
			return fmt.Errorf("encoding: %w", err)
		}
		id = cp.ID
		return b.Put(auditKey(cp.ID, seq), val)
	})
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// ListAudit implements contextstore.AuditLog. It seeks to q.After and
// decodes every later event until q.Limit matches are found.
func (s *Store) ListAudit(ctx context.Context, q contextstore.AuditQuery) ([]*contextstore.AuditEvent, error) {
	var out []*contextstore.AuditEvent
	err := s.view(ctx, "listing audit events", func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(bucketAudit)).Cursor()
		k, v := c.First()
		if q.After != "" {
			k, v = c.Seek(auditKey(q.After, 0))
		}
		for ; k != nil; k, v = c.Next() {
			if auditKeyID(k) <= q.After {
				continue
			}
			var e contextstore.AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decoding audit event %q: %w", k, err)
			}
			if !q.Match(&e) {
				continue
			}
			out = append(out, &e)
			if q.Limit > 0 && len(out) == q.Limit {
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
