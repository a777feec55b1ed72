package webhooks

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryQueue is an in-process Queue (tests, single-process use): its
// deliveries are lost with the process.
type MemoryQueue struct {
	mu  sync.Mutex
	seq int64
	ds  []Delivery // by Seq
}

var _ Queue = (*MemoryQueue)(nil)

// Add implements Queue.
func (q *MemoryQueue) Add(_ context.Context, ds []Delivery) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, d := range ds {
		q.seq++
		d.Seq = q.seq
		q.ds = append(q.ds, d)
	}
	return nil
}

// Due implements Queue.
func (q *MemoryQueue) Due(_ context.Context, now time.Time, limit int) ([]Delivery, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	type key struct{ sub, subject string }
	heads := map[key]bool{}
	var out []Delivery
	for _, d := range q.ds {
		if d.State != StatePending {
			continue
		}
		k := key{d.Subscription.ID, d.Message.Subject}
		if heads[k] {
			continue // an older delivery of this subject is pending
		}
		heads[k] = true
		if !d.NextAt.After(now) && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

// Save implements Queue.
func (q *MemoryQueue) Save(_ context.Context, d Delivery) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.IndexFunc(q.ds, func(x Delivery) bool { return x.Seq == d.Seq && x.Subscription.ID == d.Subscription.ID })
	if i < 0 {
		return fmt.Errorf("delivery %d to %s: not found", d.Seq, d.Subscription.ID)
	}
	q.ds[i] = d
	return nil
}

// Log returns the deliveries of a subscription, newest first (the
// portal's delivery log).
func (q *MemoryQueue) Log(subscription string) []Delivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []Delivery
	for i := len(q.ds) - 1; i >= 0; i-- {
		if q.ds[i].Subscription.ID == subscription {
			out = append(out, q.ds[i])
		}
	}
	return out
}

// Resend makes a delivered or dead delivery pending again, due now (the
// portal's "resend"); it keeps its webhook-id.
func (q *MemoryQueue) Resend(subscription string, seq int64, now time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.IndexFunc(q.ds, func(x Delivery) bool { return x.Seq == seq && x.Subscription.ID == subscription })
	if i < 0 {
		return fmt.Errorf("delivery %d to %s: not found", seq, subscription)
	}
	q.ds[i].State, q.ds[i].Attempts, q.ds[i].NextAt = StatePending, 0, now
	return nil
}
