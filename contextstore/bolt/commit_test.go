package bolt

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.etcd.io/bbolt"
)

// TestGroupCommitIsolatesFailures runs many writes at once, every third of
// which writes a key and then fails: the failing writes leave nothing
// behind and get their own error, and every other write commits.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx := t.Context()
	errBoom := errors.New("boom")
	const n = 90
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.update(ctx, "test write", func(tx *bbolt.Tx) error {
				b := tx.Bucket([]byte(bucketMeta))
				if err := b.Put(fmt.Appendf(nil, "k%03d", i), []byte("v")); err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom
				}
				return nil
			})
		})
	}
	wg.Wait()
	err := s.view(ctx, "test read", func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketMeta))
		for i := range n {
			got := b.Get(fmt.Appendf(nil, "k%03d", i)) != nil
			if fails := i%3 == 0; got == fails {
				t.Errorf("write %d: stored = %v, its error = %v", i, got, errs[i])
			}
			if fails := i%3 == 0; errors.Is(errs[i], errBoom) != fails {
				t.Errorf("write %d: error = %v", i, errs[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitReraisesPanic: a panicking write panics in its caller and
// does not break the store for the next write.
func TestGroupCommitReraisesPanic(t *testing.T) {
	s := openAt(t, tempPath(t), Options{})
	ctx := t.Context()
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want boom", p)
			}
		}()
		_ = s.update(ctx, "panicking write", func(*bbolt.Tx) error { panic("boom") })
	}()
	if err := s.update(ctx, "next write", func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
}
