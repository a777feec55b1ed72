package storetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/contextstore/storetest"
)

// A mutant is the memory store with one bug. The suite must fail on each,
// in the subtest named by failsIn; TestSuiteCatchesBrokenStores checks that
// by running TestMutant in a child process per mutant.
type mutant struct {
	name    string
	failsIn string // a subtest of Run that must fail
	wrap    func(*memory.Store) contextstore.Store
}

func mutants() []mutant {
	return []mutant{
		{"PutIgnoresVersion", "Conversations/StaleVersionConflicts", func(m *memory.Store) contextstore.Store { return &noCAS{Store: m} }},
		{"LostUpdates", "ConversationConcurrency/NoLostUpdates", func(m *memory.Store) contextstore.Store { return &noCAS{Store: m} }},
		{"GetSharesRecord", "Conversations/GetReturnsIndependentCopy", func(m *memory.Store) contextstore.Store { return &sharedGet{Store: m} }},
		{"PutKeepsCallerValue", "Conversations/PutDoesNotRetainCallerValue", func(m *memory.Store) contextstore.Store { return &keepsPut{Store: m} }},
		{"NotFoundNotWrapped", "Conversations/GetMissingIsNotFound", func(m *memory.Store) contextstore.Store { return &plainNotFound{Store: m} }},
		{"ListAfterInclusive", "Conversations/List/Pagination", func(m *memory.Store) contextstore.Store { return &afterInclusive{Store: m} }},
		{"TimesInSeconds", "RoundTrip/Times", func(m *memory.Store) contextstore.Store { return &secondsOnly{Store: m} }},
		{"TimeVarsAsStrings", "RoundTrip/TimeVars", func(m *memory.Store) contextstore.Store { return &jsonVars{Store: m} }},
		{"ActivityIgnoresVersion", "Activity/CompareAndSwap", func(m *memory.Store) contextstore.Store { return &activityNoCAS{Store: m} }},
		{"UpdateBlockIgnoresVersion", "Blocks/UpdateCompareAndSwap", func(m *memory.Store) contextstore.Store { return &blockNoCAS{Store: m} }},
		{"ExpiryNeedsAWrite", "BlockQueries/Filters/ActiveInAnHour", func(m *memory.Store) contextstore.Store { return &staleStatus{Store: m} }},
		{"BlocksUnordered", "BlockQueries/AllWithContent", func(m *memory.Store) contextstore.Store { return &reversedBlocks{Store: m} }},
		{"BansVersionFrozen", "BansVersion", func(m *memory.Store) contextstore.Store { return &frozenBans{Store: m} }},
		{"AuditIDNotReturned", "Audit/AppendAssignsIncreasingIDs", func(m *memory.Store) contextstore.Store { return &auditCopy{Store: m} }},
		{"QueueLIFO", "Queue/FIFO", func(m *memory.Store) contextstore.Store { return &lifo{Store: m} }},
		{"EnqueueMovesToBack", "Queue/EnqueueTwiceKeepsPlace", func(m *memory.Store) contextstore.Store { return &requeue{Store: m} }},
	}
}

func TestMemoryPasses(t *testing.T) {
	storetest.Run(t, func(t *testing.T) contextstore.Store { return memory.New() })
}

// TestMutant runs the suite against the mutant named by
// STORETEST_MUTANT; it is skipped unless TestSuiteCatchesBrokenStores
// started this process.
func TestMutant(t *testing.T) {
	name := os.Getenv("STORETEST_MUTANT")
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenStores")
	}
	i := slices.IndexFunc(mutants(), func(m mutant) bool { return m.name == name })
	if i < 0 {
		t.Fatalf("no mutant %q", name)
	}
	m := mutants()[i]
	storetest.Run(t, func(t *testing.T) contextstore.Store { return m.wrap(memory.New()) })
}

func TestSuiteCatchesBrokenStores(t *testing.T) {
	if os.Getenv("STORETEST_MUTANT") != "" {
		t.Skip("in a child process")
	}
	if testing.Short() {
		t.Skip("starts a process per mutant")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutants() {
		t.Run(m.name, func(t *testing.T) {
			area := strings.SplitN(m.failsIn, "/", 2)[0]
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestMutant$/^"+area+"$", "-test.v")
			cmd.Env = append(os.Environ(), "STORETEST_MUTANT="+m.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed (or did not run: %v) against a store with bug %s:\n%s", err, m.name, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestMutant/"+m.failsIn+" ") {
				t.Fatalf("subtest %s did not fail against bug %s:\n%s", m.failsIn, m.name, out)
			}
		})
	}
}

// noCAS overwrites whatever version is stored.
type noCAS struct{ *memory.Store }

func (s *noCAS) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if cur, err := s.Store.GetConversation(ctx, c.ID); err == nil {
		c.Version = cur.Version
	}
	return s.Store.PutConversation(ctx, c)
}

// sharedGet returns the same record to every reader.
type sharedGet struct {
	*memory.Store
	mu    sync.Mutex
	cache map[string]*contextstore.Conversation
}

func (s *sharedGet) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[id]; ok {
		return c, nil
	}
	c, err := s.Store.GetConversation(ctx, id)
	if err == nil {
		if s.cache == nil {
			s.cache = map[string]*contextstore.Conversation{}
		}
		s.cache[id] = c
	}
	return c, err
}

func (s *sharedGet) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	s.mu.Lock()
	delete(s.cache, c.ID)
	s.mu.Unlock()
	return s.Store.PutConversation(ctx, c)
}

// keepsPut keeps the caller's value and serves copies of it.
type keepsPut struct {
	*memory.Store
	mu   sync.Mutex
	kept map[string]*contextstore.Conversation
}

func (s *keepsPut) PutConversation(ctx context.Context, c *contextstore.Conversation) error {
	if err := s.Store.PutConversation(ctx, c); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		s.kept = map[string]*contextstore.Conversation{}
	}
	s.kept[c.ID] = c
	return nil
}

func (s *keepsPut) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.kept[id]; ok {
		return c.Clone(), nil
	}
	return s.Store.GetConversation(ctx, id)
}

// plainNotFound loses the sentinel.
type plainNotFound struct{ *memory.Store }

func (s *plainNotFound) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	c, err := s.Store.GetConversation(ctx, id)
	if err != nil {
		return nil, errors.New(err.Error())
	}
	return c, nil
}

// afterInclusive lists the After record again.
type afterInclusive struct{ *memory.Store }

func (s *afterInclusive) ListConversations(ctx context.Context, f contextstore.ConversationFilter) ([]*contextstore.Conversation, error) {
	out, err := s.Store.ListConversations(ctx, f)
	if err != nil || f.After == "" {
		return out, err
	}
	if c, err := s.Store.GetConversation(ctx, f.After); err == nil && f.Match(c) {
		out = append([]*contextstore.Conversation{c}, out...)
		if f.Limit > 0 && len(out) > f.Limit {
			out = out[:f.Limit]
		}
	}
	return out, nil
}

// secondsOnly keeps times to the second, as a store of Unix seconds would.
type secondsOnly struct{ *memory.Store }

func (s *secondsOnly) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	c, err := s.Store.GetConversation(ctx, id)
	if err == nil {
		c.Info.StartedAt = c.Info.StartedAt.Truncate(time.Second)
	}
	return c, err
}

// jsonVars round-trips Vars through plain JSON, turning times into strings.
type jsonVars struct{ *memory.Store }

func (s *jsonVars) GetConversation(ctx context.Context, id string) (*contextstore.Conversation, error) {
	c, err := s.Store.GetConversation(ctx, id)
	if err == nil {
		data, _ := json.Marshal(c.Vars)
		c.Vars = nil
		_ = json.Unmarshal(data, &c.Vars)
	}
	return c, err
}

// activityNoCAS overwrites whatever activity version is stored.
type activityNoCAS struct{ *memory.Store }

func (s *activityNoCAS) PutActivity(ctx context.Context, d *contextstore.ChatActivityData) error {
	if cur, err := s.Store.GetActivity(ctx, d.UserID); err == nil {
		d.Version = cur.Version
	}
	return s.Store.PutActivity(ctx, d)
}

// blockNoCAS overwrites whatever block version is stored.
type blockNoCAS struct{ *memory.Store }

func (s *blockNoCAS) UpdateBlock(ctx context.Context, b *contextstore.Block) error {
	if cur, err := s.Store.GetBlock(ctx, b.ID); err == nil {
		b.Version = cur.Version
	}
	return s.Store.UpdateBlock(ctx, b)
}

// staleStatus decides expiry at write time (t0), not at the query's At.
type staleStatus struct{ *memory.Store }

func (s *staleStatus) ListBlocks(ctx context.Context, q contextstore.BlockQuery) ([]*contextstore.Block, error) {
	if q.Status != contextstore.StatusAny {
		q.At = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	}
	return s.Store.ListBlocks(ctx, q)
}

// reversedBlocks lists in reverse ID order.
type reversedBlocks struct{ *memory.Store }

func (s *reversedBlocks) ListBlocks(ctx context.Context, q contextstore.BlockQuery) ([]*contextstore.Block, error) {
	out, err := s.Store.ListBlocks(ctx, q)
	slices.Reverse(out)
	return out, err
}

// frozenBans never reports a ban change.
type frozenBans struct{ *memory.Store }

func (s *frozenBans) BansVersion(context.Context) (int64, error) { return 1, nil }

// auditCopy appends a copy, so the caller never sees the assigned ID.
type auditCopy struct{ *memory.Store }

func (s *auditCopy) AppendAudit(ctx context.Context, e *contextstore.AuditEvent) error {
	return s.Store.AppendAudit(ctx, e.Clone())
}

// lifo hands out the newest entry.
type lifo struct{ *memory.Store }

func (s *lifo) Dequeue(ctx context.Context, queue string) (contextstore.QueueEntry, error) {
	q, err := s.Store.ListQueue(ctx, queue)
	if err != nil || len(q) == 0 {
		return s.Store.Dequeue(ctx, queue)
	}
	last := q[len(q)-1]
	return last, s.Store.RemoveFromQueue(ctx, queue, last.ConversationID)
}

// requeue moves a conversation enqueued again to the back.
type requeue struct{ *memory.Store }

func (s *requeue) Enqueue(ctx context.Context, e contextstore.QueueEntry) error {
	if err := s.Store.RemoveFromQueue(ctx, e.Queue, e.ConversationID); err != nil {
		return err
	}
	return s.Store.Enqueue(ctx, e)
}
