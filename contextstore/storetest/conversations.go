package storetest

import (
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// sampleConversation returns a conversation with every field set (Version
// 0). Each call returns an independent value, so a test can keep one as
// the expectation and hand the other to the store.
func sampleConversation(id string) *contextstore.Conversation {
	return &contextstore.Conversation{
		ID: id,
		Info: contextstore.ConversationInfo{
			ConversationID:       id,
			Channel:              "livechat",
			StartedAt:            t0,
			VisitorIPCipher:      []byte{0x01, 0x2a, 0xfe, 0x00, 0x7f},
			VisitorIPHash:        "9f86d081884c7d65",
			Language:             "en",
			LiveChatBlockedUntil: tp(t0.Add(24 * time.Hour)),
			Blocked:              true,
			MarkedSpam:           true,
		},
		User: contextstore.ChatUser{UserID: "u-" + id, Name: "Ann Lee", Email: "ann@example.com", IsAuthenticated: true},
		Feedback: contextstore.AgentFeedback{
			AgentEmail: "agent@example.com", Block: true, ReasonCategory: "spam",
			Notes: "repeated links", BlockIntervalMinutes: 1440, Rating: 2,
		},
		Helpdesk: contextstore.HelpdeskClient{
			IsBlockedForLiveChat: true, IsOutsideWorkingHours: true, InQueue: true,
			AgentConnected: true, AgentEmail: "agent@example.com", Queue: "support",
		},
		Vars: map[string]any{
			"Name":    "Ann",
			"Count":   3.0,
			"Ok":      true,
			"Nothing": nil,
			"Nested":  map[string]any{"list": []any{"a", 1.5, false}, "inner": map[string]any{"k": "v"}},
		},
		Pins:   map[string]int{"main": 3, "unblock": 1},
		Cursor: &contextstore.Cursor{FlowID: "main", Version: 3, StepID: "ask-email"},
		Ended:  false,
		Transcript: []contextstore.Message{
			{At: t0, From: "user", Text: "hello"},
			{At: t0.Add(time.Second), From: "bot", Text: "hi, how can I help?"},
		},
		Processed: []contextstore.ProcessedEvent{
			{Key: "msg-1", Replies: []string{"hi, how can I help?"}, At: t0},
			{Key: "msg-2"},
			{Key: "msg-3", Replies: []string{"one", "two"}, At: t0.Add(time.Second)},
		},
		Sanctions: []string{"blk-1", "blk-2"},
		CreatedAt: t0,
		UpdatedAt: t0.Add(time.Second),
	}
}

// withVersion returns c with Version set, for comparisons.
func withVersion(c *contextstore.Conversation, v int64) *contextstore.Conversation {
	c.Version = v
	return c
}

// mutateConversation changes every map, slice and pointer reachable from c
// in place (without replacing them), to show that the store shares none.
func mutateConversation(c *contextstore.Conversation) {
	*c.Info.LiveChatBlockedUntil = t0.Add(-time.Hour)
	c.Vars["Name"] = "Mallory"
	c.Vars["Added"] = "x"
	nested := c.Vars["Nested"].(map[string]any)
	nested["list"].([]any)[0] = "changed"
	nested["inner"].(map[string]any)["k"] = "changed"
	nested["new"] = 1.0
	c.Pins["main"] = 99
	c.Pins["other"] = 1
	c.Cursor.StepID = "changed"
	c.Transcript[0].Text = "changed"
	c.Transcript = append(c.Transcript[:1], contextstore.Message{Text: "appended"})
	c.Processed[0].Replies[0] = "changed"
	c.Processed[2].Replies = append(c.Processed[2].Replies[:1], "appended")
	c.Processed[1].Key = "changed"
}

func mustPutConversation(t *testing.T, s contextstore.Store, c *contextstore.Conversation) {
	t.Helper()
	noErr(t, "PutConversation "+c.ID, s.PutConversation(t.Context(), c))
}

func mustGetConversation(t *testing.T, s contextstore.Store, id string) *contextstore.Conversation {
	t.Helper()
	c, err := s.GetConversation(t.Context(), id)
	noErr(t, "GetConversation "+id, err)
	if c == nil {
		t.Fatalf("GetConversation %s returned nil without an error", id)
	}
	return c
}

func testConversations(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("CreateSetsVersionOne", func(t *testing.T) {
		s := newStore(t)
		c := sampleConversation("c1")
		mustPutConversation(t, s, c)
		if c.Version != 1 {
			t.Fatalf("Version after create = %d, want 1", c.Version)
		}
		got := mustGetConversation(t, s, "c1")
		requireEqual(t, "conversation", withVersion(sampleConversation("c1"), 1), got)
	})

	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		s := newStore(t)
		got, err := s.GetConversation(t.Context(), "nope")
		wantErr(t, "GetConversation of a missing id", err, contextstore.ErrNotFound)
		if got != nil {
			t.Fatalf("GetConversation of a missing id returned %+v with its error", got)
		}
	})

	t.Run("GetReturnsIndependentCopy", func(t *testing.T) {
		s := newStore(t)
		mustPutConversation(t, s, sampleConversation("c1"))
		first := mustGetConversation(t, s, "c1")
		mutateConversation(first)
		first.User.Name = "changed"
		requireEqual(t, "conversation after mutating a returned copy",
			withVersion(sampleConversation("c1"), 1), mustGetConversation(t, s, "c1"))
	})

	t.Run("PutDoesNotRetainCallerValue", func(t *testing.T) {
		s := newStore(t)
		c := sampleConversation("c1")
		mustPutConversation(t, s, c)
		mutateConversation(c)
		requireEqual(t, "conversation after mutating the value that was put",
			withVersion(sampleConversation("c1"), 1), mustGetConversation(t, s, "c1"))

		// The same holds for an update.
		u := mustGetConversation(t, s, "c1")
		u.Vars["Step"] = "two"
		mustPutConversation(t, s, u)
		mutateConversation(u)
		want := withVersion(sampleConversation("c1"), 2)
		want.Vars["Step"] = "two"
		requireEqual(t, "conversation after mutating an updated value", want, mustGetConversation(t, s, "c1"))
	})

	t.Run("UpdateWithCurrentVersion", func(t *testing.T) {
		s := newStore(t)
		mustPutConversation(t, s, sampleConversation("c1"))
		c := mustGetConversation(t, s, "c1")
		c.Vars["Count"] = 4.0
		c.Info.LiveChatBlockedUntil = nil
		c.Cursor = nil
		c.Ended = true
		mustPutConversation(t, s, c)
		if c.Version != 2 {
			t.Fatalf("Version after update = %d, want 2", c.Version)
		}
		want := withVersion(sampleConversation("c1"), 2)
		want.Vars["Count"] = 4.0
		want.Info.LiveChatBlockedUntil = nil
		want.Cursor = nil
		want.Ended = true
		requireEqual(t, "updated conversation", want, mustGetConversation(t, s, "c1"))

		mustPutConversation(t, s, c)
		if c.Version != 3 {
			t.Fatalf("Version after second update = %d, want 3", c.Version)
		}
		if got := mustGetConversation(t, s, "c1").Version; got != 3 {
			t.Fatalf("stored Version = %d, want 3", got)
		}
	})

	t.Run("StaleVersionConflicts", func(t *testing.T) {
		s := newStore(t)
		mustPutConversation(t, s, sampleConversation("c1"))
		a := mustGetConversation(t, s, "c1")
		b := mustGetConversation(t, s, "c1")
		a.Vars["Winner"] = "a"
		mustPutConversation(t, s, a)
		b.Vars["Winner"] = "b"
		wantErr(t, "PutConversation at a stale version", s.PutConversation(t.Context(), b), contextstore.ErrVersionConflict)
		if b.Version != 1 {
			t.Fatalf("a failed put changed the caller's Version to %d, want 1", b.Version)
		}
		want := withVersion(sampleConversation("c1"), 2)
		want.Vars["Winner"] = "a"
		requireEqual(t, "conversation after a lost race", want, mustGetConversation(t, s, "c1"))

		// A version from the future conflicts too.
		b.Version = 7
		wantErr(t, "PutConversation at a future version", s.PutConversation(t.Context(), b), contextstore.ErrVersionConflict)
		requireEqual(t, "conversation after a put at a future version", want, mustGetConversation(t, s, "c1"))
	})

	t.Run("CreateWhenExistsConflicts", func(t *testing.T) {
		s := newStore(t)
		mustPutConversation(t, s, sampleConversation("c1"))
		other := &contextstore.Conversation{ID: "c1", Vars: map[string]any{"x": "y"}}
		wantErr(t, "PutConversation with Version 0 over an existing one", s.PutConversation(t.Context(), other), contextstore.ErrVersionConflict)
		if other.Version != 0 {
			t.Fatalf("a failed create changed the caller's Version to %d", other.Version)
		}
		requireEqual(t, "conversation after a conflicting create", withVersion(sampleConversation("c1"), 1), mustGetConversation(t, s, "c1"))
	})

	t.Run("PutMissingAtVersionConflicts", func(t *testing.T) {
		s := newStore(t)
		c := sampleConversation("c1")
		c.Version = 3
		wantErr(t, "PutConversation of a missing id at Version 3", s.PutConversation(t.Context(), c), contextstore.ErrVersionConflict)
		_, err := s.GetConversation(t.Context(), "c1")
		wantErr(t, "GetConversation after the failed put", err, contextstore.ErrNotFound)
	})

	t.Run("EmptyIDRejected", func(t *testing.T) {
		s := newStore(t)
		c := sampleConversation("")
		if err := s.PutConversation(t.Context(), c); err == nil {
			t.Fatal("PutConversation with an empty ID succeeded")
		}
		if c.Version != 0 {
			t.Fatalf("a rejected put changed the caller's Version to %d", c.Version)
		}
		all, err := s.ListConversations(t.Context(), contextstore.ConversationFilter{})
		noErr(t, "ListConversations", err)
		if len(all) != 0 {
			t.Fatalf("a rejected put stored %q", ids(all, convID))
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		mustPutConversation(t, s, sampleConversation("c1"))
		mustPutConversation(t, s, sampleConversation("c2"))
		noErr(t, "DeleteConversation c1", s.DeleteConversation(ctx, "c1"))
		_, err := s.GetConversation(ctx, "c1")
		wantErr(t, "GetConversation after delete", err, contextstore.ErrNotFound)
		noErr(t, "DeleteConversation of a deleted id", s.DeleteConversation(ctx, "c1"))
		noErr(t, "DeleteConversation of an id never stored", s.DeleteConversation(ctx, "never"))
		requireEqual(t, "the other conversation", withVersion(sampleConversation("c2"), 1), mustGetConversation(t, s, "c2"))
		all, err := s.ListConversations(ctx, contextstore.ConversationFilter{})
		noErr(t, "ListConversations", err)
		sameIDs(t, "conversations after delete", []string{"c2"}, ids(all, convID))

		// A deleted conversation can be created again, from Version 0.
		again := sampleConversation("c1")
		again.Vars = map[string]any{"fresh": true}
		mustPutConversation(t, s, again)
		if again.Version != 1 {
			t.Fatalf("Version of a re-created conversation = %d, want 1", again.Version)
		}
		want := withVersion(sampleConversation("c1"), 1)
		want.Vars = map[string]any{"fresh": true}
		requireEqual(t, "re-created conversation", want, mustGetConversation(t, s, "c1"))
	})

	t.Run("List", func(t *testing.T) { testListConversations(t, newStore) })
}

func testListConversations(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	// Six conversations, stored out of id order.
	type spec struct {
		id      string
		user    string
		blocked bool
	}
	specs := []spec{
		{"c05", "u1", true}, {"c02", "u2", false}, {"c10", "u1", false},
		{"c01", "u1", false}, {"c04", "u2", true}, {"c03", "", true},
	}
	build := func(sp spec) *contextstore.Conversation {
		c := sampleConversation(sp.id)
		c.User.UserID = sp.user
		c.User.IsAuthenticated = sp.user != ""
		c.Info.Blocked = sp.blocked
		return c
	}
	setup := func(t *testing.T) contextstore.Store {
		s := newStore(t)
		for _, sp := range specs {
			mustPutConversation(t, s, build(sp))
		}
		// Give c04 a second version, so lists must return the current one.
		c := mustGetConversation(t, s, "c04")
		c.Vars["Updated"] = true
		mustPutConversation(t, s, c)
		return s
	}
	yes, no := true, false

	t.Run("AllInIDOrderWithContent", func(t *testing.T) {
		s := setup(t)
		all, err := s.ListConversations(t.Context(), contextstore.ConversationFilter{})
		noErr(t, "ListConversations", err)
		sameIDs(t, "all conversations", []string{"c01", "c02", "c03", "c04", "c05", "c10"}, ids(all, convID))
		for _, sp := range specs {
			want := withVersion(build(sp), 1)
			if sp.id == "c04" {
				want = withVersion(want, 2)
				want.Vars["Updated"] = true
			}
			for _, got := range all {
				if got.ID == sp.id {
					requireEqual(t, "listed conversation "+sp.id, want, got)
				}
			}
		}
	})

	cases := []struct {
		name string
		f    contextstore.ConversationFilter
		want []string
	}{
		{"Blocked", contextstore.ConversationFilter{Blocked: &yes}, []string{"c03", "c04", "c05"}},
		{"NotBlocked", contextstore.ConversationFilter{Blocked: &no}, []string{"c01", "c02", "c10"}},
		{"UserID", contextstore.ConversationFilter{UserID: "u1"}, []string{"c01", "c05", "c10"}},
		{"UserIDAndBlocked", contextstore.ConversationFilter{UserID: "u1", Blocked: &yes}, []string{"c05"}},
		{"UnknownUser", contextstore.ConversationFilter{UserID: "nobody"}, nil},
		{"Limit", contextstore.ConversationFilter{Limit: 2}, []string{"c01", "c02"}},
		{"After", contextstore.ConversationFilter{After: "c03"}, []string{"c04", "c05", "c10"}},
		{"AfterAbsentID", contextstore.ConversationFilter{After: "c035"}, []string{"c04", "c05", "c10"}},
		{"AfterLast", contextstore.ConversationFilter{After: "c10"}, nil},
		{"AfterWithLimitAndFilter", contextstore.ConversationFilter{After: "c03", Limit: 1, Blocked: &yes}, []string{"c04"}},
		{"LimitCountsMatchesOnly", contextstore.ConversationFilter{Limit: 2, Blocked: &yes}, []string{"c03", "c04"}},
	}
	t.Run("Filters", func(t *testing.T) {
		s := setup(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListConversations(t.Context(), tc.f)
				noErr(t, "ListConversations", err)
				sameIDs(t, "ListConversations", tc.want, ids(got, convID))
			})
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		s := setup(t)
		var seen []string
		var sizes []int
		after := ""
		for range 10 {
			page, err := s.ListConversations(t.Context(), contextstore.ConversationFilter{Limit: 4, After: after})
			noErr(t, "ListConversations page", err)
			if len(page) == 0 {
				break
			}
			sizes = append(sizes, len(page))
			seen = append(seen, ids(page, convID)...)
			after = page[len(page)-1].ID
		}
		sameIDs(t, "conversations paged by 4", []string{"c01", "c02", "c03", "c04", "c05", "c10"}, seen)
		if len(sizes) != 2 || sizes[0] != 4 || sizes[1] != 2 {
			t.Fatalf("page sizes = %v, want [4 2]", sizes)
		}
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		s := setup(t)
		all, err := s.ListConversations(t.Context(), contextstore.ConversationFilter{UserID: "u2"})
		noErr(t, "ListConversations", err)
		for _, c := range all {
			mutateConversation(c)
		}
		requireEqual(t, "conversation after mutating a listed copy", withVersion(build(specs[1]), 1), mustGetConversation(t, s, "c02"))
	})
}
