package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
)

// An audit log member is escapeID(ID) + "\x00\x01" + the 20-digit
// sequence number + the event JSON. escapeID turns each NUL byte of the ID
// into "\x00\x02", so the first "\x00\x01" is the separator, and byte-wise
// member order is ID order, then append order, exactly as the memory
// backend sorts.
const auditSep = "\x00\x01"

// seqDigits is the width of the sequence number in a member.
const seqDigits = 20

var idEscaper = strings.NewReplacer("\x00", "\x00\x02")

func escapeID(id string) string {
	if strings.IndexByte(id, 0) < 0 {
		return id
	}
	return idEscaper.Replace(id)
}

func unescapeID(id string) string {
	if strings.IndexByte(id, 0) < 0 {
		return id
	}
	return strings.ReplaceAll(id, "\x00\x02", "\x00")
}

// AppendAudit implements contextstore.AuditLog: one round trip (a script in
// the {audit} slot). An empty ID becomes the zero-padded value of a
// sequence counter shared by every instance, so assigned IDs sort in
// append order, as in the memory backend.
func (s *Store) AppendAudit(ctx context.Context, e *contextstore.AuditEvent) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("redis: encoding audit event: %w", err)
	}
	keys := []string{s.keys.auditLog(), s.keys.auditSeq(), s.keys.auditClaim(rand.Text())}
	if e.BlockID != "" {
		keys = append(keys, s.keys.auditByBlock(e.BlockID))
	}
	assigned, err := s.runDurable(ctx, auditAppendScript, true, keys, escapeID(e.ID), data).Text()
	if err != nil {
		return s.fail("redis: appending audit event", err)
	}
	if e.ID == "" {
		e.ID = assigned
	}
	return nil
}

// ListAudit implements contextstore.AuditLog. Events are read in ID order
// (from the per-block index when BlockID is set), a page per round trip,
// and filtered with AuditQuery.Match.
func (s *Store) ListAudit(ctx context.Context, q contextstore.AuditQuery) ([]*contextstore.AuditEvent, error) {
	key := s.keys.auditLog()
	if q.BlockID != "" {
		key = s.keys.auditByBlock(q.BlockID)
	}
	// The members of events with ID == After sort below
	// escapeID(After)+"\x00\x02"; those of every greater ID at or above.
	from := "-"
	if q.After != "" {
		from = "[" + escapeID(q.After) + "\x00\x02"
	}
	var out []*contextstore.AuditEvent
	for {
		members, err := s.rdb.ZRangeByLex(ctx, key, &redis.ZRangeBy{Min: from, Max: "+", Count: pageSize}).Result()
		if err != nil {
			return nil, s.fail("redis: listing audit events", err)
		}
		for _, m := range members {
			from = "(" + m
			id, rest, ok := strings.Cut(m, auditSep)
			if !ok || len(rest) < seqDigits {
				return nil, fmt.Errorf("redis: malformed audit entry %q", m)
			}
			id = unescapeID(id)
			var e contextstore.AuditEvent
			if err := json.Unmarshal([]byte(rest[seqDigits:]), &e); err != nil {
				return nil, fmt.Errorf("redis: decoding audit event %q: %w", id, err)
			}
			e.ID = id
			if q.Match(&e) {
				out = append(out, &e)
				if q.Limit > 0 && len(out) == q.Limit {
					return out, nil
				}
			}
		}
		if len(members) < pageSize {
			return out, nil
		}
	}
}
