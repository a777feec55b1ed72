package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

func isBan(k contextstore.BlockKind) bool {
	return k == contextstore.KindIP || k == contextstore.KindRange
}

// blockIndex is a secondary index of blocks: bucket key = prefixKey(value)
// + block id, empty value. Keys of one value sort by block id.
type blockIndex struct {
	bucket string
	value  func(*contextstore.Block) string
}

func blockIndexes() [4]blockIndex {
	return [4]blockIndex{
		{bucketBlocksByUser, func(b *contextstore.Block) string { return b.UserID }},
		{bucketBlocksByIP, func(b *contextstore.Block) string { return b.IPHash }},
		{bucketBlocksByConv, func(b *contextstore.Block) string { return b.ConversationID }},
		{bucketBlocksByKind, func(b *contextstore.Block) string { return string(b.Kind) }},
	}
}

func indexKey(value, id string) []byte { return append(prefixKey(value), id...) }

// reindex moves b's index entries from old (nil: none) to b (nil: none).
func reindex(tx *bbolt.Tx, id string, old, b *contextstore.Block) error {
	for _, ix := range blockIndexes() {
		var ov, nv string
		if old != nil {
			ov = ix.value(old)
		}
		if b != nil {
			nv = ix.value(b)
		}
		if old != nil && b != nil && ov == nv {
			continue
		}
		bk := tx.Bucket([]byte(ix.bucket))
		if old != nil && ov != "" {
			if err := bk.Delete(indexKey(ov, id)); err != nil {
				return fmt.Errorf("unindexing block %q: %w", id, err)
			}
		}
		if b != nil && nv != "" {
			if err := bk.Put(indexKey(nv, id), nil); err != nil {
				return fmt.Errorf("indexing block %q: %w", id, err)
			}
		}
	}
	return nil
}

func bumpBansVersion(tx *bbolt.Tx) error {
	meta := tx.Bucket([]byte(bucketMeta))
	n, err := readBansVersion(meta)
	if err != nil {
		return err
	}
	return meta.Put([]byte(metaBansVersion), strconv.AppendInt(nil, n+1, 10))
}

func readBansVersion(meta *bbolt.Bucket) (int64, error) {
	v := meta.Get([]byte(metaBansVersion))
	if v == nil {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("decoding bans version %q: %w", v, err)
	}
	return n, nil
}

func getBlock(b *bbolt.Bucket, id string) (*contextstore.Block, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var out contextstore.Block
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, fmt.Errorf("decoding block %q: %w", id, err)
	}
	return &out, nil
}

// CreateBlock implements contextstore.BlockStore.
func (s *Store) CreateBlock(ctx context.Context, b *contextstore.Block) error {
	if b.ID == "" {
		return errors.New("creating block: empty id")
	}
	cp := *b
	cp.Version = 1
	val, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("creating block %q: encoding: %w", b.ID, err)
	}
	err = s.update(ctx, fmt.Sprintf("creating block %q", b.ID), func(tx *bbolt.Tx) error {
		return createBlock(tx, &cp, val)
	})
	if err != nil {
		return err
	}
	b.Version = 1
	return nil
}

// createBlock stores b (already at Version 1) encoded as val.
func createBlock(tx *bbolt.Tx, b *contextstore.Block, val []byte) error {
	bk := tx.Bucket([]byte(bucketBlocks))
	if bk.Get([]byte(b.ID)) != nil {
		return fmt.Errorf("block %q: %w", b.ID, contextstore.ErrAlreadyExists)
	}
	if b.Cause != "" {
		causes := tx.Bucket([]byte(bucketBlockCauses))
		if id := causes.Get([]byte(b.Cause)); id != nil {
			return &contextstore.CauseTakenError{Cause: b.Cause, ID: string(id)}
		}
		if err := causes.Put([]byte(b.Cause), []byte(b.ID)); err != nil {
			return err
		}
	}
	if err := bk.Put([]byte(b.ID), val); err != nil {
		return err
	}
	if err := reindex(tx, b.ID, nil, b); err != nil {
		return err
	}
	if err := appendOutbox(tx, b.Outbox); err != nil {
		return err
	}
	if isBan(b.Kind) {
		return bumpBansVersion(tx)
	}
	return nil
}

// GetBlock implements contextstore.BlockStore.
func (s *Store) GetBlock(ctx context.Context, id string) (*contextstore.Block, error) {
	var out *contextstore.Block
	err := s.view(ctx, fmt.Sprintf("getting block %q", id), func(tx *bbolt.Tx) error {
		var err error
		out, err = getBlock(tx.Bucket([]byte(bucketBlocks)), id)
		if err == nil && out == nil {
			err = fmt.Errorf("block %q: %w", id, contextstore.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateBlock implements contextstore.BlockStore.
func (s *Store) UpdateBlock(ctx context.Context, b *contextstore.Block) error {
	op := fmt.Sprintf("updating block %q", b.ID)
	next := b.Version + 1
	cp := *b
	cp.Version = next
	val, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", op, err)
	}
	err = s.update(ctx, op, func(tx *bbolt.Tx) error {
		bk := tx.Bucket([]byte(bucketBlocks))
		cur, err := getBlock(bk, b.ID)
		if err != nil {
			return err
		}
		if cur == nil {
			return fmt.Errorf("block %q: %w", b.ID, contextstore.ErrNotFound)
		}
		if cur.Version != b.Version {
			return fmt.Errorf("block %q at version %d: %w", b.ID, b.Version, contextstore.ErrVersionConflict)
		}
		if err := bk.Put([]byte(b.ID), val); err != nil {
			return err
		}
		if err := reindex(tx, b.ID, cur, &cp); err != nil {
			return err
		}
		if err := appendOutbox(tx, b.Outbox); err != nil {
			return err
		}
		if isBan(b.Kind) || isBan(cur.Kind) {
			return bumpBansVersion(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.Version = next
	return nil
}

// DeleteBlock implements contextstore.BlockStore.
func (s *Store) DeleteBlock(ctx context.Context, id string) error {
	return s.update(ctx, fmt.Sprintf("deleting block %q", id), func(tx *bbolt.Tx) error {
		bk := tx.Bucket([]byte(bucketBlocks))
		cur, err := getBlock(bk, id)
		if err != nil || cur == nil {
			return err
		}
		if err := bk.Delete([]byte(id)); err != nil {
			return err
		}
		if cur.Cause != "" {
			if err := tx.Bucket([]byte(bucketBlockCauses)).Delete([]byte(cur.Cause)); err != nil {
				return err
			}
		}
		if err := reindex(tx, id, cur, nil); err != nil {
			return err
		}
		if isBan(cur.Kind) {
			return bumpBansVersion(tx)
		}
		return nil
	})
}

// BansVersion implements contextstore.BlockStore. The counter is stored in
// the meta bucket, so it survives restarts and never goes back.
func (s *Store) BansVersion(ctx context.Context) (int64, error) {
	var n int64
	err := s.view(ctx, "reading bans version", func(tx *bbolt.Tx) error {
		var err error
		n, err = readBansVersion(tx.Bucket([]byte(bucketMeta)))
		return err
	})
	return n, err
}

// ListBlocks implements contextstore.BlockStore. It walks the most
// selective index the query allows (UserID, then IPHash, then
// ConversationID, then Kinds) and scans every block only when the query has
// none of them; either way q.Match decides, so all backends filter alike.
func (s *Store) ListBlocks(ctx context.Context, q contextstore.BlockQuery) ([]*contextstore.Block, error) {
	var out []*contextstore.Block
	err := s.view(ctx, "listing blocks", func(tx *bbolt.Tx) error {
		var err error
		out, err = listBlocks(tx, &q)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func listBlocks(tx *bbolt.Tx, q *contextstore.BlockQuery) ([]*contextstore.Block, error) {
	blocks := tx.Bucket([]byte(bucketBlocks))
	var out []*contextstore.Block
	consider := func(id string, v []byte) error {
		var b contextstore.Block
		if err := json.Unmarshal(v, &b); err != nil {
			return fmt.Errorf("decoding block %q: %w", id, err)
		}
		if q.Match(&b) {
			out = append(out, &b)
		}
		return nil
	}

	bucket, values := planBlockQuery(q)
	if bucket == "" {
		c := blocks.Cursor()
		k, v := c.First()
		if q.After != "" {
			k, v = c.Seek([]byte(q.After))
		}
		for ; k != nil; k, v = c.Next() {
			if string(k) <= q.After {
				continue
			}
			if err := consider(string(k), v); err != nil {
				return nil, err
			}
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
		return out, nil
	}

	ix := tx.Bucket([]byte(bucket))
	for _, value := range values {
		prefix := prefixKey(value)
		c := ix.Cursor()
		for k, _ := c.Seek(append(bytes.Clone(prefix), q.After...)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id := string(k[len(prefix):])
			if id <= q.After {
				continue
			}
			v := blocks.Get([]byte(id))
			if v == nil {
				return nil, fmt.Errorf("index %s names missing block %q", bucket, id)
			}
			if err := consider(id, v); err != nil {
				return nil, err
			}
			// With one value the index yields ids in order, so stop early.
			if len(values) == 1 && q.Limit > 0 && len(out) == q.Limit {
				return out, nil
			}
		}
	}
	if len(values) > 1 {
		slices.SortFunc(out, func(a, b *contextstore.Block) int { return strings.Compare(a.ID, b.ID) })
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[:q.Limit]
		}
	}
	return out, nil
}

// planBlockQuery picks the index bucket and the values to walk in it, or
// "" for a full scan.
func planBlockQuery(q *contextstore.BlockQuery) (string, []string) {
	switch {
	case q.UserID != "":
		return bucketBlocksByUser, []string{q.UserID}
	case q.IPHash != "":
		return bucketBlocksByIP, []string{q.IPHash}
	case q.ConversationID != "":
		return bucketBlocksByConv, []string{q.ConversationID}
	case len(q.Kinds) > 0:
		kinds := make([]string, 0, len(q.Kinds))
		for _, k := range q.Kinds {
			if k == "" {
				// An empty kind is not indexed; only a scan finds it.
				return "", nil
			}
			if !slices.Contains(kinds, string(k)) {
				kinds = append(kinds, string(k))
			}
		}
		return bucketBlocksByKind, kinds
	}
	return "", nil
}
