package bolt

import (
	"errors"
	"sync"

	"go.etcd.io/bbolt"
)

// maxGroup bounds how many writes share one transaction, so one commit's
// dirty pages stay small and a long queue is served in several fsyncs.
const maxGroup = 256

// errCommitterClosed is what a write queued on a closed store gets; run
// wraps it in contextstore.ErrUnavailable like bbolt's ErrDatabaseNotOpen.
var errCommitterClosed = errors.New("store is closed")

// committer is the store's group commit: writes submitted while a commit
// is running queue up and then share the next transaction and its fsync.
// One goroutine runs every write transaction, so there is no added delay
// for a lone writer (unlike bbolt's DB.Batch, which waits up to
// MaxBatchDelay for company): a write arriving at an idle store commits at
// once, and the batch size grows with the concurrency.
//
// A write's function may run more than once: when a function of a group
// returns an error (or panics), the transaction is rolled back, that
// function's caller gets its error, and the rest of the group is run again
// in a fresh transaction. The functions must therefore be idempotent: they
// may read and write the transaction and overwrite captured variables, but
// must not accumulate state outside it. A failing function never fails the
// others; a failed commit (a disk error) fails the whole group, none of
// which took effect.
type committer struct {
	db   *bbolt.DB
	mu   sync.RWMutex // held shared by submit, exclusively by close
	shut bool
	reqs chan *commitReq
	done chan struct{}
}

// commitReq is one queued write.
type commitReq struct {
	fn     func(*bbolt.Tx) error
	result chan commitResult
}

// commitResult is the outcome of one write: fnErr is the function's own
// error (the write did not take effect), err a failure of the transaction
// itself; panicked holds a panic value to re-raise in the caller.
type commitResult struct {
	fnErr    error
	err      error
	panicked any
}

func newCommitter(db *bbolt.DB) *committer {
	c := &committer{db: db, reqs: make(chan *commitReq, maxGroup), done: make(chan struct{})}
	go c.loop()
	return c
}

// submit queues fn and waits until its group is committed and fsync'd (or
// fn failed). It re-raises a panic of fn in the caller's goroutine.
func (c *committer) submit(fn func(*bbolt.Tx) error) (fnErr, err error) {
	r := &commitReq{fn: fn, result: make(chan commitResult, 1)}
	c.mu.RLock()
	if c.shut {
		c.mu.RUnlock()
		return nil, errCommitterClosed
	}
	c.reqs <- r
	c.mu.RUnlock()
	res := <-r.result
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.fnErr, res.err
}

// close stops accepting writes, lets the queued ones commit and waits for
// the loop to end. It is idempotent.
func (c *committer) close() {
	c.mu.Lock()
	if !c.shut {
		c.shut = true
		close(c.reqs)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	group := make([]*commitReq, 0, maxGroup)
	for r := range c.reqs {
		group = append(group[:0], r)
	fill:
		for len(group) < maxGroup {
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break fill
				}
				group = append(group, r)
			default:
				break fill
			}
		}
		c.commit(group)
		clear(group)
	}
}

// commit runs group in one transaction, removing and answering each
// function that fails, until the rest commits (or the commit fails).
func (c *committer) commit(group []*commitReq) {
	for len(group) > 0 {
		failed := -1
		var res commitResult
		err := c.db.Update(func(tx *bbolt.Tx) error {
			for i, r := range group {
				p, fnErr := call(r.fn, tx)
				if fnErr != nil || p != nil {
					failed, res = i, commitResult{fnErr: fnErr, panicked: p}
					return errRolledBack
				}
			}
			return nil
		})
		if failed >= 0 {
			group[failed].result <- res
			// Keep the order: the functions before the failed one see the
			// same state when run again, so they succeed again, and the
			// failed one's error stays true of the order they commit in.
			group = append(group[:failed], group[failed+1:]...)
			continue
		}
		for _, r := range group {
			r.result <- commitResult{err: err}
		}
		return
	}
}

// errRolledBack makes bbolt roll back a group in which a function failed.
var errRolledBack = errors.New("a write of the group failed")

// call runs fn, turning a panic into a value for the caller to re-raise.
func call(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, fn(tx)
}
