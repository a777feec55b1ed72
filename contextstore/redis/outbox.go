package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
)

// ReadOutbox implements contextstore.Outbox: the events blockWriteScript
// wrote with their blocks, scored by their sequence (one sorted set in the
// blocks' slot, so the write and its events are one atomic script).
func (s *Store) ReadOutbox(ctx context.Context, after string, limit int) ([]contextstore.OutboxEvent, error) {
	min := "-inf"
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reading the outbox after %q: not an outbox id", after)
		}
		min = "(" + strconv.FormatInt(n, 10)
	}
	by := &redis.ZRangeBy{Min: min, Max: "+inf"}
	if limit > 0 {
		by.Count = int64(limit)
	}
	vals, err := s.rdb.ZRangeByScore(ctx, s.keys.outbox(), by).Result()
	if err != nil {
		return nil, s.fail("redis: reading the outbox", err)
	}
	out := make([]contextstore.OutboxEvent, 0, len(vals))
	for _, v := range vals {
		var e contextstore.OutboxEvent
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("redis: decoding an outbox event: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}
