package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
)

// GetConversation implements contextstore.ConversationStore. One round
// trip (HMGET v d).
func (s *Store) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	vals, err := s.rdb.HMGet(ctx, s.keys.conv(id), "v", "d").Result()
	if err != nil {
		return nil, s.fail(fmt.Sprintf("redis: getting conversation %q", id), err)
	}
	c, err := decodeConversation(id, vals)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("conversation %q: %w", id, contextstore.ErrNotFound)
	}
	return c, nil
}

// decodeConversation decodes the v and d fields of a conversation hash; it
// returns nil, nil when the hash does not exist.
func decodeConversation(id string, vals []any) (*contextstore.Conversation, error) {
	vs, ok1 := vals[0].(string)
	data, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, nil
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("redis: conversation %q has a bad version %q: %w", id, vs, err)
	}
	doc := convDoc{Conversation: &contextstore.Conversation{}}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		return nil, fmt.Errorf("redis: decoding conversation %q: %w", id, err)
	}
	if err := contextstore.RestoreVarTimes(doc.Vars, doc.VarTimes); err != nil {
		return nil, fmt.Errorf("redis: decoding conversation %q: %w", id, err)
	}
	doc.Version = v
	return doc.Conversation, nil
}

// PutConversation implements contextstore.ConversationStore. One round
// trip: a pipeline of the compare-and-swap script on the conversation's
// slot and the index update on the {convs} slot (on a Cluster go-redis
// sends both at once to their nodes). The context is written atomically
// or not at all; the index is advisory (it only feeds ListConversations),
// so an index failure after a successful write is logged, not returned.
func (s *Store) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if c.ID == "" {
		return errors.New("putting conversation: empty id")
	}
	cp := *c
	cp.Version = c.Version + 1
	data, err := json.Marshal(convDoc{Conversation: &cp, VarTimes: contextstore.VarTimes(c.Vars)})
	if err != nil {
		return fmt.Errorf("redis: encoding conversation %q: %w", c.ID, err)
	}
	ttl := int64(0)
	deadline := "+inf"
	now := s.now()
	if s.ttl > 0 {
		ttl = max(s.ttl.Milliseconds(), 1)
		deadline = strconv.FormatInt(now.Add(s.ttl).UnixMilli(), 10)
	}
	cutoff := strconv.FormatInt(now.Add(-indexGrace).UnixMilli(), 10)

	casKeys := []string{s.keys.conv(c.ID)}
	casArgs := []any{c.Version, data, ttl, rand.Text()}
	idxKeys := []string{s.keys.convIDs(), s.keys.convExp()}
	idxArgs := []any{c.ID, deadline, cutoff, pruneBatch}

	var cas, idx *redis.Cmd
	if s.dur.Turns && s.dur.Replicas > 0 {
		// The save waits for replicas on its own connection (see
		// runDurable); the index update runs alongside it.
		done := make(chan struct{})
		go func() {
			defer close(done)
			idx = convIndexScript.Run(ctx, s.rdb, idxKeys, idxArgs...)
		}()
		cas = s.runDurable(ctx, casScript, true, casKeys, casArgs...)
		<-done
	} else {
		cmds, _ := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			casScript.EvalSha(ctx, p, casKeys, casArgs...)
			convIndexScript.EvalSha(ctx, p, idxKeys, idxArgs...)
			return nil
		})
		cas, idx = cmds[0].(*redis.Cmd), cmds[1].(*redis.Cmd)
		// A server that has not cached a script yet (first use, restart,
		// failover) did not run it; EVAL runs and caches it.
		if isNoScript(cas.Err()) {
			cas = casScript.Eval(ctx, s.rdb, casKeys, casArgs...)
		}
		if isNoScript(idx.Err()) {
			idx = convIndexScript.Eval(ctx, s.rdb, idxKeys, idxArgs...)
		}
	}
	nv, err := cas.Int64()
	if err != nil {
		return s.fail(fmt.Sprintf("redis: putting conversation %q", c.ID), err)
	}
	if nv < 0 {
		return fmt.Errorf("conversation %q at version %d (stored: %d): %w", c.ID, c.Version, -1-nv, contextstore.ErrVersionConflict)
	}
	if err := idx.Err(); err != nil {
		s.log.Warn("updating the conversation index failed; the next save repairs it",
			zap.String("conversation", c.ID), zap.Error(err))
	} else if n, _ := idx.Int64(); n > 0 {
		if ce := s.log.Check(zap.DebugLevel, "pruned expired conversations from the index"); ce != nil {
			ce.Write(zap.Int64("pruned", n))
		}
	}
	c.Version = nv
	return nil
}

// DeleteConversation implements contextstore.ConversationStore.
func (s *Store) DeleteConversation(ctx context.Context, id string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.keys.conv(id))
		p.ZRem(ctx, s.keys.convIDs(), id)
		p.ZRem(ctx, s.keys.convExp(), id)
		return nil
	})
	if err != nil {
		return s.fail(fmt.Sprintf("redis: deleting conversation %q", id), err)
	}
	return nil
}

// ListConversations implements contextstore.ConversationStore. It walks
// the conversation index in id order, a page per round trip plus one
// pipelined read of the page's contexts, and filters with
// ConversationFilter.Match; its cost grows with the number of live
// conversations when the filter is selective. Ids whose contexts have
// expired are skipped (and pruned from the index by later saves).
func (s *Store) ListConversations(ctx context.Context, f contextstore.ConversationFilter) ([]*contextstore.Conversation, error) {
	var out []*contextstore.Conversation
	from := lexAfter(f.After)
	for {
		ids, err := s.rdb.ZRangeByLex(ctx, s.keys.convIDs(), &redis.ZRangeBy{Min: from, Max: "+", Count: pageSize}).Result()
		if err != nil {
			return nil, s.fail("redis: listing conversations", err)
		}
		if len(ids) == 0 {
			return out, nil
		}
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, id := range ids {
				p.HMGet(ctx, s.keys.conv(id), "v", "d")
			}
			return nil
		})
		if err != nil {
			return nil, s.fail("redis: listing conversations", err)
		}
		for i, cmd := range cmds {
			c, err := decodeConversation(ids[i], cmd.(*redis.SliceCmd).Val())
			if err != nil {
				return nil, err
			}
			if c == nil || !f.Match(c) {
				continue
			}
			out = append(out, c)
			if f.Limit > 0 && len(out) == f.Limit {
				return out, nil
			}
		}
		if len(ids) < pageSize {
			return out, nil
		}
		from = "(" + ids[len(ids)-1]
	}
}

// GetActivity implements contextstore.ActivityStore.
func (s *Store) GetActivity(ctx context.Context, userID string) (*contextstore.ChatActivityData, error) {
	vals, err := s.rdb.HMGet(ctx, s.keys.activity(userID), "v", "d").Result()
	if err != nil {
		return nil, s.fail(fmt.Sprintf("redis: getting activity of user %q", userID), err)
	}
	vs, ok1 := vals[0].(string)
	data, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("activity of user %q: %w", userID, contextstore.ErrNotFound)
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("redis: activity of user %q has a bad version %q: %w", userID, vs, err)
	}
	var d contextstore.ChatActivityData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, fmt.Errorf("redis: decoding activity of user %q: %w", userID, err)
	}
	d.Version = v
	return &d, nil
}

// PutActivity implements contextstore.ActivityStore with the same
// compare-and-swap script as PutConversation (one round trip). Activity
// records do not expire.
func (s *Store) PutActivity(ctx context.Context, d *contextstore.ChatActivityData) error {
	if d.UserID == "" {
		return errors.New("putting activity: empty user id")
	}
	doc := *d
	doc.Version = d.Version + 1
	data, err := json.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("redis: encoding activity of user %q: %w", d.UserID, err)
	}
	nv, err := s.runDurable(ctx, casScript, s.dur.Turns, []string{s.keys.activity(d.UserID)}, d.Version, data, 0, rand.Text()).Int64()
	if err != nil {
		return s.fail(fmt.Sprintf("redis: putting activity of user %q", d.UserID), err)
	}
	if nv < 0 {
		return fmt.Errorf("activity of user %q at version %d (stored: %d): %w", d.UserID, d.Version, -1-nv, contextstore.ErrVersionConflict)
	}
	d.Version = nv
	return nil
}

// convDoc is the stored JSON of a conversation: the context plus the
// paths of the time values in its Vars. JSON turns a time.Time into a
// string, so without them a flow variable holding a time would load as a
// string; the memory store keeps the time.Time, and this keeps the two
// identical (the bolt store does the same).
type convDoc struct {
	*contextstore.Conversation
	VarTimes []contextstore.TimePath `json:"VarTimes,omitempty"`
}
