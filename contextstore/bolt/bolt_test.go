package bolt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/clock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openAt opens a store at path and closes it when the test ends.
func openAt(t testing.TB, path string, o Options) *Store {
	t.Helper()
	s, err := Open(path, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func tempPath(t *testing.T) string { return filepath.Join(t.TempDir(), "data", "chatflow.db") }

func TestOpenCreatesDirectoryAndFilePrivate(t *testing.T) {
	path := tempPath(t)
	openAt(t, path, Options{})
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{{filepath.Dir(path), 0o700}, {path, 0o600}} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("%s: mode %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	if _, err := Open("", Options{}); err == nil || err.Error() != "opening bolt store: empty path" {
		t.Errorf("empty path: %v", err)
	}
	if _, err := Open(tempPath(t), Options{ConversationTTL: -time.Second}); err == nil || !strings.Contains(err.Error(), "negative conversation TTL -1s") {
		t.Errorf("negative TTL: %v", err)
	}
}

func TestOpenRejectsOtherSchema(t *testing.T) {
	path := tempPath(t)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaSchema), []byte("2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	want := "opening bolt store " + path + `: unsupported schema version "2" (this build reads 1)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestLockTimeout(t *testing.T) {
	path := tempPath(t)
	openAt(t, path, Options{})
	start := time.Now()
	_, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		t.Fatal("second Open succeeded while the file is locked")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("second Open took %s", took)
	}
	want := "opening bolt store " + path + ": store unavailable: the file is locked by another process (gave up after 100ms; is another chatflow serve using this data directory?)"
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	if !errors.Is(err, contextstore.ErrUnavailable) {
		t.Errorf("error does not wrap ErrUnavailable")
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s, err := Open(tempPath(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	calls := map[string]func() error{
		"Ping":            func() error { return s.Ping(ctx) },
		"GetConversation": func() error { _, err := s.GetConversation(ctx, "c"); return err },
		"PutConversation": func() error { return s.PutConversation(ctx, &contextstore.Conversation{ID: "c"}) },
		"DeleteConversation": func() error {
			return s.DeleteConversation(ctx, "c")
		},
		"ListConversations": func() error { _, err := s.ListConversations(ctx, contextstore.ConversationFilter{}); return err },
		"GetActivity":       func() error { _, err := s.GetActivity(ctx, "u"); return err },
		"PutActivity":       func() error { return s.PutActivity(ctx, &contextstore.ChatActivityData{UserID: "u"}) },
		"CreateBlock":       func() error { return s.CreateBlock(ctx, &contextstore.Block{ID: "b"}) },
		"GetBlock":          func() error { _, err := s.GetBlock(ctx, "b"); return err },
		"UpdateBlock":       func() error { return s.UpdateBlock(ctx, &contextstore.Block{ID: "b"}) },
		"DeleteBlock":       func() error { return s.DeleteBlock(ctx, "b") },
		"ListBlocks":        func() error { _, err := s.ListBlocks(ctx, contextstore.BlockQuery{}); return err },
		"BansVersion":       func() error { _, err := s.BansVersion(ctx); return err },
		"AppendAudit":       func() error { return s.AppendAudit(ctx, &contextstore.AuditEvent{}) },
		"ListAudit":         func() error { _, err := s.ListAudit(ctx, contextstore.AuditQuery{}); return err },
		"Enqueue":           func() error { return s.Enqueue(ctx, contextstore.QueueEntry{Queue: "q", ConversationID: "c"}) },
		"Dequeue":           func() error { _, err := s.Dequeue(ctx, "q"); return err },
		"RemoveFromQueue":   func() error { return s.RemoveFromQueue(ctx, "q", "c") },
		"ListQueue":         func() error { _, err := s.ListQueue(ctx, "q"); return err },
		"Sweep":             func() error { _, err := s.Sweep(ctx); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if name == "Sweep" {
				return // TTL is 0: Sweep does nothing, even when closed
			}
			if !errors.Is(err, contextstore.ErrUnavailable) {
				t.Fatalf("got %v, want an error wrapping ErrUnavailable", err)
			}
		})
	}
	if err := s.Ping(ctx); err == nil || err.Error() != "ping: store unavailable: database not open" {
		t.Errorf("Ping error text: %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.PutConversation(ctx, &contextstore.Conversation{ID: "c"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PutConversation: %v, want context.Canceled", err)
	}
	if _, err := s.GetConversation(t.Context(), "c"); !errors.Is(err, contextstore.ErrNotFound) {
		t.Errorf("a cancelled put stored something: %v", err)
	}
}

// fullConversation has every field set, including time variables.
func fullConversation(id string) *contextstore.Conversation {
	until := t0.Add(time.Hour)
	return &contextstore.Conversation{
		ID: id,
		Info: contextstore.ConversationInfo{
			ConversationID: id, Channel: "web", StartedAt: t0, VisitorIPCipher: []byte{1, 2, 3}, VisitorIPHash: "abc",
			LiveChatBlockedUntil: &until, Blocked: true,
		},
		User:     contextstore.ChatUser{UserID: "u1", Name: "Ann", IsAuthenticated: true},
		Feedback: contextstore.AgentFeedback{AgentEmail: "a@example.com", Block: true, BlockIntervalMinutes: 30},
		Helpdesk: contextstore.HelpdeskClient{InQueue: true, Queue: "billing"},
		Vars: map[string]any{
			"name":   "Ann",
			"visits": 3.0,
			"ok":     true,
			"none":   nil,
			"until":  until,
			"ptr":    &until,
			"nilptr": (*time.Time)(nil),
			"nested": map[string]any{"at": t0, "list": []any{"x", t0.Add(time.Minute), map[string]any{"deep": t0}}},
		},
		Pins:       map[string]int{"main": 2},
		Cursor:     &contextstore.Cursor{FlowID: "main", Version: 2, StepID: "ask"},
		Transcript: []contextstore.Message{{At: t0, From: "user", Text: "hi"}},
		Processed:  []contextstore.ProcessedEvent{{Key: "k1", Replies: []string{"hello"}}},
		CreatedAt:  t0,
		UpdatedAt:  t0,
	}
}

func TestConversationRoundTripKeepsTimeVariables(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx := t.Context()
	c := fullConversation("c1")
	if err := s.PutConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetConversation(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	want := c.Clone()
	want.Vars["nilptr"] = nil // JSON null: the memory store would keep the typed nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
	}
	if _, ok := got.Vars["until"].(time.Time); !ok {
		t.Errorf("until is a %T", got.Vars["until"])
	}
	if _, ok := got.Vars["ptr"].(*time.Time); !ok {
		t.Errorf("ptr is a %T", got.Vars["ptr"])
	}
}

func TestCompareAndSwap(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx := t.Context()
	c := &contextstore.Conversation{ID: "c", Vars: map[string]any{"n": 1.0}}
	if err := s.PutConversation(ctx, &contextstore.Conversation{ID: "c", Version: 3}); !errors.Is(err, contextstore.ErrVersionConflict) {
		t.Errorf("put missing at version 3: %v", err)
	}
	if err := s.PutConversation(ctx, c); err != nil || c.Version != 1 {
		t.Fatalf("create: %v, version %d", err, c.Version)
	}
	stale := &contextstore.Conversation{ID: "c"}
	err := s.PutConversation(ctx, stale)
	if !errors.Is(err, contextstore.ErrVersionConflict) || err.Error() != `conversation "c" at version 0: version conflict` {
		t.Errorf("second create: %v", err)
	}
	if stale.Version != 0 {
		t.Errorf("failed put changed the caller's version to %d", stale.Version)
	}
	if err := s.PutConversation(ctx, c); err != nil || c.Version != 2 {
		t.Fatalf("update: %v, version %d", err, c.Version)
	}
	if err := s.PutConversation(ctx, &contextstore.Conversation{ID: ""}); err == nil || err.Error() != "putting conversation: empty id" {
		t.Errorf("empty id: %v", err)
	}

	b := &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "u"}
	if err := s.UpdateBlock(ctx, b); !errors.Is(err, contextstore.ErrNotFound) {
		t.Errorf("update missing block: %v", err)
	}
	if err := s.CreateBlock(ctx, b); err != nil || b.Version != 1 {
		t.Fatalf("create block: %v, version %d", err, b.Version)
	}
	if err := s.CreateBlock(ctx, &contextstore.Block{ID: "b1"}); !errors.Is(err, contextstore.ErrAlreadyExists) || err.Error() != `block "b1": already exists` {
		t.Errorf("duplicate block: %v", err)
	}
	if err := s.UpdateBlock(ctx, &contextstore.Block{ID: "b1", Version: 7}); !errors.Is(err, contextstore.ErrVersionConflict) {
		t.Errorf("stale block update: %v", err)
	}

	d := &contextstore.ChatActivityData{UserID: "u"}
	if err := s.PutActivity(ctx, d); err != nil || d.Version != 1 {
		t.Fatalf("create activity: %v", err)
	}
	if err := s.PutActivity(ctx, &contextstore.ChatActivityData{UserID: "u"}); !errors.Is(err, contextstore.ErrVersionConflict) {
		t.Errorf("stale activity: %v", err)
	}
}

func TestReopenPersists(t *testing.T) {
	path := tempPath(t)
	ctx := t.Context()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	conv := fullConversation("c1")
	act := &contextstore.ChatActivityData{UserID: "u1", LiveChatBlockedReason: "spam"}
	blk := &contextstore.Block{ID: "b1", Kind: contextstore.KindIP, IPHash: "h", IPCipher: []byte{1, 2}, CreatedAt: t0}
	ev := &contextstore.AuditEvent{At: t0, Actor: "admin", Action: "block.create", BlockID: "b1"}
	for _, err := range []error{
		s.PutConversation(ctx, conv),
		s.PutActivity(ctx, act),
		s.CreateBlock(ctx, blk),
		s.AppendAudit(ctx, ev),
		s.Enqueue(ctx, contextstore.QueueEntry{Queue: "billing", ConversationID: "c1", EnqueuedAt: t0}),
		s.Enqueue(ctx, contextstore.QueueEntry{Queue: "billing", ConversationID: "c2", EnqueuedAt: t0}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, Options{})
	gotConv, err := s.GetConversation(ctx, "c1")
	if err != nil || gotConv.Version != 1 || !gotConv.Vars["until"].(time.Time).Equal(t0.Add(time.Hour)) {
		t.Errorf("conversation after reopen: %+v, %v", gotConv, err)
	}
	if got, err := s.GetActivity(ctx, "u1"); err != nil || !reflect.DeepEqual(got, act) {
		t.Errorf("activity after reopen: %+v, %v", got, err)
	}
	if got, err := s.GetBlock(ctx, "b1"); err != nil || !reflect.DeepEqual(got, blk) {
		t.Errorf("block after reopen: %+v, %v", got, err)
	}
	if got, err := s.BansVersion(ctx); err != nil || got != 1 {
		t.Errorf("bans version after reopen: %d, %v", got, err)
	}
	if got, err := s.ListBlocks(ctx, contextstore.BlockQuery{IPHash: "h"}); err != nil || len(got) != 1 {
		t.Errorf("index after reopen: %v, %v", got, err)
	}
	// The audit sequence continues: a new event never reuses an id.
	ev2 := &contextstore.AuditEvent{At: t0, Actor: "admin", Action: "block.lift"}
	if err := s.AppendAudit(ctx, ev2); err != nil {
		t.Fatal(err)
	}
	if ev.ID != "00000000000000000001" || ev2.ID != "00000000000000000002" {
		t.Errorf("audit ids %q, %q", ev.ID, ev2.ID)
	}
	if got, err := s.ListAudit(ctx, contextstore.AuditQuery{}); err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], ev) {
		t.Errorf("audit after reopen: %v, %v", got, err)
	}
	if got, err := s.Dequeue(ctx, "billing"); err != nil || got.ConversationID != "c1" {
		t.Errorf("dequeue after reopen: %+v, %v", got, err)
	}
	if got, err := s.ListQueue(ctx, "billing"); err != nil || len(got) != 1 || got[0].ConversationID != "c2" {
		t.Errorf("queue after reopen: %+v, %v", got, err)
	}
}

func TestQueueKeepsPlaceAndSeparatesQueues(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx := t.Context()
	enq := func(q, c string) {
		t.Helper()
		if err := s.Enqueue(ctx, contextstore.QueueEntry{Queue: q, ConversationID: c, EnqueuedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	// "a" and "a\x01b" would collide under a naive separator scheme.
	enq("a", "c1")
	enq("a\x01b", "c9")
	enq("a", "c2")
	enq("a", "c1") // already queued: keeps its place
	enq("", "c3")  // the empty queue name is a queue too
	ids := func(q string) []string {
		es, err := s.ListQueue(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.ConversationID)
		}
		return out
	}
	if got := ids("a"); !reflect.DeepEqual(got, []string{"c1", "c2"}) {
		t.Errorf("queue a = %v", got)
	}
	if got := ids("a\x01b"); !reflect.DeepEqual(got, []string{"c9"}) {
		t.Errorf("queue a\\x01b = %v", got)
	}
	if got := ids(""); !reflect.DeepEqual(got, []string{"c3"}) {
		t.Errorf("queue \"\" = %v", got)
	}
	if err := s.RemoveFromQueue(ctx, "a", "c1"); err != nil {
		t.Fatal(err)
	}
	enq("a", "c1") // re-enqueued after removal: goes to the back
	if got := ids("a"); !reflect.DeepEqual(got, []string{"c2", "c1"}) {
		t.Errorf("queue a after remove+enqueue = %v", got)
	}
	if got := ids("nope"); got != nil {
		t.Errorf("missing queue = %v", got)
	}
	for range 2 {
		if _, err := s.Dequeue(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Dequeue(ctx, "a")
	if !errors.Is(err, contextstore.ErrNotFound) || err.Error() != `queue "a" is empty: not found` {
		t.Errorf("dequeue empty: %v", err)
	}
}

func TestConversationTTL(t *testing.T) {
	clk := clock.NewFake(t0)
	s := openAt(t, tempPath(t), Options{Clock: clk.Now, ConversationTTL: time.Hour})
	ctx := t.Context()

	put := func(id string, updated time.Time) *contextstore.Conversation {
		t.Helper()
		c := &contextstore.Conversation{ID: id, UpdatedAt: updated}
		if err := s.PutConversation(ctx, c); err != nil {
			t.Fatalf("put %s: %v", id, err)
		}
		return c
	}
	old := put("old", t0)
	put("fresh", t0.Add(50*time.Minute))
	put("zero", time.Time{}) // aged from the write: t0

	clk.Advance(time.Hour) // exactly at the TTL: still alive (UpdatedAt+TTL == now)
	if _, err := s.GetConversation(ctx, "old"); err != nil {
		t.Fatalf("at the TTL: %v", err)
	}
	clk.Advance(time.Second)
	_, err := s.GetConversation(ctx, "old")
	if !errors.Is(err, contextstore.ErrNotFound) || err.Error() != `conversation "old" (expired): not found` {
		t.Errorf("expired get: %v", err)
	}
	if _, err := s.GetConversation(ctx, "zero"); !errors.Is(err, contextstore.ErrNotFound) {
		t.Errorf("expired zero-UpdatedAt get: %v", err)
	}
	if _, err := s.GetConversation(ctx, "fresh"); err != nil {
		t.Errorf("fresh get: %v", err)
	}
	list, err := s.ListConversations(ctx, contextstore.ConversationFilter{})
	if err != nil || len(list) != 1 || list[0].ID != "fresh" {
		t.Errorf("list skips expired: %v, %v", list, err)
	}
	// An expired conversation is absent: updating it conflicts, creating it works.
	if err := s.PutConversation(ctx, old); !errors.Is(err, contextstore.ErrVersionConflict) {
		t.Errorf("update expired: %v", err)
	}
	put("zero", clk.Now())

	n, err := s.Sweep(ctx)
	if err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1 (old)", n, err)
	}
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("second Sweep = %d, %v", n, err)
	}
	// Disabling the TTL shows what Sweep removed and what it kept.
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openAt(t, path, Options{})
	list, err = s2.ListConversations(ctx, contextstore.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if !reflect.DeepEqual(ids, []string{"fresh", "zero"}) {
		t.Errorf("after sweep: %v", ids)
	}
}

func TestRunSweepsAndStops(t *testing.T) {
	clk := clock.NewFake(t0)
	core, logs := observer.New(zap.DebugLevel)
	s := openAt(t, tempPath(t), Options{Clock: clk.Now, ConversationTTL: time.Minute, Logger: zap.New(core)})
	ctx, cancel := context.WithCancel(t.Context())
	for _, id := range []string{"a", "b"} {
		if err := s.PutConversation(ctx, &contextstore.Conversation{ID: id, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, time.Millisecond) }()
	deadline := time.After(5 * time.Second)
	for logs.FilterMessage("swept expired conversations").FilterField(zap.Int("deleted", 2)).Len() == 0 {
		select {
		case <-deadline:
			t.Fatalf("no sweep log; logs: %v", logs.All())
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop on cancel")
	}
	if e := logs.FilterMessage("swept expired conversations").All()[0]; e.LoggerName != "bolt" || e.Level != zap.InfoLevel {
		t.Errorf("sweep log entry: %+v", e)
	}
	if err := s.Run(t.Context(), 0); err == nil || err.Error() != "running conversation sweeper: non-positive interval 0s" {
		t.Errorf("Run(0): %v", err)
	}
}

func TestListBlocksUsesIndexesAfterUpdateAndDelete(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx := t.Context()
	b := &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "u1"}
	if err := s.CreateBlock(ctx, b); err != nil {
		t.Fatal(err)
	}
	count := func(q contextstore.BlockQuery) int {
		t.Helper()
		got, err := s.ListBlocks(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if count(contextstore.BlockQuery{UserID: "u1"}) != 1 {
		t.Error("not found by user")
	}
	b.UserID = "u2"
	b.Kind = contextstore.KindConversation
	b.ConversationID = "c1"
	if err := s.UpdateBlock(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    contextstore.BlockQuery
		want int
	}{
		{contextstore.BlockQuery{UserID: "u1"}, 0},
		{contextstore.BlockQuery{UserID: "u2"}, 1},
		{contextstore.BlockQuery{ConversationID: "c1"}, 1},
		{contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindUser}}, 0},
		{contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindConversation, contextstore.KindConversation}}, 1},
	} {
		if got := count(tc.q); got != tc.want {
			t.Errorf("%+v: %d blocks, want %d", tc.q, got, tc.want)
		}
	}
	if err := s.DeleteBlock(ctx, "b1"); err != nil {
		t.Fatal(err)
	}
	if count(contextstore.BlockQuery{UserID: "u2"}) != 0 || count(contextstore.BlockQuery{ConversationID: "c1"}) != 0 {
		t.Error("index entries left after delete")
	}
	if err := s.DeleteBlock(ctx, "b1"); err != nil {
		t.Errorf("deleting a missing block: %v", err)
	}
}

func TestConcurrentCompareAndSwapLosesNoUpdate(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx := t.Context()
	if err := s.PutConversation(ctx, &contextstore.Conversation{ID: "c", Vars: map[string]any{"n": 0.0}}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for done := 0; done < each; {
				c, err := s.GetConversation(ctx, "c")
				if err != nil {
					errs <- err
					return
				}
				c.Vars["n"] = c.Vars["n"].(float64) + 1
				switch err := s.PutConversation(ctx, c); {
				case err == nil:
					done++
				case !errors.Is(err, contextstore.ErrVersionConflict):
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c, err := s.GetConversation(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.Vars["n"] != float64(workers*each) || c.Version != workers*each+1 {
		t.Errorf("n = %v at version %d, want %d at %d", c.Vars["n"], c.Version, workers*each, workers*each+1)
	}
}
