package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
)

// A subject's strikes are a sorted set (member: strike id, score: its time
// in unix microseconds) and a hash (strike id → JSON) under one hash tag,
// {strikes:<subject>}, so every script below touches one cluster slot.
// Both keys expire keep after the newest strike.
func (k keys) strikeSet(subject string) string  { return k.prefix + "{strikes:" + subject + "}:z" }
func (k keys) strikeData(subject string) string { return k.prefix + "{strikes:" + subject + "}:d" }

// addStrikeScript stores one strike unless its id is there already, drops
// the strikes older than the cut and beyond the cap, and refreshes the TTL.
//
//	KEYS[1] the sorted set, KEYS[2] the hash
//	ARGV[1] id, ARGV[2] score, ARGV[3] JSON, ARGV[4] cut score (exclusive),
//	ARGV[5] TTL in milliseconds, ARGV[6] the most strikes kept
//
// It returns 1 when it stored the strike, 0 when the id existed. A resent
// script (lost reply) finds its own strike and changes nothing.
var addStrikeScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
local over = redis.call('ZCARD', KEYS[1]) - #old - tonumber(ARGV[6])
if over > 0 then
  local extra = redis.call('ZRANGE', KEYS[1], #old, #old + over - 1)
  for _, id in ipairs(extra) do old[#old + 1] = id end
end
for _, id in ipairs(old) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
`)

// listStrikesScript returns the JSON of the strikes scored at or after
// ARGV[1], in score then id order.
var listStrikesScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(ids))
`)

// clearStrikesScript deletes a subject's strikes and returns how many
// there were.
var clearStrikesScript = redis.NewScript(`
local n = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return n
`)

func strikeScore(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// AddStrike implements contextstore.StrikeStore: one script call.
func (s *Store) AddStrike(ctx context.Context, st *contextstore.Strike, keep time.Duration) error {
	cp, err := contextstore.NewStrike(st, keep)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	data, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("redis: encoding strike: %w", err)
	}
	ttl := max(keep.Milliseconds(), 1)
	keys := []string{s.keys.strikeSet(cp.Subject), s.keys.strikeData(cp.Subject)}
	if err := addStrikeScript.Run(ctx, s.rdb, keys, cp.ID, strikeScore(cp.At), data, strikeScore(cp.At.Add(-keep)), ttl, contextstore.MaxStrikesPerSubject).Err(); err != nil {
		return s.fail(fmt.Sprintf("redis: adding strike to %q", st.Subject), err)
	}
	return nil
}

// ListStrikes implements contextstore.StrikeStore: one script call.
func (s *Store) ListStrikes(ctx context.Context, subject string, since time.Time) ([]*contextstore.Strike, error) {
	keys := []string{s.keys.strikeSet(subject), s.keys.strikeData(subject)}
	vals, err := listStrikesScript.Run(ctx, s.rdb, keys, strikeScore(since)).Slice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.fail(fmt.Sprintf("redis: listing strikes of %q", subject), err)
	}
	var out []*contextstore.Strike
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue // deleted between the two reads of the script: cannot happen
		}
		var st contextstore.Strike
		if err := json.Unmarshal([]byte(str), &st); err != nil {
			return nil, fmt.Errorf("redis: decoding a strike of %q: %w", subject, err)
		}
		if !st.At.Before(since) { // the score has microseconds only
			out = append(out, &st)
		}
	}
	contextstore.SortStrikes(out)
	return out, nil
}

// ClearStrikes implements contextstore.StrikeStore.
func (s *Store) ClearStrikes(ctx context.Context, subject string) (int, error) {
	keys := []string{s.keys.strikeSet(subject), s.keys.strikeData(subject)}
	n, err := clearStrikesScript.Run(ctx, s.rdb, keys).Int()
	if err != nil {
		return 0, s.fail(fmt.Sprintf("redis: clearing strikes of %q", subject), err)
	}
	return n, nil
}

// KeyPrefix returns the prefix of every key of the store, so that what
// shares its Redis (the rate limiter) can keep its keys beside the store's.
func (s *Store) KeyPrefix() string { return s.keys.prefix }
