package app

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/redis/go-redis/v9"

	actmod "github.com/chatflow/chatflow/actions/moderation"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/ipban"
	"github.com/chatflow/chatflow/internal/moderation"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/ratelimit"
	"github.com/chatflow/chatflow/internal/sanctions"
)

// redisClient is what a Redis-backed store offers the rate limiter: its
// client and its key prefix, so limits are shared by every instance on
// that Redis.
type redisClient interface {
	Client() redis.UniversalClient
	KeyPrefix() string
}

// newLimiter returns the limiter for store: redis_rate on the store's Redis
// (limits shared by all instances), else the in-process GCRA on the app's
// clock (embedded and memory stores serve one instance).
func newLimiter(store contextstore.Store, o Options) ratelimit.Limiter {
	if o.Limiter != nil {
		return o.Limiter
	}
	if rc, ok := store.(redisClient); ok {
		return ratelimit.NewRedis(rc.Client(), ratelimit.RedisOptions{KeyPrefix: rc.KeyPrefix()})
	}
	return ratelimit.NewMemory(ratelimit.MemoryOptions{Now: o.Clock})
}

func newModeration(a *App, o Options, sealer *privacy.Sealer, effects *sanctions.Effects) (*moderation.Service, error) {
	never := a.Blocking.NeverBlock()
	m, err := moderation.New(moderation.Options{
		Config:    o.Config.Moderation,
		Limiter:   newLimiter(o.Store, o),
		Store:     o.Store,
		Sanctions: automodSanctions{sanctions.ForFlows{Blocking: a.Blocking, Effects: effects}},
		Barred:    sanctions.Gate{Blocking: a.Blocking}.Barred,
		HashIP:    func(ip netip.Addr) string { return sealer.HashIP(ip) },
		Shared:    func(ip netip.Addr) bool { return ipban.IsNeverBlock(ip, never) },
		VisitorIP: a.Blocking.VisitorIP,
		Clock:     o.Clock,
		Logger:    o.Logger,
		Observer:  o.ModerationObserver,
		Events:    o.Events,
	})
	if err != nil {
		return nil, fmt.Errorf("moderation: %w", err)
	}
	return m, nil
}

// automodSanctions is moderation.Sanctioner on the pipeline's in-turn
// path (sanctions.ForFlows.InTurn), like the flow action's.
type automodSanctions struct{ sanctions.ForFlows }

var _ moderation.Sanctioner = automodSanctions{}

func (a automodSanctions) Sanction(ctx context.Context, req contextstore.BlockRequest, t moderation.Target) (*contextstore.Block, error) {
	o, err := a.InTurn(ctx, req, sanctions.Target{Conversation: t.Conversation, Now: t.Now, Reply: t.Reply, Silence: t.Silence})
	return o.Block, err
}

// moderationHook moderates every visitor message inside its turn, before
// the flows (and also while an agent is connected): the limits, the
// rules, strikes and the ladder; a sanction is applied in the turn, with
// the turn's cause. A refused message fails the turn with a
// *moderation.LimitError (the server answers 429).
type moderationHook struct{ m *moderation.Service }

var _ flows.BeforeFlowsHook = moderationHook{}

func (h moderationHook) BeforeFlows(ctx context.Context, t *flows.Turn) (bool, error) {
	if t.Event.Type != flows.EventMessage || h.m.Off() {
		return false, nil
	}
	out, err := h.m.Message(ctx, moderation.Message{Conversation: t.Conversation, Text: t.Event.Text, Cause: t.Cause(), Now: t.Now,
		Reply: t.Reply, Silence: t.Silence})
	if err != nil {
		return false, err
	}
	t.Event.Text = out.Text
	return out.Handled, nil
}

// moderationChecker is the Moderation.Check action's Checker: the worst
// standing of the conversation's subjects (the one nearest an offence;
// the most offences).
type moderationChecker struct{ m *moderation.Service }

var _ actmod.Checker = moderationChecker{}

func (c moderationChecker) Standing(ctx context.Context, conv *contextstore.Conversation, now time.Time) (actmod.Standing, error) {
	l := c.m.Ladder()
	out := actmod.Standing{Ladder: l.Strikes}
	if c.m.Off() {
		return out, nil
	}
	for i, sub := range c.m.Subjects(conv) {
		st, err := c.m.Standing(ctx, sub, now)
		if err != nil {
			return out, err
		}
		if i == 0 || st.Offences > out.Offences {
			out.Offences, out.Next = st.Offences, st.Next.String()
		}
		out.Strikes, out.Recent = max(out.Strikes, st.Strikes), max(out.Recent, st.Recent)
	}
	return out, nil
}
