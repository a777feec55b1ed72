package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
)

// The webhook concern lives under one hash tag, {webhooks}, so each script
// below touches one cluster slot:
//
//   - :subs, a hash: subscription id → JSON;
//   - :dels, a hash: subscription\x00event id → delivery JSON (without Seq);
//   - :dseq, a hash: the same member → its Seq;
//   - :pending, a sorted set of the pending members, scored by Seq;
//   - :log:<subscription>, a sorted set of its event ids scored by Seq;
//   - :seq, the Seq counter; :cursor, the relay's cursor.
func (k keys) whSubs() string           { return k.prefix + "{webhooks}:subs" }
func (k keys) whDels() string           { return k.prefix + "{webhooks}:dels" }
func (k keys) whDelSeq() string         { return k.prefix + "{webhooks}:dseq" }
func (k keys) whPending() string        { return k.prefix + "{webhooks}:pending" }
func (k keys) whLog(sub string) string  { return k.prefix + "{webhooks}:log:" + sub }
func (k keys) whSeq() string            { return k.prefix + "{webhooks}:seq" }
func (k keys) whCursor() string         { return k.prefix + "{webhooks}:cursor" }
func whMember(sub, event string) string { return sub + "\x00" + event }

// addDeliveriesScript adds the deliveries whose member is not stored yet.
//
//	KEYS[1] dels, KEYS[2] dseq, KEYS[3] pending, KEYS[4] seq, KEYS[4+i] the log of delivery i
//	ARGV[3i-2] member, ARGV[3i-1] event id, ARGV[3i] JSON, for i = 1..n; the state is pending
//
// It returns how many it added; a resent script finds them and adds none.
var addDeliveriesScript = redis.NewScript(`
local added = 0
for i = 1, #KEYS - 4 do
  local m = ARGV[3*i-2]
  if redis.call('HEXISTS', KEYS[2], m) == 0 then
    local seq = redis.call('INCR', KEYS[4])
    redis.call('HSET', KEYS[1], m, ARGV[3*i])
    redis.call('HSET', KEYS[2], m, seq)
    redis.call('ZADD', KEYS[3], seq, m)
    redis.call('ZADD', KEYS[4+i], seq, ARGV[3*i-1])
    added = added + 1
  end
end
return added
`)

// saveDeliveryScript replaces a stored delivery's JSON and keeps the
// pending set in step; it returns 0 when the delivery is not stored.
//
//	KEYS[1] dels, KEYS[2] dseq, KEYS[3] pending; ARGV[1] member, ARGV[2] JSON, ARGV[3] "1" when pending
var saveDeliveryScript = redis.NewScript(`
local seq = redis.call('HGET', KEYS[2], ARGV[1])
if not seq then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('ZADD', KEYS[3], seq, ARGV[1]) else redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1
`)

// deleteSubscriptionScript deletes a subscription and its deliveries; it
// returns 0 when the subscription is not stored.
//
//	KEYS[1] subs, KEYS[2] dels, KEYS[3] dseq, KEYS[4] pending, KEYS[5] its log; ARGV[1] id
var deleteSubscriptionScript = redis.NewScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
for _, ev in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  local m = ARGV[1] .. '\0' .. ev
  redis.call('HDEL', KEYS[2], m)
  redis.call('HDEL', KEYS[3], m)
  redis.call('ZREM', KEYS[4], m)
end
redis.call('DEL', KEYS[5])
return 1
`)

// advanceCursorScript sets the cursor to ARGV[1] when it is after it.
var advanceCursorScript = redis.NewScript(`
local c = redis.call('GET', KEYS[1])
if c and ARGV[1] <= c then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`)

// PutWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) PutWebhookSubscription(ctx context.Context, v *contextstore.WebhookSubscription) error {
	val, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("redis: encoding webhook subscription %s: %w", v.ID, err)
	}
	if err := s.rdb.HSet(ctx, s.keys.whSubs(), v.ID, val).Err(); err != nil {
		return s.fail("redis: storing webhook subscription "+v.ID, err)
	}
	return nil
}

// GetWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) GetWebhookSubscription(ctx context.Context, id string) (*contextstore.WebhookSubscription, error) {
	val, err := s.rdb.HGet(ctx, s.keys.whSubs(), id).Result()
	if err != nil {
		return nil, s.fail("redis: reading webhook subscription "+id, err)
	}
	var out contextstore.WebhookSubscription
	if err := json.Unmarshal([]byte(val), &out); err != nil {
		return nil, fmt.Errorf("redis: decoding webhook subscription %s: %w", id, err)
	}
	return &out, nil
}

// ListWebhookSubscriptions implements contextstore.WebhookStore.
func (s *Store) ListWebhookSubscriptions(ctx context.Context) ([]*contextstore.WebhookSubscription, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.whSubs()).Result()
	if err != nil {
		return nil, s.fail("redis: listing webhook subscriptions", err)
	}
	out := make([]*contextstore.WebhookSubscription, 0, len(all))
	for id, val := range all {
		var v contextstore.WebhookSubscription
		if err := json.Unmarshal([]byte(val), &v); err != nil {
			return nil, fmt.Errorf("redis: decoding webhook subscription %s: %w", id, err)
		}
		out = append(out, &v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeleteWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) DeleteWebhookSubscription(ctx context.Context, id string) error {
	k := s.keys
	n, err := deleteSubscriptionScript.Run(ctx, s.rdb, []string{k.whSubs(), k.whDels(), k.whDelSeq(), k.whPending(), k.whLog(id)}, id).Int()
	if err != nil {
		return s.fail("redis: deleting webhook subscription "+id, err)
	}
	if n == 0 {
		return fmt.Errorf("webhook subscription %s: %w", id, contextstore.ErrNotFound)
	}
	return nil
}

// AddWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) AddWebhookDeliveries(ctx context.Context, ds []contextstore.WebhookDelivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	k := s.keys
	ks := []string{k.whDels(), k.whDelSeq(), k.whPending(), k.whSeq()}
	args := make([]any, 0, 3*len(ds))
	for _, d := range ds {
		d.State = contextstore.DeliveryPending
		val, err := json.Marshal(&d)
		if err != nil {
			return 0, fmt.Errorf("redis: encoding webhook delivery %s: %w", d.EventID, err)
		}
		ks = append(ks, k.whLog(d.SubscriptionID))
		args = append(args, whMember(d.SubscriptionID, d.EventID), d.EventID, val)
	}
	n, err := addDeliveriesScript.Run(ctx, s.rdb, ks, args...).Int()
	if err != nil {
		return 0, s.fail("redis: adding webhook deliveries", err)
	}
	return n, nil
}

// deliveries loads the deliveries of members (with their Seq), skipping
// any deleted meanwhile.
func (s *Store) deliveries(ctx context.Context, members []string, seqs []int64) ([]contextstore.WebhookDelivery, error) {
	if len(members) == 0 {
		return nil, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.keys.whDels(), members...).Result()
	if err != nil {
		return nil, s.fail("redis: reading webhook deliveries", err)
	}
	out := make([]contextstore.WebhookDelivery, 0, len(vals))
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var d contextstore.WebhookDelivery
		if err := json.Unmarshal([]byte(str), &d); err != nil {
			return nil, fmt.Errorf("redis: decoding webhook delivery %q: %w", members[i], err)
		}
		d.Seq = seqs[i]
		out = append(out, d)
	}
	return out, nil
}

// DueWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]contextstore.WebhookDelivery, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.keys.whPending(), 0, -1).Result()
	if err != nil {
		return nil, s.fail("redis: listing pending webhook deliveries", err)
	}
	members, seqs := make([]string, len(zs)), make([]int64, len(zs))
	for i, z := range zs {
		members[i], seqs[i] = z.Member.(string), int64(z.Score)
	}
	all, err := s.deliveries(ctx, members, seqs)
	if err != nil {
		return nil, err
	}
	heads := map[[2]string]bool{}
	var out []contextstore.WebhookDelivery
	for _, d := range all {
		if d.State != contextstore.DeliveryPending {
			continue
		}
		hk := [2]string{d.SubscriptionID, d.Subject}
		if heads[hk] {
			continue
		}
		heads[hk] = true
		if !d.NextAt.After(now) && (limit <= 0 || len(out) < limit) {
			out = append(out, d)
		}
	}
	return out, nil
}

// SaveWebhookDelivery implements contextstore.WebhookStore.
func (s *Store) SaveWebhookDelivery(ctx context.Context, d contextstore.WebhookDelivery) error {
	cur, err := s.GetWebhookDelivery(ctx, d.SubscriptionID, d.EventID)
	if err != nil {
		return err
	}
	cur.Progress(d)
	val, err := json.Marshal(&cur)
	if err != nil {
		return fmt.Errorf("redis: encoding webhook delivery %s: %w", d.EventID, err)
	}
	pending := "0"
	if cur.State == contextstore.DeliveryPending {
		pending = "1"
	}
	k := s.keys
	n, err := saveDeliveryScript.Run(ctx, s.rdb, []string{k.whDels(), k.whDelSeq(), k.whPending()}, whMember(d.SubscriptionID, d.EventID), val, pending).Int()
	if err != nil {
		return s.fail("redis: saving webhook delivery "+d.EventID, err)
	}
	if n == 0 {
		return fmt.Errorf("webhook delivery %s to %s: %w", d.EventID, d.SubscriptionID, contextstore.ErrNotFound)
	}
	return nil
}

// GetWebhookDelivery implements contextstore.WebhookStore.
func (s *Store) GetWebhookDelivery(ctx context.Context, sub, event string) (contextstore.WebhookDelivery, error) {
	m := whMember(sub, event)
	seq, err := s.rdb.HGet(ctx, s.keys.whDelSeq(), m).Int64()
	if err != nil {
		return contextstore.WebhookDelivery{}, s.fail("redis: webhook delivery "+event+" to "+sub, err)
	}
	ds, err := s.deliveries(ctx, []string{m}, []int64{seq})
	if err != nil {
		return contextstore.WebhookDelivery{}, err
	}
	if len(ds) == 0 {
		return contextstore.WebhookDelivery{}, fmt.Errorf("webhook delivery %s to %s: %w", event, sub, contextstore.ErrNotFound)
	}
	return ds[0], nil
}

// ListWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) ListWebhookDeliveries(ctx context.Context, sub string, limit int) ([]contextstore.WebhookDelivery, error) {
	stop := int64(-1)
	if limit > 0 {
		stop = int64(limit) - 1
	}
	zs, err := s.rdb.ZRevRangeWithScores(ctx, s.keys.whLog(sub), 0, stop).Result()
	if err != nil {
		return nil, s.fail("redis: listing webhook deliveries of "+sub, err)
	}
	members, seqs := make([]string, len(zs)), make([]int64, len(zs))
	for i, z := range zs {
		members[i], seqs[i] = whMember(sub, z.Member.(string)), int64(z.Score)
	}
	return s.deliveries(ctx, members, seqs)
}

// WebhookCursor implements contextstore.WebhookStore.
func (s *Store) WebhookCursor(ctx context.Context) (string, error) {
	c, err := s.rdb.Get(ctx, s.keys.whCursor()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", s.fail("redis: reading the webhook cursor", err)
	}
	return strings.TrimSpace(c), nil
}

// AdvanceWebhookCursor implements contextstore.WebhookStore.
func (s *Store) AdvanceWebhookCursor(ctx context.Context, id string) error {
	if err := advanceCursorScript.Run(ctx, s.rdb, []string{s.keys.whCursor()}, id).Err(); err != nil {
		return s.fail("redis: advancing the webhook cursor", err)
	}
	return nil
}
