package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Defaults of Options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 8
	DefaultBaseBackoff = 5 * time.Second
	DefaultMaxBackoff  = time.Hour
)

// The states of a Delivery.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateDead      = "dead"
)

// ErrPrivateTarget is returned (wrapped) for a delivery to a loopback,
// private, link-local or unspecified address when they are not allowed.
var ErrPrivateTarget = errors.New("webhooks: target address is not public")

// Message is one event to deliver.
type Message struct {
	// ID is the webhook-id header: the event's id, the same on every
	// redelivery.
	ID string `json:"id"`
	// Type is the event type ("block.created").
	Type string `json:"type"`
	// At is when the event happened.
	At time.Time `json:"at"`
	// Subject orders deliveries: those of one subject (a block id) go
	// out in the order they were enqueued.
	Subject string `json:"subject"`
	// Data is the event's payload.
	Data json.RawMessage `json:"data"`
}

// Body is the JSON a receiver gets: {"type", "timestamp", "data"}.
func (m Message) Body() ([]byte, error) {
	return json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{m.Type, m.At.UTC().Format(time.RFC3339Nano), m.Data})
}

// Subscription is an endpoint that wants some event types.
type Subscription struct {
	ID     string
	URL    string
	Secret []byte
	// Types are the event types it wants; empty: all.
	Types   []string
	Enabled bool
}

// Wants reports whether s is enabled and wants events of type typ.
func (s Subscription) Wants(typ string) bool {
	return s.Enabled && (len(s.Types) == 0 || slices.Contains(s.Types, typ))
}

// Delivery is one message to one subscription, and how its delivery went.
type Delivery struct {
	Subscription Subscription
	Message      Message
	// Seq orders deliveries (set by the Queue when added).
	Seq         int64
	State       string
	Attempts    int
	NextAt      time.Time
	LastStatus  int
	LastError   string
	DeliveredAt time.Time
}

// Queue keeps the deliveries (the outbox of webhooks): a durable store
// implements it so that nothing is lost across a restart.
type Queue interface {
	// Add stores new pending deliveries, giving them increasing Seq.
	Add(ctx context.Context, ds []Delivery) error
	// Due returns up to limit pending deliveries whose NextAt is not
	// after now and which are the oldest pending delivery of their
	// subscription and subject (so a subject's deliveries stay in order).
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// Save stores the new state of a delivery (found by subscription id
	// and Seq).
	Save(ctx context.Context, d Delivery) error
}

// Options configure New.
type Options struct {
	// Queue keeps the deliveries; required.
	Queue Queue
	// Timeout bounds one attempt; default DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is dead;
	// default DefaultMaxAttempts.
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the exponential backoff between
	// attempts (full jitter: a random wait up to base×2^(attempt-1),
	// capped); defaults DefaultBaseBackoff and DefaultMaxBackoff.
	BaseBackoff, MaxBackoff time.Duration
	// AllowPrivate lets deliveries go to loopback, private and link-local
	// addresses (tests, or an intranet receiver the operator trusts).
	AllowPrivate bool
	// Clock defaults to time.Now; Jitter (a number in [0, 1)) to
	// math/rand/v2.Float64. Tests pass fixed ones.
	Clock  func() time.Time
	Jitter func() float64
	// Logger defaults to zap.NewNop(); it is named "webhooks".
	Logger *zap.Logger
}

// Dispatcher signs and delivers webhooks. It is safe for concurrent use.
type Dispatcher struct {
	o      Options
	client *http.Client
	log    *zap.Logger
}

// New returns a dispatcher.
func New(o Options) (*Dispatcher, error) {
	if o.Queue == nil {
		return nil, errors.New("webhooks: a queue is required")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = DefaultBaseBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	dialer := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{DialContext: dialer.DialContext, Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute}
	client := &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		// A redirect would deliver the signed body somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Dispatcher{o: o, client: client, log: o.Logger.Named("webhooks")}, nil
}

// refusePrivate refuses connections to addresses that are not public; it
// runs on the resolved address, so a name cannot point around it.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("%w: %s", ErrPrivateTarget, host)
	}
	return nil
}

// Enqueue adds a delivery of m for every subscription of subs that wants
// its type.
func (d *Dispatcher) Enqueue(ctx context.Context, subs []Subscription, m Message) error {
	var ds []Delivery
	now := d.o.Clock()
	for _, s := range subs {
		if s.Wants(m.Type) {
			ds = append(ds, Delivery{Subscription: s, Message: m, State: StatePending, NextAt: now})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	return d.o.Queue.Add(ctx, ds)
}

// RunOnce makes one attempt at every due delivery (up to limit) and
// returns how many it attempted. Run calls it periodically; tests call it
// with a fake clock.
func (d *Dispatcher) RunOnce(ctx context.Context, limit int) (int, error) {
	due, err := d.o.Queue.Due(ctx, d.o.Clock(), limit)
	if err != nil {
		return 0, fmt.Errorf("listing due webhooks: %w", err)
	}
	var errs []error
	for _, del := range due {
		d.attempt(ctx, &del)
		if err := d.o.Queue.Save(ctx, del); err != nil {
			errs = append(errs, fmt.Errorf("saving delivery %s to %s: %w", del.Message.ID, del.Subscription.ID, err))
		}
	}
	return len(due), errors.Join(errs...)
}

// Run delivers until ctx is done, looking for due deliveries every
// interval.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx, 100); err != nil && ctx.Err() == nil {
			d.log.Warn("delivering webhooks", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// attempt sends del once and records the outcome in it.
func (d *Dispatcher) attempt(ctx context.Context, del *Delivery) {
	now := d.o.Clock()
	del.Attempts++
	status, err := d.send(ctx, del.Subscription, del.Message, now)
	del.LastStatus = status
	if err == nil {
		del.State, del.DeliveredAt, del.LastError = StateDelivered, now, ""
		return
	}
	del.LastError = err.Error()
	if del.Attempts >= d.o.MaxAttempts || errors.Is(err, ErrPrivateTarget) {
		del.State = StateDead
		d.log.Warn("webhook delivery dead", zap.String("subscription", del.Subscription.ID),
			zap.String("webhook_id", del.Message.ID), zap.Int("attempts", del.Attempts), zap.Error(err))
		return
	}
	del.NextAt = now.Add(d.backoff(del.Attempts))
}

// backoff is the wait after attempt n (1-based): full jitter up to
// base×2^(n-1), capped at MaxBackoff, and at least a tenth of the base.
func (d *Dispatcher) backoff(n int) time.Duration {
	ceiling := d.o.MaxBackoff
	if n < 40 {
		if c := d.o.BaseBackoff << (n - 1); c > 0 && c < ceiling {
			ceiling = c
		}
	}
	return max(time.Duration(d.o.Jitter()*float64(ceiling)), d.o.BaseBackoff/10)
}

// send POSTs one signed message; a status outside 2xx is an error.
func (d *Dispatcher) send(ctx context.Context, s Subscription, m Message, now time.Time) (int, error) {
	body, err := m.Body()
	if err != nil {
		return 0, fmt.Errorf("encoding the body: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chatflow-webhooks/1")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(s.Secret, m.ID, now, body))
	res, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("receiver answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}
