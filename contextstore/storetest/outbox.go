package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// testOutbox: the events given with a block write are written with it,
// in order, numbered by the store; a write that fails writes none; the
// block itself never carries them back.
func testOutbox(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	ev := func(typ, subject string, data string) contextstore.OutboxEvent {
		return contextstore.OutboxEvent{Type: typ, At: t0.Add(time.Minute), Subject: subject, Data: []byte(data)}
	}
	read := func(t *testing.T, s contextstore.Store, after string, limit int) []contextstore.OutboxEvent {
		t.Helper()
		out, err := s.ReadOutbox(t.Context(), after, limit)
		noErr(t, "ReadOutbox", err)
		return out
	}
	t.Run("WrittenWithTheBlock", func(t *testing.T) {
		s := newStore(t)
		if got := read(t, s, "", 0); len(got) != 0 {
			t.Fatalf("a new store's outbox holds %d events", len(got))
		}
		b := sampleBlock("b1")
		b.Outbox = []contextstore.OutboxEvent{ev("block.created", "b1", `{"n":1}`), ev("conversation.blocked", "b1", `{"n":2}`)}
		mustCreateBlock(t, s, b)
		got := mustGetBlock(t, s, "b1")
		if len(got.Outbox) != 0 {
			t.Fatalf("GetBlock returned the outbox events with the block: %+v", got.Outbox)
		}
		got.Reason = "edited"
		got.Outbox = []contextstore.OutboxEvent{ev("block.edited", "b1", `{"n":3}`)}
		noErr(t, "UpdateBlock", s.UpdateBlock(t.Context(), got))
		// A failed create (the id is taken) and a failed update (a stale
		// version) write no event.
		dup := sampleBlock("b1")
		dup.Outbox = []contextstore.OutboxEvent{ev("block.created", "b1", `{"lost":1}`)}
		wantErr(t, "CreateBlock of a taken id", s.CreateBlock(t.Context(), dup), contextstore.ErrAlreadyExists)
		stale := mustGetBlock(t, s, "b1")
		stale.Version--
		stale.Outbox = []contextstore.OutboxEvent{ev("block.edited", "b1", `{"lost":2}`)}
		wantErr(t, "UpdateBlock of a stale version", s.UpdateBlock(t.Context(), stale), contextstore.ErrVersionConflict)

		all := read(t, s, "", 0)
		if len(all) != 3 {
			t.Fatalf("outbox holds %d events, want 3", len(all))
		}
		for i, want := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
			e := all[i]
			if !bytes.Equal(e.Data, []byte(want)) || e.Subject != "b1" || !e.At.Equal(t0.Add(time.Minute)) || len(e.ID) != 20 {
				t.Errorf("event %d = %+v, want data %s", i, e, want)
			}
			if i > 0 && e.ID <= all[i-1].ID {
				t.Errorf("event ids %q then %q do not increase", all[i-1].ID, e.ID)
			}
		}
		if all[0].Type != "block.created" || all[2].Type != "block.edited" {
			t.Errorf("types %q, %q", all[0].Type, all[2].Type)
		}
		if got := read(t, s, all[0].ID, 1); len(got) != 1 || got[0].ID != all[1].ID {
			t.Errorf("after %s, limit 1: %+v, want %s", all[0].ID, got, all[1].ID)
		}
		if got := read(t, s, all[2].ID, 0); len(got) != 0 {
			t.Errorf("after the last: %+v", got)
		}
	})
}
