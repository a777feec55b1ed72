package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// webhookTable holds the webhook concern; its fields are guarded by s.mu.
type webhookTable struct {
	subs   map[string]*contextstore.WebhookSubscription
	dels   []contextstore.WebhookDelivery // by Seq
	index  map[[2]string]int              // (subscription, event) -> position in dels
	seq    int64
	cursor string
}

func (s *Store) webhooks() *webhookTable {
	if s.wh == nil {
		s.wh = &webhookTable{subs: map[string]*contextstore.WebhookSubscription{}, index: map[[2]string]int{}}
	}
	return s.wh
}

func cloneSub(v *contextstore.WebhookSubscription) *contextstore.WebhookSubscription {
	c := *v
	c.SealedSecret = slices.Clone(v.SealedSecret)
	c.Types = slices.Clone(v.Types)
	return &c
}

func cloneDelivery(d contextstore.WebhookDelivery) contextstore.WebhookDelivery {
	d.Data = slices.Clone(d.Data)
	d.At, d.NextAt, d.DeliveredAt = d.At.Round(0), d.NextAt.Round(0), d.DeliveredAt.Round(0)
	return d
}

// PutWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) PutWebhookSubscription(ctx context.Context, v *contextstore.WebhookSubscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("storing webhook subscription %s: %w", v.ID, err)
	}
	s.webhooks().subs[v.ID] = cloneSub(v)
	return nil
}

// GetWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) GetWebhookSubscription(ctx context.Context, id string) (*contextstore.WebhookSubscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("reading webhook subscription %s: %w", id, err)
	}
	v, ok := s.webhooks().subs[id]
	if !ok {
		return nil, fmt.Errorf("webhook subscription %s: %w", id, contextstore.ErrNotFound)
	}
	return cloneSub(v), nil
}

// ListWebhookSubscriptions implements contextstore.WebhookStore.
func (s *Store) ListWebhookSubscriptions(ctx context.Context) ([]*contextstore.WebhookSubscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("listing webhook subscriptions: %w", err)
	}
	out := make([]*contextstore.WebhookSubscription, 0, len(s.webhooks().subs))
	for _, v := range s.webhooks().subs {
		out = append(out, cloneSub(v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeleteWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) DeleteWebhookSubscription(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("deleting webhook subscription %s: %w", id, err)
	}
	w := s.webhooks()
	if _, ok := w.subs[id]; !ok {
		return fmt.Errorf("webhook subscription %s: %w", id, contextstore.ErrNotFound)
	}
	delete(w.subs, id)
	w.dels = slices.DeleteFunc(w.dels, func(d contextstore.WebhookDelivery) bool { return d.SubscriptionID == id })
	w.index = make(map[[2]string]int, len(w.dels))
	for i, d := range w.dels {
		w.index[[2]string{d.SubscriptionID, d.EventID}] = i
	}
	return nil
}

// AddWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) AddWebhookDeliveries(ctx context.Context, ds []contextstore.WebhookDelivery) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, fmt.Errorf("adding webhook deliveries: %w", err)
	}
	w := s.webhooks()
	n := 0
	for _, d := range ds {
		k := [2]string{d.SubscriptionID, d.EventID}
		if _, ok := w.index[k]; ok {
			continue
		}
		w.seq++
		d = cloneDelivery(d)
		d.Seq = w.seq
		w.index[k] = len(w.dels)
		w.dels = append(w.dels, d)
		n++
	}
	return n, nil
}

// DueWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]contextstore.WebhookDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("listing due webhook deliveries: %w", err)
	}
	heads := map[[2]string]bool{}
	var out []contextstore.WebhookDelivery
	for _, d := range s.webhooks().dels {
		if d.State != contextstore.DeliveryPending {
			continue
		}
		k := [2]string{d.SubscriptionID, d.Subject}
		if heads[k] {
			continue
		}
		heads[k] = true
		if !d.NextAt.After(now) && (limit <= 0 || len(out) < limit) {
			out = append(out, cloneDelivery(d))
		}
	}
	return out, nil
}

// SaveWebhookDelivery implements contextstore.WebhookStore.
func (s *Store) SaveWebhookDelivery(ctx context.Context, d contextstore.WebhookDelivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("saving webhook delivery %s to %s: %w", d.EventID, d.SubscriptionID, err)
	}
	w := s.webhooks()
	i, ok := w.index[[2]string{d.SubscriptionID, d.EventID}]
	if !ok {
		return fmt.Errorf("webhook delivery %s to %s: %w", d.EventID, d.SubscriptionID, contextstore.ErrNotFound)
	}
	cur := &w.dels[i]
	cur.Progress(d)
	return nil
}

// GetWebhookDelivery implements contextstore.WebhookStore.
func (s *Store) GetWebhookDelivery(ctx context.Context, sub, event string) (contextstore.WebhookDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return contextstore.WebhookDelivery{}, fmt.Errorf("reading webhook delivery %s to %s: %w", event, sub, err)
	}
	w := s.webhooks()
	i, ok := w.index[[2]string{sub, event}]
	if !ok {
		return contextstore.WebhookDelivery{}, fmt.Errorf("webhook delivery %s to %s: %w", event, sub, contextstore.ErrNotFound)
	}
	return cloneDelivery(w.dels[i]), nil
}

// ListWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) ListWebhookDeliveries(ctx context.Context, sub string, limit int) ([]contextstore.WebhookDelivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("listing webhook deliveries of %s: %w", sub, err)
	}
	var out []contextstore.WebhookDelivery
	dels := s.webhooks().dels
	for i := len(dels) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		if dels[i].SubscriptionID == sub {
			out = append(out, cloneDelivery(dels[i]))
		}
	}
	return out, nil
}

// WebhookCursor implements contextstore.WebhookStore.
func (s *Store) WebhookCursor(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return "", fmt.Errorf("reading the webhook cursor: %w", err)
	}
	return s.webhooks().cursor, nil
}

// AdvanceWebhookCursor implements contextstore.WebhookStore.
func (s *Store) AdvanceWebhookCursor(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("advancing the webhook cursor: %w", err)
	}
	if w := s.webhooks(); id > w.cursor {
		w.cursor = id
	}
	return nil
}
