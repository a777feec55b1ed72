package storetest

import (
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

func sampleActivity(userID string) *contextstore.ChatActivityData {
	return &contextstore.ChatActivityData{
		UserID:                     userID,
		LiveChatBlockedUntil:       tp(t0.Add(24 * time.Hour)),
		LiveChatBlockedReason:      "abusive language 🤬",
		LiveChatBlockedAt:          tp(t0),
		LiveChatBlockedByAgentName: "agent@example.com",
	}
}

func mustGetActivity(t *testing.T, s contextstore.Store, userID string) *contextstore.ChatActivityData {
	t.Helper()
	d, err := s.GetActivity(t.Context(), userID)
	noErr(t, "GetActivity "+userID, err)
	if d == nil {
		t.Fatalf("GetActivity %s returned nil without an error", userID)
	}
	return d
}

func activityVersion(d *contextstore.ChatActivityData, v int64) *contextstore.ChatActivityData {
	d.Version = v
	return d
}

func testActivity(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		s := newStore(t)
		d, err := s.GetActivity(t.Context(), "nobody")
		wantErr(t, "GetActivity of a missing user", err, contextstore.ErrNotFound)
		if d != nil {
			t.Fatalf("GetActivity of a missing user returned %+v with its error", d)
		}
	})

	t.Run("CompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		d := sampleActivity("u1")
		noErr(t, "PutActivity (create)", s.PutActivity(ctx, d))
		if d.Version != 1 {
			t.Fatalf("Version after create = %d, want 1", d.Version)
		}
		requireEqual(t, "activity", activityVersion(sampleActivity("u1"), 1), mustGetActivity(t, s, "u1"))

		dup := &contextstore.ChatActivityData{UserID: "u1"}
		wantErr(t, "PutActivity with Version 0 over an existing one", s.PutActivity(ctx, dup), contextstore.ErrVersionConflict)
		if dup.Version != 0 {
			t.Fatalf("a failed create changed the caller's Version to %d", dup.Version)
		}

		a, b := mustGetActivity(t, s, "u1"), mustGetActivity(t, s, "u1")
		a.LiveChatBlockedUntil = nil // an admin unblocks
		a.LiveChatBlockedReason = ""
		noErr(t, "PutActivity (update)", s.PutActivity(ctx, a))
		if a.Version != 2 {
			t.Fatalf("Version after update = %d, want 2", a.Version)
		}
		b.LiveChatBlockedReason = "stale writer"
		wantErr(t, "PutActivity at a stale version", s.PutActivity(ctx, b), contextstore.ErrVersionConflict)
		if b.Version != 1 {
			t.Fatalf("a failed put changed the caller's Version to %d", b.Version)
		}
		want := activityVersion(sampleActivity("u1"), 2)
		want.LiveChatBlockedUntil = nil
		want.LiveChatBlockedReason = ""
		requireEqual(t, "activity after a lost race", want, mustGetActivity(t, s, "u1"))

		missing := sampleActivity("u2")
		missing.Version = 4
		wantErr(t, "PutActivity of a missing user at Version 4", s.PutActivity(ctx, missing), contextstore.ErrVersionConflict)
		_, err := s.GetActivity(ctx, "u2")
		wantErr(t, "GetActivity after the failed put", err, contextstore.ErrNotFound)
	})

	t.Run("IndependentCopies", func(t *testing.T) {
		s := newStore(t)
		d := sampleActivity("u1")
		noErr(t, "PutActivity", s.PutActivity(t.Context(), d))
		*d.LiveChatBlockedUntil = t0.Add(-time.Hour)
		*d.LiveChatBlockedAt = t0.Add(-time.Hour)
		d.LiveChatBlockedReason = "changed"
		got := mustGetActivity(t, s, "u1")
		requireEqual(t, "activity after mutating the value that was put", activityVersion(sampleActivity("u1"), 1), got)
		*got.LiveChatBlockedUntil = t0.Add(-time.Hour)
		*got.LiveChatBlockedAt = t0.Add(-time.Hour)
		requireEqual(t, "activity after mutating a returned copy", activityVersion(sampleActivity("u1"), 1), mustGetActivity(t, s, "u1"))
	})

	t.Run("NilTimesStayNil", func(t *testing.T) {
		s := newStore(t)
		noErr(t, "PutActivity", s.PutActivity(t.Context(), &contextstore.ChatActivityData{UserID: "u1"}))
		got := mustGetActivity(t, s, "u1")
		if got.LiveChatBlockedUntil != nil || got.LiveChatBlockedAt != nil {
			t.Fatalf("nil times came back as %v, %v", got.LiveChatBlockedUntil, got.LiveChatBlockedAt)
		}
		requireEqual(t, "empty activity", &contextstore.ChatActivityData{UserID: "u1", Version: 1}, got)
	})

	t.Run("UsersAreSeparate", func(t *testing.T) {
		s := newStore(t)
		noErr(t, "PutActivity u1", s.PutActivity(t.Context(), sampleActivity("u1")))
		noErr(t, "PutActivity u2", s.PutActivity(t.Context(), &contextstore.ChatActivityData{UserID: "u2"}))
		requireEqual(t, "activity u1", activityVersion(sampleActivity("u1"), 1), mustGetActivity(t, s, "u1"))
		requireEqual(t, "activity u2", &contextstore.ChatActivityData{UserID: "u2", Version: 1}, mustGetActivity(t, s, "u2"))
	})

	t.Run("EmptyUserIDRejected", func(t *testing.T) {
		s := newStore(t)
		d := sampleActivity("")
		if err := s.PutActivity(t.Context(), d); err == nil {
			t.Fatal("PutActivity with an empty UserID succeeded")
		}
		if d.Version != 0 {
			t.Fatalf("a rejected put changed the caller's Version to %d", d.Version)
		}
		_, err := s.GetActivity(t.Context(), "")
		wantErr(t, "GetActivity of the empty user id", err, contextstore.ErrNotFound)
	})
}
