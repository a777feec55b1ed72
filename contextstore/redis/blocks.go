package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
)

// maxStaleRetries bounds how often UpdateBlock and DeleteBlock re-read a
// block that changed between their read and their write.
const maxStaleRetries = 16

func isBan(k contextstore.BlockKind) bool {
	return k == contextstore.KindIP || k == contextstore.KindRange
}

// indexKeys returns the index sets a block belongs to (besides the set of
// all ids).
func (s *Store) indexKeys(b *contextstore.Block) []string {
	out := []string{s.keys.blocksByKind(b.Kind)}
	if b.UserID != "" {
		out = append(out, s.keys.blocksByUser(b.UserID))
	}
	if b.ConversationID != "" {
		out = append(out, s.keys.blocksByConv(b.ConversationID))
	}
	if b.IPHash != "" {
		out = append(out, s.keys.blocksByIP(b.IPHash))
	}
	return out
}

// writeBlock runs blockWriteScript.
func (s *Store) writeBlock(ctx context.Context, op, id, oldJSON, newJSON string, oldIdx, newIdx []string, ban bool, cause string, outbox []contextstore.OutboxEvent) (string, error) {
	keys := make([]string, 0, 7+len(oldIdx)+len(newIdx))
	keys = append(keys, s.keys.blockData(), s.keys.blockIDs(), s.keys.bansVersion(), s.keys.blockClaim(rand.Text()), s.keys.blockCauses(),
		s.keys.outbox(), s.keys.outboxSeq())
	keys = append(keys, oldIdx...)
	keys = append(keys, newIdx...)
	banArg := "0"
	if ban {
		banArg = "1"
	}
	events := ""
	if len(outbox) > 0 {
		b, err := json.Marshal(outbox)
		if err != nil {
			return "", fmt.Errorf("redis: encoding the outbox events of block %q: %w", id, err)
		}
		events = string(b)
	}
	return s.runDurable(ctx, blockWriteScript, true, keys,
		op, id, oldJSON, newJSON, len(oldIdx), len(newIdx), banArg, s.keys.bansChannel(), cause, s.keys.sanctionsChannel(), events).Text()
}

// CreateBlock implements contextstore.BlockStore: one round trip (a script
// that writes the block, its indexes and, for a ban, the bans version and
// the notification on the bans channel).
func (s *Store) CreateBlock(ctx context.Context, b *contextstore.Block) error {
	if b.ID == "" {
		return fmt.Errorf("creating block: empty id")
	}
	doc := *b
	doc.Version = 1
	data, err := json.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("redis: encoding block %q: %w", b.ID, err)
	}
	res, err := s.writeBlock(ctx, "c", b.ID, "", string(data), nil, s.indexKeys(b), isBan(b.Kind), b.Cause, b.Outbox)
	if err != nil {
		return s.fail(fmt.Sprintf("redis: creating block %q", b.ID), err)
	}
	if res == "exists" {
		return fmt.Errorf("block %q: %w", b.ID, contextstore.ErrAlreadyExists)
	}
	if holder, ok := strings.CutPrefix(res, "cause:"); ok {
		return &contextstore.CauseTakenError{Cause: b.Cause, ID: holder}
	}
	b.Version = 1
	return nil
}

// readBlock returns a block and the JSON it was decoded from.
func (s *Store) readBlock(ctx context.Context, id string) (*contextstore.Block, string, error) {
	return readRecord(ctx, s, s.keys.blockData(), "block", id, decodeBlock)
}

func decodeBlock(id, data string) (*contextstore.Block, error) {
	var b contextstore.Block
	if err := json.Unmarshal([]byte(data), &b); err != nil {
		return nil, fmt.Errorf("redis: decoding block %q: %w", id, err)
	}
	return &b, nil
}

// GetBlock implements contextstore.BlockStore.
func (s *Store) GetBlock(ctx context.Context, id string) (*contextstore.Block, error) {
	b, _, err := s.readBlock(ctx, id)
	return b, err
}

// UpdateBlock implements contextstore.BlockStore: it reads the stored
// block (to learn its version and the indexes to move it out of) and then
// writes with a script that succeeds only if the block is still exactly
// what was read. Two round trips.
func (s *Store) UpdateBlock(ctx context.Context, b *contextstore.Block) error {
	doc := *b
	doc.Version = b.Version + 1
	data, err := json.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("redis: encoding block %q: %w", b.ID, err)
	}
	var cur *contextstore.Block
	res, err := s.casUpdate(ctx, "block", b.ID, b.Version,
		func() (int64, string, error) {
			var curJSON string
			var err error
			cur, curJSON, err = s.readBlock(ctx, b.ID)
			if err != nil {
				return 0, "", err
			}
			return cur.Version, curJSON, nil
		},
		func(curJSON string) (string, error) {
			return s.writeBlock(ctx, "u", b.ID, curJSON, string(data),
				s.indexKeys(cur), s.indexKeys(b), isBan(b.Kind) || isBan(cur.Kind), "", b.Outbox)
		})
	if err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("redis: updating block %q: unexpected answer %q", b.ID, res)
	}
	b.Version = doc.Version
	return nil
}

// casUpdate is the one compare-and-swap loop of the store's versioned JSON
// records (blocks, accounts): read returns the stored record's version and
// JSON; write runs the record's script, which writes only if the stored
// JSON is still exactly what was read, and returns its answer. A version
// other than version is ErrVersionConflict; "stale" (changed between the
// read and the write) reads again, up to maxStaleRetries; "missing" is
// ErrNotFound; any other answer is returned for the caller to map.
func (s *Store) casUpdate(ctx context.Context, what, id string, version int64, read func() (int64, string, error), write func(curJSON string) (string, error)) (string, error) {
	for range maxStaleRetries {
		v, curJSON, err := read()
		if err != nil {
			return "", err
		}
		if v != version {
			return "", fmt.Errorf("%s %q at version %d (stored: %d): %w", what, id, version, v, contextstore.ErrVersionConflict)
		}
		res, err := write(curJSON)
		if err != nil {
			return "", s.fail(fmt.Sprintf("redis: updating %s %q", what, id), err)
		}
		switch res {
		case "stale":
			continue // changed since read; read again
		case "missing":
			return "", fmt.Errorf("%s %q: %w", what, id, contextstore.ErrNotFound)
		}
		return res, nil
	}
	return "", fmt.Errorf("%s %q at version %d: changing too fast: %w", what, id, version, contextstore.ErrVersionConflict)
}

// DeleteBlock implements contextstore.BlockStore (two round trips, like
// UpdateBlock).
func (s *Store) DeleteBlock(ctx context.Context, id string) error {
	for range maxStaleRetries {
		cur, curJSON, err := s.readBlock(ctx, id)
		if errors.Is(err, contextstore.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := s.writeBlock(ctx, "d", id, curJSON, "", s.indexKeys(cur), nil, isBan(cur.Kind), cur.Cause, nil)
		if err != nil {
			return s.fail(fmt.Sprintf("redis: deleting block %q", id), err)
		}
		if res == "ok" {
			return nil
		}
	}
	return fmt.Errorf("deleting block %q: changing too fast: %w", id, contextstore.ErrVersionConflict)
}

// ListBlocks implements contextstore.BlockStore. Candidates come from the
// most selective index the query allows (user, IP hash, conversation,
// kind, else all blocks), a page of ids and their blocks per round trip,
// and are filtered with BlockQuery.Match, so every backend filters alike.
func (s *Store) ListBlocks(ctx context.Context, q contextstore.BlockQuery) ([]*contextstore.Block, error) {
	var indexes []string
	switch {
	case q.UserID != "":
		indexes = []string{s.keys.blocksByUser(q.UserID)}
	case q.IPHash != "":
		indexes = []string{s.keys.blocksByIP(q.IPHash)}
	case q.ConversationID != "":
		indexes = []string{s.keys.blocksByConv(q.ConversationID)}
	case len(q.Kinds) > 0:
		seen := map[contextstore.BlockKind]bool{}
		for _, k := range q.Kinds {
			if !seen[k] {
				seen[k] = true
				indexes = append(indexes, s.keys.blocksByKind(k))
			}
		}
	default:
		indexes = []string{s.keys.blockIDs()}
	}
	var out []*contextstore.Block
	for _, idx := range indexes {
		part, err := s.listBlocksFrom(ctx, idx, &q)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	if len(indexes) > 1 {
		// Each index gave at most Limit blocks in id order; merge them.
		slices.SortFunc(out, func(a, b *contextstore.Block) int { return strings.Compare(a.ID, b.ID) })
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[:q.Limit]
		}
	}
	return out, nil
}

// listBlocksFrom pages through one index in id order.
func (s *Store) listBlocksFrom(ctx context.Context, index string, q *contextstore.BlockQuery) ([]*contextstore.Block, error) {
	var out []*contextstore.Block
	from := lexAfter(q.After)
	for {
		page, err := pageScript.Run(ctx, s.rdb, []string{index, s.keys.blockData()}, from, pageSize).Slice()
		if err != nil {
			return nil, s.fail("redis: listing blocks", err)
		}
		for i := 0; i+1 < len(page); i += 2 {
			id, _ := page[i].(string)
			data, ok := page[i+1].(string)
			from = "(" + id
			if !ok {
				continue
			}
			b, err := decodeBlock(id, data)
			if err != nil {
				return nil, err
			}
			if q.Match(b) {
				out = append(out, b)
				if q.Limit > 0 && len(out) == q.Limit {
					return out, nil
				}
			}
		}
		if len(page) < 2*pageSize {
			return out, nil
		}
	}
}

// BansVersion implements contextstore.BlockStore. The counter is
// incremented in the same script that writes an IP or range block, so it
// never lags the bans it describes.
func (s *Store) BansVersion(ctx context.Context) (int64, error) {
	v, err := s.rdb.Get(ctx, s.keys.bansVersion()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, s.fail("redis: reading the bans version", err)
	}
	return v, nil
}
