package contextstore

import (
	"context"
	"time"
)

// The states of a WebhookDelivery.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// WebhookSubscription is an endpoint staff subscribed to domain events.
// Its secret is stored sealed (encrypted by the service with
// internal/privacy); the store never sees it in clear.
type WebhookSubscription struct {
	ID  string `json:"ID"`
	URL string `json:"URL"`
	// SealedSecret is the signing secret, encrypted.
	SealedSecret []byte `json:"SealedSecret"`
	// Types are the event types it wants; empty: all.
	Types     []string  `json:"Types"`
	Enabled   bool      `json:"Enabled"`
	CreatedAt time.Time `json:"CreatedAt"`
	CreatedBy string    `json:"CreatedBy"`
	UpdatedAt time.Time `json:"UpdatedAt"`
}

// WebhookDelivery is one outbox event to one subscription, and how its
// delivery went. (SubscriptionID, EventID) is its key: a store keeps at
// most one delivery per pair, so relaying an event twice (a retry, two
// instances) enqueues it once.
type WebhookDelivery struct {
	SubscriptionID string `json:"SubscriptionID"`
	// EventID is the outbox event's id: the webhook-id header, the same
	// on every redelivery.
	EventID string    `json:"EventID"`
	Type    string    `json:"Type"`
	Subject string    `json:"Subject"`
	At      time.Time `json:"At"`
	Data    []byte    `json:"Data"`
	// Seq is set by the store when the delivery is added: increasing in
	// the order deliveries were added.
	Seq         int64     `json:"-"`
	State       string    `json:"State"`
	Attempts    int       `json:"Attempts"`
	NextAt      time.Time `json:"NextAt"`
	LastStatus  int       `json:"LastStatus"`
	LastError   string    `json:"LastError"`
	DeliveredAt time.Time `json:"DeliveredAt"`
}

// Progress copies the fields SaveWebhookDelivery changes (the state, the
// attempts and their outcome) from d into the stored delivery cur, with
// the times' monotonic readings dropped: the one list of them every
// backend uses.
func (cur *WebhookDelivery) Progress(d WebhookDelivery) {
	cur.State, cur.Attempts, cur.NextAt = d.State, d.Attempts, d.NextAt.Round(0)
	cur.LastStatus, cur.LastError, cur.DeliveredAt = d.LastStatus, d.LastError, d.DeliveredAt.Round(0)
}

// WebhookStore keeps webhook subscriptions, their deliveries (the
// dispatcher's queue and the delivery log) and the relay's cursor into
// the Outbox, durably.
type WebhookStore interface {
	// PutWebhookSubscription creates or replaces a subscription by ID.
	PutWebhookSubscription(ctx context.Context, s *WebhookSubscription) error
	// GetWebhookSubscription returns a subscription, or ErrNotFound.
	GetWebhookSubscription(ctx context.Context, id string) (*WebhookSubscription, error)
	// ListWebhookSubscriptions returns every subscription, by ID.
	ListWebhookSubscriptions(ctx context.Context) ([]*WebhookSubscription, error)
	// DeleteWebhookSubscription deletes a subscription and its
	// deliveries, or returns ErrNotFound.
	DeleteWebhookSubscription(ctx context.Context, id string) error

	// AddWebhookDeliveries stores new deliveries in the given order with
	// increasing Seq, skipping each one whose (SubscriptionID, EventID) is
	// stored already (or repeated in ds); it returns how many it added.
	// The whole call is one atomic step.
	AddWebhookDeliveries(ctx context.Context, ds []WebhookDelivery) (int, error)
	// DueWebhookDeliveries returns, in Seq order, up to limit pending
	// deliveries whose NextAt is not after now and which are the oldest
	// pending delivery of their subscription and subject.
	DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]WebhookDelivery, error)
	// SaveWebhookDelivery stores the new state, attempts and outcome of a
	// delivery found by (SubscriptionID, EventID), or returns ErrNotFound.
	// Its Seq and event fields are kept as stored.
	SaveWebhookDelivery(ctx context.Context, d WebhookDelivery) error
	// GetWebhookDelivery returns one delivery, or ErrNotFound.
	GetWebhookDelivery(ctx context.Context, subscriptionID, eventID string) (WebhookDelivery, error)
	// ListWebhookDeliveries returns up to limit (0: all) deliveries of a
	// subscription, newest (highest Seq) first: the delivery log.
	ListWebhookDeliveries(ctx context.Context, subscriptionID string, limit int) ([]WebhookDelivery, error)

	// WebhookCursor returns the id of the last outbox event relayed to
	// the deliveries ("": none yet).
	WebhookCursor(ctx context.Context) (string, error)
	// AdvanceWebhookCursor moves the cursor to id when id is after it
	// (outbox ids compare as strings); an older id changes nothing, so
	// several relays may advance it concurrently.
	AdvanceWebhookCursor(ctx context.Context, id string) error
}
