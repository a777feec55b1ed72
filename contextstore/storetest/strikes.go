package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

func strikeID(s *contextstore.Strike) string { return s.ID }

// testStrikes checks the StrikeStore contract: order, the since filter,
// idempotent adds, decay on add, the per-subject cap, clearing, and that
// subjects are separate.
func testStrikes(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	ctx := t.Context()
	const keep = 90 * 24 * time.Hour
	strike := func(subject, id string, at time.Time) *contextstore.Strike {
		return &contextstore.Strike{ID: id, Subject: subject, At: at, Kind: "rate", Rule: "messages_per_conversation",
			ConversationID: "c1", Details: map[string]string{"action": "throttle"}}
	}
	t.Run("AddListClear", func(t *testing.T) {
		s := newStore(t)
		list, err := s.ListStrikes(ctx, "ip:none", time.Time{})
		noErr(t, "listing an unknown subject", err)
		if len(list) != 0 {
			t.Fatalf("unknown subject: got %d strikes, want none", len(list))
		}
		// Added out of order, with a tie: listed by time, then id.
		noErr(t, "add b", s.AddStrike(ctx, strike("ip:h1", "b", t0.Add(time.Minute)), keep))
		noErr(t, "add a", s.AddStrike(ctx, strike("ip:h1", "a", t0), keep))
		noErr(t, "add c", s.AddStrike(ctx, strike("ip:h1", "c", t0.Add(time.Minute)), keep))
		noErr(t, "add other subject", s.AddStrike(ctx, strike("user:u1", "a", t0), keep))
		// The same id again stores nothing, even with other fields.
		dup := strike("ip:h1", "a", t0.Add(2*time.Minute))
		dup.Kind = "rule"
		noErr(t, "add a again", s.AddStrike(ctx, dup, keep))

		list, err = s.ListStrikes(ctx, "ip:h1", time.Time{})
		noErr(t, "list", err)
		sameIDs(t, "strikes of ip:h1", []string{"a", "b", "c"}, ids(list, strikeID))
		got := list[0]
		if !got.At.Equal(t0) || got.Kind != "rate" || got.Rule != "messages_per_conversation" || got.ConversationID != "c1" ||
			got.Subject != "ip:h1" || got.Details["action"] != "throttle" {
			t.Fatalf("strike round trip: got %+v", got)
		}
		list, err = s.ListStrikes(ctx, "ip:h1", t0.Add(time.Minute))
		noErr(t, "list since", err)
		sameIDs(t, "strikes since t0+1m (inclusive)", []string{"b", "c"}, ids(list, strikeID))
		list, err = s.ListStrikes(ctx, "ip:h1", t0.Add(time.Minute+time.Nanosecond))
		noErr(t, "list since", err)
		sameIDs(t, "strikes since t0+1m+1ns", []string{}, ids(list, strikeID))

		n, err := s.ClearStrikes(ctx, "ip:h1")
		noErr(t, "clear", err)
		if n != 3 {
			t.Fatalf("ClearStrikes: got %d, want 3", n)
		}
		list, _ = s.ListStrikes(ctx, "ip:h1", time.Time{})
		sameIDs(t, "strikes after clear", []string{}, ids(list, strikeID))
		list, _ = s.ListStrikes(ctx, "user:u1", time.Time{})
		sameIDs(t, "other subject after clear", []string{"a"}, ids(list, strikeID))
		n, err = s.ClearStrikes(ctx, "ip:h1")
		noErr(t, "clear again", err)
		if n != 0 {
			t.Fatalf("second ClearStrikes: got %d, want 0", n)
		}
		// A cleared id may be used again.
		noErr(t, "add a after clear", s.AddStrike(ctx, strike("ip:h1", "a", t0), keep))
		list, _ = s.ListStrikes(ctx, "ip:h1", time.Time{})
		sameIDs(t, "strikes after re-add", []string{"a"}, ids(list, strikeID))
	})
	t.Run("Decay", func(t *testing.T) {
		s := newStore(t)
		noErr(t, "add old", s.AddStrike(ctx, strike("conv:c1", "old", t0), time.Hour))
		noErr(t, "add mid", s.AddStrike(ctx, strike("conv:c1", "mid", t0.Add(30*time.Minute)), time.Hour))
		// An add an hour and a minute later forgets "old", keeps "mid".
		noErr(t, "add new", s.AddStrike(ctx, strike("conv:c1", "new", t0.Add(61*time.Minute)), time.Hour))
		list, err := s.ListStrikes(ctx, "conv:c1", time.Time{})
		noErr(t, "list", err)
		sameIDs(t, "strikes after decay", []string{"mid", "new"}, ids(list, strikeID))
		if err := s.AddStrike(ctx, strike("conv:c1", "x", t0), 0); err == nil {
			t.Fatal("AddStrike with keep 0: no error")
		}
	})
	t.Run("Cap", func(t *testing.T) {
		s := newStore(t)
		n := contextstore.MaxStrikesPerSubject + 5
		for i := range n {
			noErr(t, "add", s.AddStrike(ctx, strike("ip:flood", fmt.Sprintf("%05d", i), t0.Add(time.Duration(i)*time.Millisecond)), keep))
		}
		list, err := s.ListStrikes(ctx, "ip:flood", time.Time{})
		noErr(t, "list", err)
		if len(list) != contextstore.MaxStrikesPerSubject || list[0].ID != "00005" || list[len(list)-1].ID != fmt.Sprintf("%05d", n-1) {
			t.Fatalf("capped list: %d strikes from %s to %s, want %d from 00005", len(list), list[0].ID, list[len(list)-1].ID, contextstore.MaxStrikesPerSubject)
		}
	})
}
