package blocking_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/blocking"
)

// flakyStore is a memory store whose audit log or bans version can be
// made to fail.
type flakyStore struct {
	*memory.Store
	auditDown atomic.Bool
	bansDown  atomic.Bool
}

var errDown = errors.New("backend down")

func (f *flakyStore) AppendAudit(ctx context.Context, e *contextstore.AuditEvent) error {
	if f.auditDown.Load() {
		return errDown
	}
	return f.Store.AppendAudit(ctx, e)
}

func (f *flakyStore) BansVersion(ctx context.Context) (int64, error) {
	if f.bansDown.Load() {
		return 0, errDown
	}
	return f.Store.BansVersion(ctx)
}

func newFlaky(t *testing.T) (*flakyStore, *blocking.Service) {
	t.Helper()
	e := newEnv(t)
	fs := &flakyStore{Store: e.store}
	svc, err := blocking.New(fs, blocking.Options{Clock: e.clk.Now, Sealer: e.sealer})
	if err != nil {
		t.Fatal(err)
	}
	return fs, svc
}

func TestAuditFailureIsReportedWithTheBlock(t *testing.T) {
	fs, svc := newFlaky(t)
	fs.auditDown.Store(true)
	b, err := svc.Create(t.Context(), blocking.NewBlock{UserID: "u-1", ReasonCategory: "spam", Period: blocking.Period{Minutes: 5}, Actor: "a"})
	if b == nil || !errors.Is(err, blocking.ErrIncomplete) || !errors.Is(err, errDown) {
		t.Fatalf("Create = %v, %v", b, err)
	}
	if want := "recording block.create of block " + b.ID + ": change saved, follow-up failed: backend down"; err.Error() != want {
		t.Fatalf("error %q\nwant  %q", err, want)
	}
	if _, err := fs.GetBlock(t.Context(), b.ID); err != nil {
		t.Fatalf("block not stored: %v", err)
	}
}

func TestCheckWithStoreDown(t *testing.T) {
	fs, svc := newFlaky(t)
	ctx := t.Context()
	fs.bansDown.Store(true)
	// No table yet and no way to build one: an error, not a guess.
	_, err := svc.Check(ctx, ipSub("198.51.100.1"))
	if want := "reading the bans version: backend down"; errText(err) != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	fs.bansDown.Store(false)
	b, err := svc.Create(ctx, blocking.NewBlock{IP: "198.51.100.1", ReasonCategory: "spam", Period: blocking.Period{Minutes: 60}, Actor: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := svc.Check(ctx, ipSub("198.51.100.1")); err != nil || d.BlockID != b.ID {
		t.Fatalf("decision %+v, %v", d, err)
	}
	// Down again: the last table keeps answering.
	fs.bansDown.Store(true)
	if d, err := svc.Check(ctx, ipSub("198.51.100.1")); err != nil || d.BlockID != b.ID {
		t.Fatalf("decision with store down %+v, %v", d, err)
	}
	if err := svc.Refresh(ctx); errText(err) != "reading the bans version: backend down" {
		t.Fatalf("Refresh: %v", err)
	}
}

// TestLiftAfterConcurrentChange: Lift re-reads and re-applies on a version
// conflict, and says when the block ended meanwhile.
func TestLiftAfterConcurrentChange(t *testing.T) {
	e := newEnv(t)
	other := e.service(t)
	ctx := t.Context()
	b := e.create(t, blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 60}})
	if _, err := other.Renew(ctx, b.ID, blocking.Period{Minutes: 120}, "b", "longer"); err != nil {
		t.Fatal(err)
	}
	l, err := e.svc.Lift(ctx, b.ID, "a", "")
	if err != nil || l.Version != 3 || !l.Until.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("lift %+v, %v", l, err)
	}
}
