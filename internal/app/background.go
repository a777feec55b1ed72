package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
)

// The loops of Background, as named to BackgroundOptions.NewTicker.
const (
	// LoopMaintenance is the blocking service's maintenance: flushing the
	// IP ban hit counts and purging blocks past retention.
	LoopMaintenance = "maintenance"
	// LoopSweep is the store's deletion of expired conversations (stores
	// that keep them until swept: the embedded store).
	LoopSweep = "sweep"
	// LoopIPPurge is the removal of the sealed visitor address from
	// conversation contexts idle for longer than the retention (every
	// SweepInterval, on every store; see PurgeVisitorIPs).
	LoopIPPurge = "ip-purge"
	// LoopModeration is automatic moderation's refresh of the rules'
	// shadow/enforce modes from the store (another instance's switch).
	LoopModeration = "moderation"
)

// Default intervals of Background.
const (
	// DefaultMaintenanceInterval is the default BackgroundOptions.MaintenanceInterval.
	DefaultMaintenanceInterval = time.Minute
	// DefaultSweepInterval is the default BackgroundOptions.SweepInterval.
	DefaultSweepInterval = 10 * time.Minute
	// DefaultModerationRefreshInterval is the default
	// BackgroundOptions.ModerationRefreshInterval.
	DefaultModerationRefreshInterval = 30 * time.Second
)

// flushGrace is how long the final flush of hit counts may take once
// Background's context is done.
const flushGrace = 5 * time.Second

// BackgroundOptions configure Background. The zero value is the production
// setting.
type BackgroundOptions struct {
	// MaintenanceInterval is how often the blocking service flushes the IP
	// ban hit counts to the store and purges the personal data of blocks
	// that ended more than the retention ago; default
	// DefaultMaintenanceInterval (1 minute). Negative is invalid.
	MaintenanceInterval time.Duration
	// SweepInterval is how often a store that keeps expired conversations
	// until swept (the embedded store) deletes them; default
	// DefaultSweepInterval (10 minutes). Reads ignore expired
	// conversations anyway: the sweep only reclaims space. Negative is
	// invalid.
	SweepInterval time.Duration
	// ModerationRefreshInterval is how often automatic moderation reads
	// back the rules' shadow/enforce switches from the store, so that a
	// switch made on another instance applies here within it; default
	// DefaultModerationRefreshInterval (30 seconds). The instance that
	// switches applies it at once. Negative is invalid.
	ModerationRefreshInterval time.Duration
	// NewTicker makes the ticker of the loop named loop (LoopMaintenance,
	// LoopSweep, LoopIPPurge, LoopModeration) with period d; default wraps time.NewTicker. Tests pass a
	// function returning channels they send on, so the loops run without
	// sleeping.
	NewTicker func(loop string, d time.Duration) (ticks <-chan time.Time, stop func())
	// WebhookRelayInterval and WebhookDispatchInterval pace the webhook
	// loops (LoopWebhookRelay, LoopWebhookDispatch); defaults
	// DefaultWebhookRelayInterval and DefaultWebhookDispatchInterval.
	WebhookRelayInterval, WebhookDispatchInterval time.Duration
}

// BackgroundOptions returns the Background options of the service
// configuration (maintenance_interval, sweep_interval).
func (c Config) BackgroundOptions() BackgroundOptions {
	return BackgroundOptions{
		MaintenanceInterval: time.Duration(c.MaintenanceInterval),
		SweepInterval:       time.Duration(c.SweepInterval),

		WebhookRelayInterval:    time.Duration(c.Webhooks.RelayInterval),
		WebhookDispatchInterval: time.Duration(c.Webhooks.DispatchInterval),
	}
}

// Validate reports negative intervals, naming their configuration keys.
func (o BackgroundOptions) Validate() error {
	var errs []error
	if o.MaintenanceInterval < 0 {
		errs = append(errs, fmt.Errorf("maintenance_interval: %s is negative", o.MaintenanceInterval))
	}
	if o.SweepInterval < 0 {
		errs = append(errs, fmt.Errorf("sweep_interval: %s is negative", o.SweepInterval))
	}
	if o.ModerationRefreshInterval < 0 {
		errs = append(errs, fmt.Errorf("moderation refresh interval: %s is negative", o.ModerationRefreshInterval))
	}
	return errors.Join(errs...)
}

// sweeper is a store that deletes its expired conversations when asked.
type sweeper interface {
	Sweep(ctx context.Context) (int, error)
}

// banSubscriber is a store shared by several instances that announces
// every instance's ban changes.
type banSubscriber interface {
	SubscribeBans(ctx context.Context) (<-chan int64, func())
}

// sanctionSubscriber is a store shared by several instances that
// announces every block any instance creates or changes (its id).
type sanctionSubscriber interface {
	SubscribeSanctions(ctx context.Context) (<-chan string, func())
}

var (
	_ sweeper            = (*bolt.Store)(nil)
	_ banSubscriber      = (*redisstore.Store)(nil)
	_ sanctionSubscriber = (*redisstore.Store)(nil)
)

// Background does the system's periodic and event-driven work until ctx is
// done, then returns nil (or, at once, an error for invalid options). It
// runs, each in its own goroutine:
//
//   - the blocking maintenance, every MaintenanceInterval: flush the IP ban
//     hit counts, purge blocks past retention (see blocking.Service.Maintain);
//     when ctx is done it flushes the hit counts a last time;
//   - when the store has a Sweep method (the embedded store), the sweep of
//     expired conversations, every SweepInterval;
//   - the purge of visitor addresses from conversations idle for longer
//     than the retention (PurgeVisitorIPs), every SweepInterval;
//   - the webhook relay (outbox → deliveries, every WebhookRelayInterval)
//     and dispatcher (due deliveries → receivers, every
//     WebhookDispatchInterval); see internal/webhooks;
//   - when the store has a SubscribeBans method (Redis), a refresh of the
//     in-memory IP ban table on every ban change another instance (or this
//     one) publishes, so that a ban made anywhere applies here at once.
//     A missed message costs nothing but promptness: the subscription
//     delivers the current version when it (re)connects, and Check
//     compares the store's bans version with its table's on its own
//     refresh interval;
//   - when automatic moderation is on, a refresh of the rules'
//     shadow/enforce modes every ModerationRefreshInterval, so that an
//     admin's switch on another instance applies here within it.
//
// Errors inside the loops are logged, not returned: one failed round does
// not stop the work. Background returns once every loop has stopped, so
// the caller may close the store after it returns.
func (a *App) Background(ctx context.Context, o BackgroundOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.MaintenanceInterval == 0 {
		o.MaintenanceInterval = DefaultMaintenanceInterval
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.WebhookRelayInterval <= 0 {
		o.WebhookRelayInterval = DefaultWebhookRelayInterval
	}
	if o.WebhookDispatchInterval <= 0 {
		o.WebhookDispatchInterval = DefaultWebhookDispatchInterval
	}
	if o.ModerationRefreshInterval == 0 {
		o.ModerationRefreshInterval = DefaultModerationRefreshInterval
	}
	if o.NewTicker == nil {
		o.NewTicker = func(_ string, d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	log := a.Logger.Named("background")
	var wg sync.WaitGroup
	wg.Go(func() { a.maintenanceLoop(ctx, log, o) })
	fields := []zap.Field{zap.Duration("maintenance_interval", o.MaintenanceInterval), zap.Duration("retention", a.Blocking.Retention())}
	if s, ok := a.Store.(sweeper); ok {
		wg.Go(func() { sweepLoop(ctx, log, s, o) })
		fields = append(fields, zap.Duration("sweep_interval", o.SweepInterval))
	}
	if s, ok := a.Store.(banSubscriber); ok {
		wg.Go(func() { a.banLoop(ctx, log, s) })
		fields = append(fields, zap.Bool("ban_notifications", true))
	}
	wg.Go(func() { a.ipPurgeLoop(ctx, log, o) })
	if !a.Moderation.Off() {
		wg.Go(func() { a.moderationLoop(ctx, log, o) })
		fields = append(fields, zap.Duration("moderation_refresh_interval", o.ModerationRefreshInterval))
	}
	// The sanctions a flow made, applied to the other chats they cover.
	wg.Go(func() { a.Sanctions.Run(ctx) })
	if s, ok := a.Store.(sanctionSubscriber); ok {
		wg.Go(func() { a.sanctionLoop(ctx, log, s) })
		fields = append(fields, zap.Bool("sanction_feed", true))
	}
	// Domain events from the outbox to the webhook subscribers.
	wg.Go(func() { a.webhookRelayLoop(ctx, log, o) })
	wg.Go(func() { a.webhookDispatchLoop(ctx, log, o) })
	log.Info("background work started", fields...)
	wg.Wait()
	log.Info("background work stopped")
	return nil
}

// every runs round on each tick of the loop named loop (period d) until
// ctx ends: the one ticker loop of the background work.
func (o BackgroundOptions) every(ctx context.Context, loop string, d time.Duration, round func()) {
	ticks, stop := o.NewTicker(loop, d)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			round()
		}
	}
}

// maintenanceLoop runs the blocking maintenance on its ticker.
func (a *App) maintenanceLoop(ctx context.Context, log *zap.Logger, o BackgroundOptions) {
	o.every(ctx, LoopMaintenance, o.MaintenanceInterval, func() {
		a.Blocking.Maintain(ctx) // logs what it purged and any error
	})
	// Keep the hits counted since the last round.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushGrace)
	defer cancel()
	if err := a.Blocking.FlushHits(fctx); err != nil {
		log.Warn("final flush of ip ban hit counts failed", zap.Error(err))
	}
}

// moderationLoop refreshes the rules' modes on its ticker.
func (a *App) moderationLoop(ctx context.Context, log *zap.Logger, o BackgroundOptions) {
	o.every(ctx, LoopModeration, o.ModerationRefreshInterval, func() {
		if err := a.Moderation.RefreshModes(ctx); err != nil && ctx.Err() == nil {
			log.Warn("refreshing the moderation rules' modes failed", zap.Error(err))
		}
	})
}

// sweepLoop deletes the store's expired conversations on its ticker.
func sweepLoop(ctx context.Context, log *zap.Logger, s sweeper, o BackgroundOptions) {
	o.every(ctx, LoopSweep, o.SweepInterval, func() {
		n, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
		case err != nil:
			log.Warn("sweeping expired conversations failed; retrying at the next tick", zap.Int("deleted", n), zap.Error(err))
		case n > 0:
			log.Info("swept expired conversations", zap.Int("deleted", n))
		default:
			if ce := log.Check(zap.DebugLevel, "swept expired conversations"); ce != nil {
				ce.Write(zap.Int("deleted", 0))
			}
		}
	})
}

// sanctionLoop applies every block another instance (or this one) made or
// changed to the conversations it covers, as the store's change feed
// announces it: the second path of the sanctions pipeline, so that a
// sanction reaches every chat even when the instance that made it stops
// right after. Applying is idempotent.
func (a *App) sanctionLoop(ctx context.Context, log *zap.Logger, s sanctionSubscriber) {
	ids, stop := s.SubscribeSanctions(ctx)
	defer stop()
	for id := range ids {
		v, err := a.Blocking.Get(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("loading an announced sanction", zap.String("block", id), zap.Error(err))
			}
			continue
		}
		if k := v.Block.Kind; k == contextstore.KindIP || k == contextstore.KindRange {
			// The decision must see the ban: the ban table may not have
			// followed the ban channel yet.
			if err := a.Blocking.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("refreshing the ip ban table for an announced ban", zap.String("block", id), zap.Error(err))
			}
		}
		_ = a.Sanctions.Apply(ctx, v.Block) // logs its failures
	}
}

// banLoop refreshes the IP ban table on every published bans version.
func (a *App) banLoop(ctx context.Context, log *zap.Logger, s banSubscriber) {
	versions, stop := s.SubscribeBans(ctx)
	defer stop()
	for v := range versions {
		err := a.Blocking.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("refreshing the ip ban table after a ban change failed; Check catches up on its next refresh",
				zap.Int64("bans_version", v), zap.Error(err))
		default:
			if ce := log.Check(zap.DebugLevel, "ip ban table up to date after a ban change"); ce != nil {
				ce.Write(zap.Int64("bans_version", v))
			}
		}
	}
}
