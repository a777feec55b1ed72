package app

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/webhooks"
)

// Default intervals of the webhook loops of Background.
const (
	// DefaultWebhookRelayInterval is how often the outbox is relayed to
	// the webhook deliveries when webhooks.relay_interval is not set.
	DefaultWebhookRelayInterval = time.Second
	// DefaultWebhookDispatchInterval is how often due deliveries are
	// attempted when webhooks.dispatch_interval is not set.
	DefaultWebhookDispatchInterval = time.Second
)

// The webhook loops of Background, as named to BackgroundOptions.NewTicker.
const (
	LoopWebhookRelay    = "webhook_relay"
	LoopWebhookDispatch = "webhook_dispatch"
)

// WebhooksConfig configures the delivery of domain events to webhook
// subscribers (the subscriptions themselves are managed in the admin API).
type WebhooksConfig struct {
	// AllowPrivate lets deliveries go to loopback, private and link-local
	// addresses (an intranet receiver, tests); default false.
	AllowPrivate bool `yaml:"allow_private"`
	// RelayInterval is how often the outbox is read into deliveries
	// (default 1s).
	RelayInterval Duration `yaml:"relay_interval"`
	// DispatchInterval is how often due deliveries are attempted
	// (default 1s).
	DispatchInterval Duration `yaml:"dispatch_interval"`
	// Timeout bounds one attempt (default 10s).
	Timeout Duration `yaml:"timeout"`
	// MaxAttempts is how many attempts a delivery gets before it is dead
	// (default 8).
	MaxAttempts int `yaml:"max_attempts"`
}

// newWebhooks builds the webhook service (subscriptions, relay, durable
// queue) and its dispatcher on the app's store.
func newWebhooks(a *App, o Options, sealer *privacy.Sealer) error {
	svc, err := webhooks.NewService(o.Store, sealer, o.Clock)
	if err != nil {
		return err
	}
	c := o.Config.Webhooks
	if c.RelayInterval < 0 || c.DispatchInterval < 0 || c.Timeout < 0 || c.MaxAttempts < 0 {
		return fmt.Errorf("webhooks: intervals, timeout and max_attempts must not be negative")
	}
	d, err := webhooks.New(webhooks.Options{Queue: svc, Timeout: time.Duration(c.Timeout), MaxAttempts: c.MaxAttempts,
		AllowPrivate: c.AllowPrivate, Clock: o.Clock, Logger: o.Logger})
	if err != nil {
		return err
	}
	a.Webhooks, a.Dispatcher = svc, d
	return nil
}

// webhookBatch is how many outbox events one relay round reads and how
// many deliveries one dispatch round attempts.
const webhookBatch = 100

// webhookRelayLoop relays the outbox into deliveries on its ticker, until
// a round finds nothing new.
func (a *App) webhookRelayLoop(ctx context.Context, log *zap.Logger, o BackgroundOptions) {
	o.every(ctx, LoopWebhookRelay, o.WebhookRelayInterval, func() {
		for {
			n, err := a.Webhooks.Relay(ctx, webhookBatch)
			if err != nil && ctx.Err() == nil {
				log.Warn("relaying the outbox to webhooks failed; retrying at the next tick", zap.Error(err))
			}
			if err != nil || n < webhookBatch {
				return
			}
		}
	})
}

// webhookDispatchLoop attempts the due deliveries on its ticker.
func (a *App) webhookDispatchLoop(ctx context.Context, log *zap.Logger, o BackgroundOptions) {
	o.every(ctx, LoopWebhookDispatch, o.WebhookDispatchInterval, func() {
		if _, err := a.Dispatcher.RunOnce(ctx, webhookBatch); err != nil && ctx.Err() == nil {
			log.Warn("delivering webhooks failed; retrying at the next tick", zap.Error(err))
		}
	})
}
