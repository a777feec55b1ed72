package memory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/contextstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) contextstore.Store {
		s := memory.New()
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

var t0 = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

func put(t *testing.T, s *memory.Store, c *contextstore.Conversation) {
	t.Helper()
	if err := s.PutConversation(t.Context(), c); err != nil {
		t.Fatalf("PutConversation: %v", err)
	}
}

func get(t *testing.T, s *memory.Store, id string) *contextstore.Conversation {
	t.Helper()
	c, err := s.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatalf("GetConversation: %v", err)
	}
	return c
}

func TestUnstorableVariableErrorNamesThePath(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]any
		want string
	}{
		{"top", map[string]any{"x": math.NaN()},
			`putting conversation "c1": variable Vars["x"]: number NaN cannot be stored (JSON has no NaN or infinity)`},
		{"nested", map[string]any{"order": map[string]any{"items": []any{1.0, math.Inf(-1)}}},
			`putting conversation "c1": variable Vars["order"]["items"][1]: number -Inf cannot be stored (JSON has no NaN or infinity)`},
		{"float32", map[string]any{"f": []any{float32(math.Inf(1))}},
			`putting conversation "c1": variable Vars["f"][0]: number +Inf cannot be stored (JSON has no NaN or infinity)`},
		{"channel", map[string]any{"ch": map[string]any{"c": make(chan int)}},
			`putting conversation "c1": variable Vars["ch"]["c"]: a chan int cannot be stored: json: unsupported type: chan int`},
		{"badNumber", map[string]any{"n": []any{"ok", "x", map[string]any{"k": json.Number("1e999x")}}},
			`putting conversation "c1": variable Vars["n"][2]["k"]: json.Number "1e999x" cannot be stored: strconv.ParseFloat: parsing "1e999x": invalid syntax`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := memory.New()
			err := s.PutConversation(t.Context(), &contextstore.Conversation{ID: "c1", Vars: tc.vars})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestVarsNormalization(t *testing.T) {
	s := memory.New()
	type point struct {
		X, Y int
	}
	put(t, s, &contextstore.Conversation{ID: "c1", Vars: map[string]any{
		"struct":  point{1, 2},
		"ptr":     &point{3, 4},
		"times":   []time.Time{t0}, // a typed slice goes through JSON: times become strings
		"number":  json.Number("12.5"),
		"float32": float32(0.1),
		"nilMap":  map[string]any(nil),
		"nilList": []any(nil),
	}})
	got := get(t, s, "c1").Vars
	want := map[string]any{
		"struct":  map[string]any{"X": 1.0, "Y": 2.0},
		"ptr":     map[string]any{"X": 3.0, "Y": 4.0},
		"times":   []any{"2026-01-02T12:00:00Z"},
		"number":  12.5,
		"float32": 0.1, // as JSON writes a float32: "0.1", not 0.10000000149011612
		"nilMap":  nil,
		"nilList": nil,
	}
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Fatalf("Vars:\n got %#v\nwant %#v", got, want)
	}
}

func TestTimesLoseMonotonicReading(t *testing.T) {
	s := memory.New()
	now := time.Now() // has a monotonic reading
	if !strings.Contains(now.String(), "m=") {
		t.Skip("this platform's clock has no monotonic reading")
	}
	put(t, s, &contextstore.Conversation{ID: "c1", CreatedAt: now, Vars: map[string]any{"at": now, "ptr": &now, "list": []any{now}},
		Transcript: []contextstore.Message{{At: now}}, Info: contextstore.ConversationInfo{StartedAt: now, LiveChatBlockedUntil: &now}})
	c := get(t, s, "c1")
	for name, tm := range map[string]time.Time{
		"CreatedAt": c.CreatedAt, "Vars[at]": c.Vars["at"].(time.Time), "Vars[ptr]": *c.Vars["ptr"].(*time.Time),
		"Vars[list][0]": c.Vars["list"].([]any)[0].(time.Time), "Transcript[0].At": c.Transcript[0].At,
		"Info.StartedAt": c.Info.StartedAt, "Info.LiveChatBlockedUntil": *c.Info.LiveChatBlockedUntil,
	} {
		if strings.Contains(tm.String(), "m=") || !tm.Equal(now) {
			t.Errorf("%s = %s, want %s without a monotonic reading", name, tm, now.Round(0))
		}
	}
}

// TestUpdatesShareOnlyWhatIsIdentical checks the sharing of unchanged parts
// between a record and the one that replaces it: a value is only reused when
// it is identical, and no copy handed out aliases a stored one.
func TestUpdatesShareOnlyWhatIsIdentical(t *testing.T) {
	s := memory.New()
	zone := time.FixedZone("CEST", 2*3600)
	put(t, s, &contextstore.Conversation{ID: "c1",
		Vars: map[string]any{"order": map[string]any{"total": 42.5, "items": []any{"a", "b"}}, "zero": 0.0, "at": t0, "name": "Ann"},
		Pins: map[string]int{"main": 1}, Transcript: []contextstore.Message{{At: t0, Text: "hi"}},
	})

	// Only "name" changes: "order" may be shared with the old record.
	a := get(t, s, "c1")
	a.Vars["name"] = "Bob"
	put(t, s, a)
	b := get(t, s, "c1")
	b.Vars["order"].(map[string]any)["total"] = 1.0
	b.Vars["order"].(map[string]any)["items"].([]any)[0] = "changed"
	b.Pins["main"] = 9
	b.Transcript[0].Text = "changed"
	if c := get(t, s, "c1"); c.Vars["order"].(map[string]any)["total"] != 42.5 ||
		c.Vars["order"].(map[string]any)["items"].([]any)[0] != "a" || c.Pins["main"] != 1 ||
		c.Transcript[0].Text != "hi" || c.Vars["name"] != "Bob" {
		t.Fatalf("a copy aliased the stored record: %+v", c)
	}

	// The caller's copy still works as its own: a change to it is stored.
	a.Vars["order"].(map[string]any)["total"] = 7.0
	put(t, s, a)
	if c := get(t, s, "c1"); c.Vars["order"].(map[string]any)["total"] != 7.0 {
		t.Fatalf("an in-place change to a nested map was not stored: %v", c.Vars["order"])
	}

	// Equal is not identical: -0 is not 0, and a time in another Location
	// is stored with that Location.
	c := get(t, s, "c1")
	c.Vars["zero"] = math.Copysign(0, -1)
	c.Vars["at"] = t0.In(zone)
	put(t, s, c)
	d := get(t, s, "c1")
	if z := d.Vars["zero"].(float64); !math.Signbit(z) {
		t.Errorf("-0 came back as %v", z)
	}
	if at := d.Vars["at"].(time.Time); at.Location() != zone {
		t.Errorf("time came back in %v, want %v", at.Location(), zone)
	}
}

// TestProcessedCopies checks the Processed copies in both layouts: inline
// in the record (few events) and on the heap (many).
func TestProcessedCopies(t *testing.T) {
	for _, n := range []int{3, 40} {
		t.Run(fmt.Sprint(n, "events"), func(t *testing.T) {
			s := memory.New()
			build := func() *contextstore.Conversation {
				c := &contextstore.Conversation{ID: "c1"}
				for i := range n {
					c.Processed = append(c.Processed, contextstore.ProcessedEvent{Key: fmt.Sprint("k", i), Replies: []string{fmt.Sprint("r", i)}})
				}
				c.Processed[1].Replies = nil
				c.Processed[2].Replies = []string{}
				return c
			}
			put(t, s, build())
			c := get(t, s, "c1")
			// Appending to one event's replies must not overwrite the next.
			c.Processed[0].Replies = append(c.Processed[0].Replies, "extra")
			c.Processed[2].Replies = append(c.Processed[2].Replies, "extra")
			if n > 3 && c.Processed[3].Replies[0] != "r3" {
				t.Fatalf("an append overwrote the next event's reply: %q", c.Processed[3].Replies)
			}
			// Appending to the events (into spare capacity) must not reach
			// the store or another copy.
			other := get(t, s, "c1")
			c.Processed = append(c.Processed, contextstore.ProcessedEvent{Key: "new"})
			other.Processed = append(other.Processed, contextstore.ProcessedEvent{Key: "other"})
			if c.Processed[n].Key != "new" {
				t.Fatalf("two copies share their spare capacity")
			}
			want := build()
			want.Version = 1
			got := get(t, s, "c1")
			if fmt.Sprintf("%#v", got.Processed) != fmt.Sprintf("%#v", want.Processed) {
				t.Fatalf("Processed:\n got %#v\nwant %#v", got.Processed, want.Processed)
			}
			if got.Processed[1].Replies != nil || got.Processed[2].Replies == nil {
				t.Fatalf("nil and empty Replies were not kept apart: %#v", got.Processed[:3])
			}
		})
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s := memory.New()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := t.Context()
	calls := map[string]func() error{
		"Ping":               func() error { return s.Ping(ctx) },
		"GetConversation":    func() error { _, err := s.GetConversation(ctx, "c"); return err },
		"PutConversation":    func() error { return s.PutConversation(ctx, &contextstore.Conversation{ID: "c"}) },
		"DeleteConversation": func() error { return s.DeleteConversation(ctx, "c") },
		"ListConversations":  func() error { _, err := s.ListConversations(ctx, contextstore.ConversationFilter{}); return err },
		"GetActivity":        func() error { _, err := s.GetActivity(ctx, "u"); return err },
		"PutActivity":        func() error { return s.PutActivity(ctx, &contextstore.ChatActivityData{UserID: "u"}) },
		"CreateBlock":        func() error { return s.CreateBlock(ctx, &contextstore.Block{ID: "b"}) },
		"GetBlock":           func() error { _, err := s.GetBlock(ctx, "b"); return err },
		"UpdateBlock":        func() error { return s.UpdateBlock(ctx, &contextstore.Block{ID: "b"}) },
		"DeleteBlock":        func() error { return s.DeleteBlock(ctx, "b") },
		"ListBlocks":         func() error { _, err := s.ListBlocks(ctx, contextstore.BlockQuery{}); return err },
		"BansVersion":        func() error { _, err := s.BansVersion(ctx); return err },
		"AppendAudit":        func() error { return s.AppendAudit(ctx, &contextstore.AuditEvent{}) },
		"ListAudit":          func() error { _, err := s.ListAudit(ctx, contextstore.AuditQuery{}); return err },
		"Enqueue":            func() error { return s.Enqueue(ctx, contextstore.QueueEntry{Queue: "q", ConversationID: "c"}) },
		"Dequeue":            func() error { _, err := s.Dequeue(ctx, "q"); return err },
		"RemoveFromQueue":    func() error { return s.RemoveFromQueue(ctx, "q", "c") },
		"ListQueue":          func() error { _, err := s.ListQueue(ctx, "q"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, contextstore.ErrUnavailable) {
				t.Fatalf("got %v, want an error wrapping ErrUnavailable", err)
			}
		})
	}
	if err := s.Ping(ctx); err == nil || err.Error() != "ping: memory store closed: store unavailable" {
		t.Errorf("Ping error text: %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	s := memory.New()
	put(t, s, &contextstore.Conversation{ID: "c1"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.GetConversation(ctx, "c1"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetConversation: %v, want context.Canceled", err)
	}
	c := &contextstore.Conversation{ID: "c1", Version: 1}
	if err := s.PutConversation(ctx, c); !errors.Is(err, context.Canceled) || c.Version != 1 {
		t.Errorf("PutConversation: %v (Version %d), want context.Canceled and no write", err, c.Version)
	}
	if got := get(t, s, "c1"); got.Version != 1 {
		t.Errorf("Version after a cancelled put = %d, want 1", got.Version)
	}
}
