package bolt

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
)

// TestMatchesMemory applies the same random operations to this store and to
// the reference memory store and requires identical results: same sentinel
// errors, same records, same orderings. It covers the block indexes (every
// query shape against memory's full scan), the audit key order with caller
// and store ids mixed, and the queues.
func TestMatchesMemory(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			diffRun(t, rand.New(rand.NewPCG(seed, 42)), 1500)
		})
	}
}

func errClass(err error) string {
	for _, s := range []error{contextstore.ErrNotFound, contextstore.ErrVersionConflict, contextstore.ErrAlreadyExists, contextstore.ErrUnavailable} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return "ok"
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func diffRun(t *testing.T, r *rand.Rand, steps int) {
	ctx := t.Context()
	mem := memory.New()
	blt := openAt(t, tempPath(t), Options{})
	blt.db.NoSync = true // semantics only; durability has its own test

	convIDs := []string{"c1", "c2", "c3", "c4", "c5"}
	users := []string{"", "u1", "u2", "u3"}
	blockIDs := []string{"b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09", "b10", "b11", "b12"}
	hashes := []string{"", "h1", "h2"}
	kinds := []contextstore.BlockKind{contextstore.KindUser, contextstore.KindConversation, contextstore.KindIP, contextstore.KindRange}
	queues := []string{"", "q1", "q2"}
	tm := func() time.Time { return t0.Add(time.Duration(r.IntN(10)) * time.Hour) }
	tp := func() *time.Time {
		if r.IntN(2) == 0 {
			return nil
		}
		x := tm()
		return &x
	}
	version := func(cur int64) int64 {
		if r.IntN(4) == 0 {
			return int64(r.IntN(3))
		}
		return cur
	}
	randBlock := func(id string) *contextstore.Block {
		b := &contextstore.Block{
			ID: id, Kind: pick(r, kinds...), UserID: pick(r, users...), ConversationID: pick(r, append(convIDs, "")...),
			IPHash: pick(r, hashes...), ReasonCategory: pick(r, "", "spam", "abuse"), CreatedBy: pick(r, "", "ann", "bob"),
			CreatedAt: tm(), Until: tp(), LiftedAt: nil, HitCount: int64(r.IntN(5)),
		}
		if r.IntN(3) == 0 {
			b.Channels = []string{pick(r, "web", "sms")}
		}
		if r.IntN(4) == 0 {
			b.LiftedAt = tp()
		}
		if r.IntN(3) == 0 {
			b.IPCipher = []byte{byte(r.IntN(256))}
		}
		return b
	}
	randQuery := func() contextstore.BlockQuery {
		var q contextstore.BlockQuery
		if r.IntN(3) == 0 {
			for range 1 + r.IntN(3) {
				q.Kinds = append(q.Kinds, pick(r, kinds...))
			}
		}
		if r.IntN(3) == 0 {
			q.UserID = pick(r, users[1:]...)
		}
		if r.IntN(4) == 0 {
			q.IPHash = pick(r, hashes[1:]...)
		}
		if r.IntN(4) == 0 {
			q.ConversationID = pick(r, convIDs...)
		}
		if r.IntN(3) == 0 {
			q.Status = pick(r, contextstore.StatusActive, contextstore.StatusEnded)
			q.At = tm()
		}
		if r.IntN(4) == 0 {
			q.Channel = pick(r, "web", "sms")
		}
		if r.IntN(5) == 0 {
			q.ReasonCategory = "spam"
		}
		if r.IntN(5) == 0 {
			q.CreatedBy = "ann"
		}
		if r.IntN(5) == 0 {
			q.CreatedFrom = tm()
		}
		if r.IntN(5) == 0 {
			q.CreatedTo = tm()
		}
		if r.IntN(3) == 0 {
			q.Limit = 1 + r.IntN(4)
		}
		if r.IntN(3) == 0 {
			q.After = pick(r, append(blockIDs, "b", "b05x")...)
		}
		return q
	}
	auditN := 0

	same := func(step int, what string, gotErr, wantErr error, got, want any) {
		t.Helper()
		if errClass(gotErr) != errClass(wantErr) {
			t.Fatalf("step %d %s: bolt error %v, memory error %v", step, what, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d %s:\nbolt   %s\nmemory %s", step, what, dump(got), dump(want))
		}
	}

	for step := range steps {
		switch op := r.IntN(17); op {
		case 0, 1: // put conversation
			id := pick(r, convIDs...)
			var cur int64
			if c, err := mem.GetConversation(ctx, id); err == nil {
				cur = c.Version
			}
			c := &contextstore.Conversation{
				ID: id, Version: version(cur),
				Info:      contextstore.ConversationInfo{Blocked: r.IntN(2) == 0, LiveChatBlockedUntil: tp()},
				User:      contextstore.ChatUser{UserID: pick(r, users...)},
				Vars:      map[string]any{"n": float64(step), "at": tm()},
				UpdatedAt: tm(),
			}
			c2 := c.Clone()
			e1, e2 := blt.PutConversation(ctx, c), mem.PutConversation(ctx, c2)
			same(step, "PutConversation", e1, e2, c.Version, c2.Version)
		case 2:
			id := pick(r, convIDs...)
			g1, e1 := blt.GetConversation(ctx, id)
			g2, e2 := mem.GetConversation(ctx, id)
			same(step, "GetConversation "+id, e1, e2, g1, g2)
		case 3:
			id := pick(r, convIDs...)
			e1, e2 := blt.DeleteConversation(ctx, id), mem.DeleteConversation(ctx, id)
			same(step, "DeleteConversation", e1, e2, nil, nil)
		case 4:
			f := contextstore.ConversationFilter{UserID: pick(r, users...), After: pick(r, append(convIDs, "")...)}
			if r.IntN(2) == 0 {
				b := r.IntN(2) == 0
				f.Blocked = &b
			}
			if r.IntN(2) == 0 {
				f.Limit = 1 + r.IntN(3)
			}
			g1, e1 := blt.ListConversations(ctx, f)
			g2, e2 := mem.ListConversations(ctx, f)
			same(step, fmt.Sprintf("ListConversations %+v", f), e1, e2, g1, g2)
		case 5: // activity
			u := pick(r, users[1:]...)
			var cur int64
			if a, err := mem.GetActivity(ctx, u); err == nil {
				cur = a.Version
			}
			d := &contextstore.ChatActivityData{UserID: u, Version: version(cur), LiveChatBlockedUntil: tp(), LiveChatBlockedReason: pick(r, "", "x")}
			d2 := d.Clone()
			e1, e2 := blt.PutActivity(ctx, d), mem.PutActivity(ctx, d2)
			same(step, "PutActivity", e1, e2, d.Version, d2.Version)
			g1, e1 := blt.GetActivity(ctx, u)
			g2, e2 := mem.GetActivity(ctx, u)
			same(step, "GetActivity", e1, e2, g1, g2)
		case 6, 7: // create block
			b := randBlock(pick(r, blockIDs...))
			b2 := b.Clone()
			e1, e2 := blt.CreateBlock(ctx, b), mem.CreateBlock(ctx, b2)
			same(step, "CreateBlock", e1, e2, b.Version, b2.Version)
		case 8: // update block
			id := pick(r, blockIDs...)
			b := randBlock(id)
			if cur, err := mem.GetBlock(ctx, id); err == nil {
				b.Version = version(cur.Version)
			}
			b2 := b.Clone()
			e1, e2 := blt.UpdateBlock(ctx, b), mem.UpdateBlock(ctx, b2)
			same(step, "UpdateBlock", e1, e2, b.Version, b2.Version)
		case 9:
			id := pick(r, blockIDs...)
			e1, e2 := blt.DeleteBlock(ctx, id), mem.DeleteBlock(ctx, id)
			same(step, "DeleteBlock", e1, e2, nil, nil)
		case 10, 11:
			q := randQuery()
			g1, e1 := blt.ListBlocks(ctx, q)
			g2, e2 := mem.ListBlocks(ctx, q)
			same(step, fmt.Sprintf("ListBlocks %+v", q), e1, e2, g1, g2)
			id := pick(r, blockIDs...)
			b1, e1 := blt.GetBlock(ctx, id)
			b2, e2 := mem.GetBlock(ctx, id)
			same(step, "GetBlock", e1, e2, b1, b2)
			v1, e1 := blt.BansVersion(ctx)
			v2, e2 := mem.BansVersion(ctx)
			same(step, "BansVersion", e1, e2, v1, v2)
		case 12: // append audit
			auditN++
			e := &contextstore.AuditEvent{At: tm(), Actor: pick(r, "ann", "bob"), Action: pick(r, "block.create", "block.lift"), BlockID: pick(r, blockIDs...)}
			switch r.IntN(3) {
			case 0:
				e.ID = pick(r, "e1", "e2", "e3", "00000000000000000005", "e1\x00")
			case 1:
				e.Details = map[string]string{"k": "v"}
			}
			e2 := e.Clone()
			err1, err2 := blt.AppendAudit(ctx, e), mem.AppendAudit(ctx, e2)
			same(step, "AppendAudit", err1, err2, e, e2)
		case 13:
			q := contextstore.AuditQuery{Actor: pick(r, "", "ann"), Action: pick(r, "", "block.lift"), BlockID: pick(r, "", "b01", "b02")}
			if r.IntN(3) == 0 {
				q.From = tm()
			}
			if r.IntN(3) == 0 {
				q.To = tm()
			}
			if r.IntN(2) == 0 {
				q.Limit = 1 + r.IntN(5)
			}
			if r.IntN(2) == 0 {
				q.After = pick(r, "e1", "e2", "00000000000000000003", "00000000000000000010", "z")
			}
			g1, e1 := blt.ListAudit(ctx, q)
			g2, e2 := mem.ListAudit(ctx, q)
			same(step, fmt.Sprintf("ListAudit %+v", q), e1, e2, g1, g2)
		case 14:
			e := contextstore.QueueEntry{Queue: pick(r, queues...), ConversationID: pick(r, convIDs...), EnqueuedAt: tm()}
			e1, e2 := blt.Enqueue(ctx, e), mem.Enqueue(ctx, e)
			same(step, "Enqueue", e1, e2, nil, nil)
		case 15:
			q := pick(r, queues...)
			if r.IntN(2) == 0 {
				g1, e1 := blt.Dequeue(ctx, q)
				g2, e2 := mem.Dequeue(ctx, q)
				same(step, "Dequeue", e1, e2, g1, g2)
			} else {
				id := pick(r, convIDs...)
				e1, e2 := blt.RemoveFromQueue(ctx, q, id), mem.RemoveFromQueue(ctx, q, id)
				same(step, "RemoveFromQueue", e1, e2, nil, nil)
			}
		case 16:
			q := pick(r, queues...)
			g1, e1 := blt.ListQueue(ctx, q)
			g2, e2 := mem.ListQueue(ctx, q)
			if len(g2) == 0 {
				g2 = nil // memory returns an empty, non-nil slice for a drained queue
			}
			same(step, "ListQueue", e1, e2, g1, g2)
		}
	}
}

func dump(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		s := "["
		for i := range rv.Len() {
			s += fmt.Sprintf("\n  %+v", rv.Index(i).Interface())
		}
		return s + "]"
	}
	return fmt.Sprintf("%+v", v)
}
