// Package app wires chatflow together: the store, the blocking and
// helpdesk services, the action registry with the built-in actions, the
// flow loader and the executor. cmd/chatflow (serve, run, test) and the
// example tests build their system here, so every entry point runs the same
// wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/actions/helpdesk"
	actmod "github.com/chatflow/chatflow/actions/moderation"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/agentdesk"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/moderation"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/queue"
	"github.com/chatflow/chatflow/internal/ratelimit"
	"github.com/chatflow/chatflow/internal/sanctions"
	"github.com/chatflow/chatflow/internal/webhooks"
	"github.com/chatflow/chatflow/internal/workinghours"
)

// Options configure New. Store and FlowPaths are required.
type Options struct {
	Store     contextstore.Store
	FlowPaths []string
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
	Config Config
	// Hooks are extra executor hooks (e.g. metrics), run after the built-in ones.
	Hooks []flows.Hook
	// EncryptionKey is used when neither the config nor
	// CHATFLOW_ENCRYPTION_KEY gives one; nil means a random key (fine for
	// tests and `chatflow run`, whose data does not outlive the process).
	EncryptionKey []byte
	// Events receives the domain events (block created, lifted, …;
	// conversation blocked); nil drops them.
	Events events.Publisher
	// Actions are added to the built-in internal actions (a binary built
	// on chatflow's root package adds its own).
	Actions []actions.Spec
	// Limiter overrides the rate limiter of automatic moderation (default:
	// redis_rate on a Redis store, else in-process on Clock).
	Limiter ratelimit.Limiter
	// ModerationObserver receives moderation's metrics (rule hits, limiter
	// latency, strikes); nil: none.
	ModerationObserver moderation.Observer
}

// App is a wired chatflow system.
type App struct {
	Store    contextstore.Store
	Registry *actions.Registry
	Loader   *flows.Loader
	Executor *flows.Executor
	Blocking *blocking.Service
	Queue    *queue.Service
	// Sanctions is the sanctions pipeline: every staff block goes
	// through it, and it applies flow-made blocks to the other
	// conversations they cover (see Background).
	Sanctions *sanctions.Pipeline
	// Desk is the agent desk: take, say, disconnect, direct block.
	Desk *agentdesk.Desk
	// Moderation is automatic moderation: rate limits, rules, strikes.
	Moderation *moderation.Service
	Hours      *workinghours.Schedules // the queues' working hours (their own, else working_hours)
	// Webhooks manages the webhook subscriptions, relays the outbox into
	// deliveries and keeps them; Dispatcher delivers them (see Background).
	Webhooks   *webhooks.Service
	Dispatcher *webhooks.Dispatcher
	Logger     *zap.Logger
	Clock      func() time.Time
	// Warnings are the non-fatal lint findings of the loaded flows.
	Warnings flows.Problems

	flowPaths []string
	reloadMu  sync.Mutex
}

// New builds the services and the registry, loads and checks the flows and
// returns the wired system. Flow errors are returned as a *flows.LoadError.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Store == nil {
		return nil, errors.New("app: a store is required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	a := &App{Store: o.Store, Logger: o.Logger, Clock: o.Clock, flowPaths: slices.Clone(o.FlowPaths)}
	key, err := encryptionKey(o)
	if err != nil {
		return nil, err
	}
	sealer, err := privacy.New(key)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	never, err := neverBlock(o.Config)
	if err != nil {
		return nil, err
	}
	publisher := o.Events
	if publisher == nil {
		publisher = events.Discard
	}
	a.Blocking, err = blocking.New(o.Store, blocking.Options{
		Clock:      o.Clock,
		Logger:     o.Logger,
		Sealer:     sealer,
		NeverBlock: never,
		Retention:  time.Duration(o.Config.Retention),
		// Another instance's ban changes are seen within a second (at once
		// with Background's pub/sub); this instance's own changes at once.
		RefreshInterval: blocking.DefaultRefreshInterval,
		Events:          publisher,
	})
	if err != nil {
		return nil, err
	}
	if a.Hours, err = workinghours.NewSchedules(o.Config.WorkingHours, o.Config.QueueHours()); err != nil {
		return nil, err
	}
	a.Queue = queue.New(o.Store)
	effects, err := sanctions.NewEffects(sanctions.EffectsOptions{
		Queue: a.Queue, BlockedTextFor: o.Config.BlockedMessage.For, Events: publisher, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}

	if a.Moderation, err = newModeration(a, o, sealer, effects); err != nil {
		return nil, err
	}
	if err := newWebhooks(a, o, sealer); err != nil {
		return nil, err
	}

	a.Registry = actions.NewRegistry()
	helpdesk.Register(a.Registry, helpdesk.Deps{
		Sanctions: sanctions.ForFlows{Blocking: a.Blocking, Effects: effects},
		Gate:      sanctions.Gate{Blocking: a.Blocking},
		Queue:     a.Queue,
		Hours:     a.Hours,
	})
	actmod.Register(a.Registry, actmod.Deps{Checker: moderationChecker{a.Moderation}})
	for _, spec := range o.Actions {
		a.Registry.Register(spec)
	}
	// Every action gets its dependencies now, with the runtime's context:
	// a broken one stops the start, not the first turn that calls it.
	if err := a.Registry.Provision(ctx); err != nil {
		return nil, fmt.Errorf("provisioning actions: %w", err)
	}
	if a.Loader, err = flows.NewLoader(a.Registry); err != nil {
		return nil, err
	}
	a.Loader.Languages = o.Config.Widget.Languages
	set, probs := a.Loader.Load(o.FlowPaths...)
	if err := probs.Err(); err != nil {
		return nil, fmt.Errorf("loading flows: %w", err)
	}
	a.Warnings = probs
	a.Executor, err = flows.NewExecutor(set, flows.Options{
		Store:    o.Store,
		Registry: a.Registry,
		Logger:   o.Logger,
		Clock:    o.Clock,
		// The sealer comes first: the executor never stores a visitor
		// address except through it, sealed.
		Hooks: append([]flows.Hook{visitorIPHook{a.Blocking}, sanctions.Gate{Blocking: a.Blocking}, liftHook{a.Blocking}, moderationHook{a.Moderation}}, o.Hooks...),
	})
	if err != nil {
		return nil, err
	}
	a.Sanctions, err = sanctions.New(a.Executor, sanctions.Options{
		Blocking: a.Blocking, Effects: effects, Conversations: o.Store, Logger: o.Logger, Clock: o.Clock,
	})
	if err != nil {
		return nil, err
	}
	a.Desk = agentdesk.New(a.Executor, a.Queue, a.Sanctions, o.Logger)
	return a, nil
}

// Close releases what the app's actions hold (their io.Closer); the
// caller closes the store after it.
func (a *App) Close() error { return a.Registry.Close() }

// ReloadFlows loads the flow paths again and, only if the whole new set is
// valid, makes it the executor's flows (SIGHUP and POST
// /v1/admin/flows/reload). Running conversations stay on the version they
// started with: older versions are kept, and a flow whose content changed
// under the same version is refused. On any error the old set is kept and
// a *flows.LoadError lists every problem; otherwise it returns the
// warnings and the number of flows now loaded (all versions).
func (a *App) ReloadFlows() (int, flows.Problems, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	set, probs := a.Loader.Load(a.flowPaths...)
	if probs.HasErrors() {
		return 0, nil, &flows.LoadError{Problems: probs}
	}
	if mp := a.Executor.Reload(set); mp.HasErrors() {
		return 0, nil, &flows.LoadError{Problems: mp}
	}
	n := len(a.Executor.Flows().Flows())
	a.Logger.Info("flows reloaded", zap.Int("flows", n), zap.Int("warnings", len(probs)))
	return n, probs, nil
}

// NewRegistry returns a registry with every built-in action registered but
// no services behind them: enough to lint flows and list actions.
func NewRegistry(extra ...actions.Spec) *actions.Registry {
	r := actions.NewRegistry()
	helpdesk.Register(r, helpdesk.Deps{})
	actmod.Register(r, actmod.Deps{})
	for _, spec := range extra {
		r.Register(spec)
	}
	return r
}

func encryptionKey(o Options) ([]byte, error) {
	if s := os.Getenv("CHATFLOW_ENCRYPTION_KEY"); s != "" {
		k, err := privacy.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("CHATFLOW_ENCRYPTION_KEY: %w", err)
		}
		return k, nil
	}
	if o.Config.EncryptionKey != "" {
		k, err := privacy.ParseKey(o.Config.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("encryption_key: %w", err)
		}
		return k, nil
	}
	if o.EncryptionKey != nil {
		return o.EncryptionKey, nil
	}
	return privacy.NewKey(), nil
}

func neverBlock(c Config) ([]netip.Prefix, error) {
	if c.NeverBlock == nil {
		return nil, nil
	}
	out := []netip.Prefix{}
	for _, s := range *c.NeverBlock {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("never_block: %q: %w", s, err)
		}
		out = append(out, p)
	}
	return out, nil
}
