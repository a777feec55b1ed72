package storetest

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

func testRoundTrip(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("Times", func(t *testing.T) {
		s := newStore(t)
		nanos := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
		zone := time.Date(2026, 3, 4, 7, 6, 7, 1, time.FixedZone("CEST", 2*3600))
		c := &contextstore.Conversation{
			ID: "c1",
			Info: contextstore.ConversationInfo{
				StartedAt:            nanos,
				LiveChatBlockedUntil: tp(zone),
			},
			Transcript: []contextstore.Message{{At: nanos.Add(time.Nanosecond), Text: "x"}, {Text: "zero time"}},
			CreatedAt:  zone,
			UpdatedAt:  time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		}
		mustPutConversation(t, s, c)
		got := mustGetConversation(t, s, "c1")
		checks := []struct {
			name      string
			want, got time.Time
		}{
			{"Info.StartedAt (nanoseconds)", nanos, got.Info.StartedAt},
			{"Transcript[0].At", nanos.Add(time.Nanosecond), got.Transcript[0].At},
			{"Transcript[1].At (zero)", time.Time{}, got.Transcript[1].At},
			{"CreatedAt (+02:00)", zone, got.CreatedAt},
			{"UpdatedAt (year 9999)", c.UpdatedAt, got.UpdatedAt},
		}
		for _, ck := range checks {
			if !ck.want.Equal(ck.got) {
				t.Errorf("%s = %s, want %s", ck.name, ck.got.Format(time.RFC3339Nano), ck.want.Format(time.RFC3339Nano))
			}
		}
		if !got.Transcript[1].At.IsZero() {
			t.Errorf("a zero time came back as %v", got.Transcript[1].At)
		}
		if u := got.Info.LiveChatBlockedUntil; u == nil || !u.Equal(zone) {
			t.Errorf("LiveChatBlockedUntil = %v, want %v", u, zone)
		}
	})

	t.Run("NilVersusSetTimePointer", func(t *testing.T) {
		s := newStore(t)
		unset := &contextstore.Conversation{ID: "unset"}
		set := &contextstore.Conversation{ID: "set", Info: contextstore.ConversationInfo{LiveChatBlockedUntil: tp(t0)}}
		zero := &contextstore.Conversation{ID: "zero", Info: contextstore.ConversationInfo{LiveChatBlockedUntil: tp(time.Time{})}}
		for _, c := range []*contextstore.Conversation{unset, set, zero} {
			mustPutConversation(t, s, c)
		}
		if u := mustGetConversation(t, s, "unset").Info.LiveChatBlockedUntil; u != nil {
			t.Errorf("nil LiveChatBlockedUntil came back as %v", *u)
		}
		if u := mustGetConversation(t, s, "set").Info.LiveChatBlockedUntil; u == nil || !u.Equal(t0) {
			t.Errorf("LiveChatBlockedUntil = %v, want %v", u, t0)
		}
		if u := mustGetConversation(t, s, "zero").Info.LiveChatBlockedUntil; u == nil || !u.IsZero() {
			t.Errorf("a pointer to the zero time came back as %v, want a non-nil zero time", u)
		}

		// Self-unblock: setting it back to nil is stored as nil.
		c := mustGetConversation(t, s, "set")
		c.Info.LiveChatBlockedUntil = nil
		mustPutConversation(t, s, c)
		if u := mustGetConversation(t, s, "set").Info.LiveChatBlockedUntil; u != nil {
			t.Errorf("LiveChatBlockedUntil set to nil came back as %v", *u)
		}
	})

	t.Run("Unicode", func(t *testing.T) {
		s := newStore(t)
		texts := []string{
			"👋🏽 hello 👨‍👩‍👧‍👦 🇺🇦",         // skin tone, ZWJ sequence, flag
			"مرحبا بك في الدردشة",         // Arabic (RTL)
			"שלום עולם",                   // Hebrew (RTL)
			"你好，世界。こんにちは。안녕하세요",           // CJK
			"e\u0301 \u200f\u202e mixed",  // combining mark, RTL marks
			"quotes \" \\ </script> \t\n", // JSON and HTML specials
			"nul\x00byte",
		}
		build := func() *contextstore.Conversation {
			c := &contextstore.Conversation{ID: "会话-👋", Vars: map[string]any{}}
			for i, txt := range texts {
				c.Transcript = append(c.Transcript, contextstore.Message{At: t0, From: "user", Text: txt})
				c.Vars[txt] = texts[len(texts)-1-i]
			}
			c.User.Name = texts[1]
			c.Processed = []contextstore.ProcessedEvent{{Key: texts[0], Replies: []string{texts[2], texts[3]}}}
			return c
		}
		mustPutConversation(t, s, build())
		requireEqual(t, "unicode conversation", withVersion(build(), 1), mustGetConversation(t, s, "会话-👋"))
		all, err := s.ListConversations(t.Context(), contextstore.ConversationFilter{})
		noErr(t, "ListConversations", err)
		sameIDs(t, "listed unicode id", []string{"会话-👋"}, ids(all, convID))
	})

	t.Run("LargeValue", func(t *testing.T) {
		s := newStore(t)
		big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
		big = "é" + big[2:] + "👋"
		c := &contextstore.Conversation{ID: "big", Vars: map[string]any{"big": big, "small": "x"}}
		mustPutConversation(t, s, c)
		got := mustGetConversation(t, s, "big")
		if g, _ := got.Vars["big"].(string); g != big {
			t.Fatalf("a %d-byte string came back with %d bytes (or changed)", len(big), len(g))
		}
		if got.Vars["small"] != "x" {
			t.Fatalf("Vars[small] = %#v", got.Vars["small"])
		}
	})

	t.Run("NestedVars", func(t *testing.T) {
		s := newStore(t)
		vars := func() map[string]any {
			return map[string]any{
				"s": "text", "empty": "", "f": 2.5, "neg": -17.0, "whole": 42.0,
				"huge": 1e300, "tiny": 5e-324, "t": true, "false": false, "nil": nil,
				"list":      []any{"a", 1.0, true, nil, []any{"deep", []any{}}, map[string]any{"k": "v"}},
				"map":       map[string]any{"a": map[string]any{"b": map[string]any{"c": []any{1.0, 2.0}}}, "n": nil},
				"emptyMap":  map[string]any{},
				"emptyList": []any{},
			}
		}
		c := &contextstore.Conversation{ID: "c1", Vars: vars()}
		mustPutConversation(t, s, c)
		got := mustGetConversation(t, s, "c1")
		requireEqual(t, "Vars", vars(), got.Vars)
		if _, ok := got.Vars["nil"]; !ok {
			t.Errorf("a key holding nil was dropped")
		}
		if _, ok := got.Vars["emptyMap"].(map[string]any); !ok {
			t.Errorf("an empty map came back as %#v", got.Vars["emptyMap"])
		}
		if _, ok := got.Vars["emptyList"].([]any); !ok {
			t.Errorf("an empty list came back as %#v", got.Vars["emptyList"])
		}
	})

	t.Run("TimeVars", func(t *testing.T) {
		s := newStore(t)
		at := time.Date(2026, 1, 2, 12, 30, 0, 123456789, time.UTC)
		vars := func() map[string]any {
			return map[string]any{
				"at":            at,
				"ptr":           tp(at.Add(time.Hour)),
				"nested":        map[string]any{"at": at, "list": []any{at, "not a time", at.Add(time.Minute)}},
				"looksLikeTime": "2026-01-02T12:30:00Z",
			}
		}
		mustPutConversation(t, s, &contextstore.Conversation{ID: "c1", Vars: vars()})
		got := mustGetConversation(t, s, "c1")
		requireEqual(t, "Vars with times", vars(), got.Vars)
		if _, ok := got.Vars["looksLikeTime"].(string); !ok {
			t.Errorf("a string that looks like a time came back as %T", got.Vars["looksLikeTime"])
		}
	})

	t.Run("VarsNormalizedLikeJSON", func(t *testing.T) {
		s := newStore(t)
		c := &contextstore.Conversation{ID: "c1", Vars: map[string]any{
			"int": 3, "int64": int64(-7), "uint8": uint8(200), "float32": float32(1.5),
			"strings": []string{"a", "b"},
			"strMap":  map[string]string{"k": "v"},
			"nilTime": (*time.Time)(nil),
			"nested":  map[string]any{"n": 2, "list": []any{1, int32(2)}},
		}}
		mustPutConversation(t, s, c)
		want := map[string]any{
			"int": 3.0, "int64": -7.0, "uint8": 200.0, "float32": 1.5,
			"strings": []any{"a", "b"},
			"strMap":  map[string]any{"k": "v"},
			"nilTime": nil,
			"nested":  map[string]any{"n": 2.0, "list": []any{1.0, 2.0}},
		}
		requireEqual(t, "normalized Vars", want, mustGetConversation(t, s, "c1").Vars)
	})

	t.Run("UnencodableVarsRejected", func(t *testing.T) {
		for name, bad := range map[string]any{
			"NaN":     math.NaN(),
			"Inf":     math.Inf(1),
			"nested":  map[string]any{"list": []any{math.Inf(-1)}},
			"channel": make(chan int),
			"func":    func() {},
		} {
			t.Run(name, func(t *testing.T) {
				s := newStore(t)
				ctx := t.Context()
				c := &contextstore.Conversation{ID: "new", Vars: map[string]any{"bad": bad}}
				if err := s.PutConversation(ctx, c); err == nil {
					t.Fatal("creating a conversation with an unencodable variable succeeded")
				}
				if c.Version != 0 {
					t.Fatalf("a failed put changed the caller's Version to %d", c.Version)
				}
				_, err := s.GetConversation(ctx, "new")
				wantErr(t, "GetConversation after a failed create", err, contextstore.ErrNotFound)

				mustPutConversation(t, s, &contextstore.Conversation{ID: "old", Vars: map[string]any{"ok": "yes"}})
				u := mustGetConversation(t, s, "old")
				u.Vars["bad"] = bad
				if err := s.PutConversation(ctx, u); err == nil {
					t.Fatal("updating a conversation with an unencodable variable succeeded")
				}
				if u.Version != 1 {
					t.Fatalf("a failed update changed the caller's Version to %d", u.Version)
				}
				requireEqual(t, "conversation after a failed update",
					&contextstore.Conversation{ID: "old", Version: 1, Vars: map[string]any{"ok": "yes"}},
					mustGetConversation(t, s, "old"))
			})
		}
	})

	t.Run("ProcessedAndPins", func(t *testing.T) {
		s := newStore(t)
		build := func() *contextstore.Conversation {
			return &contextstore.Conversation{
				ID:     "c1",
				Pins:   map[string]int{"main": 7, "agent_disconnected": 2, "unblock": 0},
				Cursor: &contextstore.Cursor{FlowID: "main", Version: 7, StepID: "ask"},
				Processed: []contextstore.ProcessedEvent{
					{Key: "evt-1", Replies: []string{"Hello!", "How can I help? 👋"}},
					{Key: "evt-2", Replies: []string{}},
					{Key: "evt-3"},
					{Key: "evt-4", Replies: []string{""}},
				},
			}
		}
		mustPutConversation(t, s, build())
		got := mustGetConversation(t, s, "c1")
		requireEqual(t, "Processed and Pins", withVersion(build(), 1), got)
		if v, ok := got.Pins["unblock"]; !ok || v != 0 {
			t.Errorf("Pins[unblock] = %d, %v; want 0, true", v, ok)
		}
		if len(got.Processed[3].Replies) != 1 || got.Processed[3].Replies[0] != "" {
			t.Errorf("an empty reply came back as %q", got.Processed[3].Replies)
		}
	})
}
