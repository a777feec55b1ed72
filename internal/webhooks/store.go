package webhooks

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/fielderr"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/sortid"
)

// Store is what the durable webhooks need of a contextstore.Store: the
// outbox to relay and the webhook concern to keep subscriptions,
// deliveries and the relay's cursor.
type Store interface {
	contextstore.Outbox
	contextstore.WebhookStore
}

// Service manages subscriptions (their secrets sealed at rest), relays
// the outbox into deliveries, and is the durable Queue of a Dispatcher.
// It is safe for concurrent use, and several instances may share a store.
type Service struct {
	store  Store
	sealer *privacy.Sealer
	clock  func() time.Time
	ids    sortid.Generator
}

var _ Queue = (*Service)(nil)

// NewService returns a service over store; secrets are sealed with sealer.
// clock defaults to time.Now.
func NewService(store Store, sealer *privacy.Sealer, clock func() time.Time) (*Service, error) {
	if store == nil || sealer == nil {
		return nil, errors.New("webhooks: a store and a sealer are required")
	}
	if clock == nil {
		clock = time.Now
	}
	return &Service{store: store, sealer: sealer, clock: clock}, nil
}

// SubscriptionInput is a subscription's settings as staff give them.
// On update, nil fields are kept.
type SubscriptionInput struct {
	URL     *string
	Types   *[]string
	Enabled *bool
}

// validate reports every bad field at once.
func (in SubscriptionInput) validate(create bool) error {
	var pr []fielderr.Problem
	if in.URL == nil && create {
		pr = append(pr, fielderr.Problem{Field: "url", Message: "required"})
	}
	if in.URL != nil {
		u, err := url.Parse(*in.URL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			pr = append(pr, fielderr.Problem{Field: "url", Message: "must be an absolute http or https URL"})
		case u.User != nil:
			pr = append(pr, fielderr.Problem{Field: "url", Message: "must not carry credentials"})
		case len(*in.URL) > 2048:
			pr = append(pr, fielderr.Problem{Field: "url", Message: "longer than 2048 characters"})
		}
	}
	if in.Types != nil {
		known := events.Types()
		for i, t := range *in.Types {
			if !slices.Contains(known, t) {
				pr = append(pr, fielderr.Problem{Field: fmt.Sprintf("types[%d]", i), Message: fmt.Sprintf("unknown event type %q; known: %s", t, strings.Join(known, ", "))})
			}
		}
	}
	if len(pr) > 0 {
		return &fielderr.Error{Problems: pr}
	}
	return nil
}

// Create stores a new subscription with a new secret and returns it with
// the secret in text form ("whsec_…"): the only time it is shown.
// Enabled defaults to true, Types to all.
func (s *Service) Create(ctx context.Context, actor string, in SubscriptionInput) (*contextstore.WebhookSubscription, string, error) {
	if err := in.validate(true); err != nil {
		return nil, "", err
	}
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	text := FormatSecret(secret)
	sealed, err := s.sealer.Seal(text)
	if err != nil {
		return nil, "", fmt.Errorf("sealing the webhook secret: %w", err)
	}
	now := s.clock().UTC()
	sub := &contextstore.WebhookSubscription{ID: "whs_" + s.ids.New(now), URL: *in.URL, SealedSecret: sealed,
		Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: now, CreatedBy: actor, UpdatedAt: now}
	if in.Types != nil {
		sub.Types = slices.Clone(*in.Types)
	}
	if err := s.store.PutWebhookSubscription(ctx, sub); err != nil {
		return nil, "", fmt.Errorf("creating a webhook subscription: %w", err)
	}
	return sub, text, nil
}

// Update changes the given fields of a subscription.
func (s *Service) Update(ctx context.Context, id string, in SubscriptionInput) (*contextstore.WebhookSubscription, error) {
	if err := in.validate(false); err != nil {
		return nil, err
	}
	sub, err := s.store.GetWebhookSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.URL != nil {
		sub.URL = *in.URL
	}
	if in.Types != nil {
		sub.Types = slices.Clone(*in.Types)
	}
	if in.Enabled != nil {
		sub.Enabled = *in.Enabled
	}
	sub.UpdatedAt = s.clock().UTC()
	if err := s.store.PutWebhookSubscription(ctx, sub); err != nil {
		return nil, fmt.Errorf("updating webhook subscription %s: %w", id, err)
	}
	return sub, nil
}

// List returns every subscription (sealed secrets included: callers show
// neither).
func (s *Service) List(ctx context.Context) ([]*contextstore.WebhookSubscription, error) {
	return s.store.ListWebhookSubscriptions(ctx)
}

// Get returns one subscription, or contextstore.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*contextstore.WebhookSubscription, error) {
	return s.store.GetWebhookSubscription(ctx, id)
}

// Delete deletes a subscription and its delivery log.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.store.DeleteWebhookSubscription(ctx, id)
}

// Deliveries returns a subscription's delivery log, newest first (limit
// 0: all), or contextstore.ErrNotFound for an unknown subscription.
func (s *Service) Deliveries(ctx context.Context, id string, limit int) ([]contextstore.WebhookDelivery, error) {
	if _, err := s.store.GetWebhookSubscription(ctx, id); err != nil {
		return nil, err
	}
	return s.store.ListWebhookDeliveries(ctx, id, limit)
}

// Resend makes a delivery pending again, due now, with its attempts reset
// (the portal's "resend"); it keeps its webhook-id.
func (s *Service) Resend(ctx context.Context, id, eventID string) (contextstore.WebhookDelivery, error) {
	d, err := s.store.GetWebhookDelivery(ctx, id, eventID)
	if err != nil {
		return d, err
	}
	d.State, d.Attempts, d.NextAt = contextstore.DeliveryPending, 0, s.clock().UTC()
	if err := s.store.SaveWebhookDelivery(ctx, d); err != nil {
		return d, fmt.Errorf("resending %s to %s: %w", eventID, id, err)
	}
	return d, nil
}

// Relay reads up to limit outbox events after the relay's cursor, adds a
// delivery of each to every enabled subscription that wants its type
// (webhook-id = the outbox event id) and advances the cursor; it returns
// how many events it read. The add is keyed by (subscription, event), so
// a relay that dies before advancing the cursor, or another instance
// relaying the same events, enqueues nothing twice: at least once, never
// duplicated in the queue.
func (s *Service) Relay(ctx context.Context, limit int) (int, error) {
	cursor, err := s.store.WebhookCursor(ctx)
	if err != nil {
		return 0, fmt.Errorf("relaying the outbox: %w", err)
	}
	evs, err := s.store.ReadOutbox(ctx, cursor, limit)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	subs, err := s.store.ListWebhookSubscriptions(ctx)
	if err != nil {
		return 0, fmt.Errorf("relaying the outbox: %w", err)
	}
	now := s.clock().UTC()
	var ds []contextstore.WebhookDelivery
	for _, e := range evs {
		for _, sub := range subs {
			if !sub.Enabled || (len(sub.Types) > 0 && !slices.Contains(sub.Types, e.Type)) {
				continue
			}
			ds = append(ds, contextstore.WebhookDelivery{SubscriptionID: sub.ID, EventID: e.ID, Type: e.Type, Subject: e.Subject,
				At: e.At, Data: e.Data, State: contextstore.DeliveryPending, NextAt: now})
		}
	}
	if _, err := s.store.AddWebhookDeliveries(ctx, ds); err != nil {
		return 0, fmt.Errorf("relaying the outbox: %w", err)
	}
	if err := s.store.AdvanceWebhookCursor(ctx, evs[len(evs)-1].ID); err != nil {
		return 0, fmt.Errorf("relaying the outbox: %w", err)
	}
	return len(evs), nil
}

// Add implements Queue: a delivery per (subscription, message id) once.
func (s *Service) Add(ctx context.Context, ds []Delivery) error {
	out := make([]contextstore.WebhookDelivery, len(ds))
	for i, d := range ds {
		out[i] = toStore(d)
	}
	_, err := s.store.AddWebhookDeliveries(ctx, out)
	return err
}

// Due implements Queue. Deliveries of a disabled subscription wait until
// it is enabled again; their subscription's secret is unsealed here.
func (s *Service) Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	ds, err := s.store.DueWebhookDeliveries(ctx, now, 0)
	if err != nil {
		return nil, err
	}
	subs := map[string]*Subscription{}
	var out []Delivery
	for _, d := range ds {
		if len(out) >= limit && limit > 0 {
			break
		}
		sub, ok := subs[d.SubscriptionID]
		if !ok {
			sub, err = s.subscription(ctx, d.SubscriptionID)
			if err != nil && !errors.Is(err, contextstore.ErrNotFound) {
				return nil, err
			}
			subs[d.SubscriptionID] = sub
		}
		if sub == nil || !sub.Enabled {
			continue
		}
		out = append(out, fromStore(d, *sub))
	}
	return out, nil
}

// subscription loads one subscription with its secret unsealed; nil when
// it was deleted.
func (s *Service) subscription(ctx context.Context, id string) (*Subscription, error) {
	v, err := s.store.GetWebhookSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	text, err := s.sealer.Open(v.SealedSecret)
	if err != nil {
		return nil, fmt.Errorf("unsealing the secret of webhook subscription %s: %w", id, err)
	}
	secret, err := ParseSecret(text)
	if err != nil {
		return nil, fmt.Errorf("webhook subscription %s: %w", id, err)
	}
	return &Subscription{ID: v.ID, URL: v.URL, Secret: secret, Types: v.Types, Enabled: v.Enabled}, nil
}

// Save implements Queue.
func (s *Service) Save(ctx context.Context, d Delivery) error {
	return s.store.SaveWebhookDelivery(ctx, toStore(d))
}

func toStore(d Delivery) contextstore.WebhookDelivery {
	return contextstore.WebhookDelivery{SubscriptionID: d.Subscription.ID, EventID: d.Message.ID, Type: d.Message.Type,
		Subject: d.Message.Subject, At: d.Message.At, Data: d.Message.Data, Seq: d.Seq, State: d.State, Attempts: d.Attempts,
		NextAt: d.NextAt, LastStatus: d.LastStatus, LastError: d.LastError, DeliveredAt: d.DeliveredAt}
}

func fromStore(d contextstore.WebhookDelivery, sub Subscription) Delivery {
	return Delivery{Subscription: sub, Message: Message{ID: d.EventID, Type: d.Type, At: d.At, Subject: d.Subject, Data: d.Data},
		Seq: d.Seq, State: d.State, Attempts: d.Attempts, NextAt: d.NextAt, LastStatus: d.LastStatus, LastError: d.LastError, DeliveredAt: d.DeliveredAt}
}
