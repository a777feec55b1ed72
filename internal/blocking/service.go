package blocking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/ipban"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/sortid"
)

// The channels a block can be limited to. A block without channels applies
// to all of them.
const (
	ChannelLiveChat    = "live_chat"
	ChannelContactForm = "contact_form"
	ChannelCall        = "call"
	ChannelForum       = "forum"
)

// Channels returns the known channels, in display order.
func Channels() []string {
	return []string{ChannelLiveChat, ChannelContactForm, ChannelCall, ChannelForum}
}

// The reason categories of a block (the dropdown of the block dialog).
const (
	CategoryAbusiveLanguage = "abusive_language"
	CategorySpam            = "spam"
	CategoryHarassment      = "harassment"
	CategoryFraud           = "fraud"
	CategoryTermsViolation  = "terms_violation"
	CategoryOther           = "other"
)

// Categories returns the known reason categories, in display order.
func Categories() []string {
	return []string{CategoryAbusiveLanguage, CategorySpam, CategoryHarassment, CategoryFraud, CategoryTermsViolation, CategoryOther}
}

// Audit actions written by the service (AuditEvent.Action).
const (
	ActionCreate = contextstore.AuditBlockCreate
	ActionRenew  = contextstore.AuditBlockRenew
	ActionEdit   = contextstore.AuditBlockEdit
	ActionLift   = contextstore.AuditBlockLift
	ActionPurge  = contextstore.AuditBlockPurge
)

// ActorSystem is the actor of changes the service makes by itself (purge).
const ActorSystem = "system"

// ActorFlow is the actor of a flow-made block when no agent is known.
const ActorFlow = "flow"

// Limits on free text, so one request cannot store megabytes.
const (
	maxIDLen     = 256
	maxReasonLen = 1000
	maxNotesLen  = 4000
	casAttempts  = 16
)

// DefaultRefreshInterval is the recommended Options.RefreshInterval for a
// server: another instance's ban applies here within a second.
const DefaultRefreshInterval = time.Second

// Options configure New. Sealer is required.
type Options struct {
	// Clock returns the current time; default time.Now. Tests pass
	// (*clock.Fake).Now. Expiry, retention and the refresh interval are
	// all measured on it.
	Clock func() time.Time
	// Logger defaults to zap.NewNop(); the service names it "blocking".
	Logger *zap.Logger
	// Sealer encrypts visitor IP addresses at rest and computes their
	// keyed hash; required.
	Sealer *privacy.Sealer
	// NeverBlock lists networks that are never banned: nil means
	// ipban.DefaultNeverBlock() (loopback, private, link-local, CGNAT);
	// an empty non-nil slice turns the protection off.
	NeverBlock []netip.Prefix
	// Retention is how long the personal data of a block is kept after it
	// ended (expired or lifted); default 7 days (0). Negative is invalid.
	Retention time.Duration
	// RefreshInterval is how often Check asks the store's BansVersion
	// whether another instance changed the IP bans. 0 means on every Check
	// (one cheap store read each); DefaultRefreshInterval (1s) is the
	// recommended setting for servers. Negative is invalid. Changes made
	// through this Service apply at once whatever the interval.
	RefreshInterval time.Duration
	// MaintenanceInterval is the period of Run (flush hit counts, purge);
	// default 1 minute.
	MaintenanceInterval time.Duration
	// NewTicker makes Run's ticker; default wraps time.NewTicker. Tests
	// pass a function returning a channel they send on, so Run is tested
	// without sleeping.
	NewTicker func(d time.Duration) (ticks <-chan time.Time, stop func())
	// Events receives one domain event per stored change (block created,
	// renewed, edited, lifted; ban created, lifted), after its audit
	// event; default events.Discard.
	Events events.Publisher
}

// Service is the blocking domain service. It is safe for concurrent use;
// several Service values (in one process or several) may share one store.
type Service struct {
	store     Store
	clock     func() time.Time
	log       *zap.Logger
	sealer    *privacy.Sealer
	never     []netip.Prefix
	retention time.Duration
	refresh   time.Duration
	maintain  time.Duration
	newTicker func(time.Duration) (<-chan time.Time, func())
	events    events.Publisher

	ids sortid.Generator // block ids

	// Query kinds of the hot path, allocated once (read-only).
	userKind, convKind []contextstore.BlockKind

	bans        atomic.Pointer[banSnapshot]
	writes      atomic.Int64 // ban changes made through this Service
	lastRefresh atomic.Int64 // UnixNano of the last BansVersion check
	refreshMu   sync.Mutex

	hitsMu  sync.Mutex
	pending map[string]ipban.HitStat // hits of tables swapped out, not yet flushed
}

// Store is the slice of a contextstore.Store the service uses: blocks
// (with their outbox), ChatActivityData and the audit log.
type Store interface {
	contextstore.BlockStore
	contextstore.ActivityStore
	contextstore.AuditLog
}

// New returns a Service on store. It does no I/O: the IP ban table is built
// by the first Check.
func New(store Store, o Options) (*Service, error) {
	if store == nil {
		return nil, errors.New("blocking: a store is required")
	}
	if o.Sealer == nil {
		return nil, errors.New("blocking: a privacy sealer is required (visitor IPs are encrypted at rest)")
	}
	if o.Retention < 0 {
		return nil, fmt.Errorf("blocking: retention %s is negative", o.Retention)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	never := ipban.DefaultNeverBlock()
	if o.NeverBlock != nil {
		never = slices.Clone(o.NeverBlock)
		for _, p := range never {
			if !p.IsValid() {
				return nil, fmt.Errorf("blocking: never-block prefix %v is not valid", p)
			}
		}
	}
	if o.Retention == 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.RefreshInterval < 0 {
		return nil, fmt.Errorf("blocking: refresh interval %s is negative", o.RefreshInterval)
	}
	if o.MaintenanceInterval <= 0 {
		o.MaintenanceInterval = time.Minute
	}
	if o.Events == nil {
		o.Events = events.Discard
	}
	if o.NewTicker == nil {
		o.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	s := &Service{
		store:     store,
		clock:     o.Clock,
		log:       o.Logger.Named("blocking"),
		sealer:    o.Sealer,
		never:     never,
		retention: o.Retention,
		refresh:   o.RefreshInterval,
		maintain:  o.MaintenanceInterval,
		newTicker: o.NewTicker,
		events:    o.Events,
		pending:   map[string]ipban.HitStat{},
		userKind:  []contextstore.BlockKind{contextstore.KindUser},
		convKind:  []contextstore.BlockKind{contextstore.KindConversation},
	}
	return s, nil
}

// Retention returns how long the personal data of an ended block is kept.
func (s *Service) Retention() time.Duration { return s.retention }

// NeverBlock returns the networks this service never bans.
func (s *Service) NeverBlock() []netip.Prefix { return slices.Clone(s.never) }

func (s *Service) now() time.Time { return s.clock().UTC() }

// audit appends an audit event. Audit events carry no personal data of the
// blocked person (no user id, conversation id, IP, reason or notes): the
// audit log is append-only and would otherwise outlive the retention
// period. Those live in the block record, which is purged.
func (s *Service) audit(ctx context.Context, now time.Time, action, actor string, b *contextstore.Block, details map[string]string) error {
	e := &contextstore.AuditEvent{At: now, Actor: actor, Action: action, BlockID: b.ID, Details: details}
	if b.Kind == contextstore.KindRange {
		e.Subject = b.Range
	}
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	e.Details["kind"] = string(b.Kind)
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.Error("audit event lost", zap.String("action", action), zap.String("block", b.ID), zap.Error(err))
		return fmt.Errorf("recording %s of block %s: %w: %w", action, b.ID, ErrIncomplete, err)
	}
	return nil
}

// event is the domain event of a change of b.
func event(typ string, now time.Time, actor string, b *contextstore.Block, source string, details map[string]string) events.Event {
	e := events.Event{Type: typ, At: now, Actor: actor, BlockID: b.ID, Kind: string(b.Kind),
		ConversationID: b.ConversationID, Source: source, Details: map[string]string{}}
	for k, v := range details {
		e.Details[k] = v
	}
	return e
}

// toOutbox sets b's outbox to e, so that the store writes e in the same
// atomic step as b (the transactional outbox).
func toOutbox(b *contextstore.Block, e events.Event) {
	data, _ := json.Marshal(e) // strings and a time: cannot fail
	b.Outbox = []contextstore.OutboxEvent{{Type: e.Type, At: e.At, Subject: e.BlockID, Data: data}}
}

// publish hands the domain event of a stored change (already in the
// store's outbox) to the in-process publisher, for live use; a failure is
// logged (the change and its outbox event are stored either way).
func (s *Service) publish(ctx context.Context, e events.Event) {
	if err := s.events.Publish(ctx, e); err != nil {
		s.log.Error("domain event not published", zap.String("type", e.Type), zap.String("block", e.BlockID), zap.Error(err))
	}
}

// untilText is the audit form of an end time.
func untilText(u *time.Time) string {
	if u == nil {
		return "permanent"
	}
	return u.UTC().Format(time.RFC3339)
}

// PermanentUntil is the until-time written into entity fields that cannot
// say "permanent" (ChatActivityData.LiveChatBlockedUntil and
// ConversationInfo.LiveChatBlockedUntil, where nil means "not blocked")
// when they mirror a permanent block: 9999-12-31T23:59:59Z.
func PermanentUntil() time.Time { return time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) }

// isBan reports whether k is held in the IP ban table.
func isBan(k contextstore.BlockKind) bool {
	return k == contextstore.KindIP || k == contextstore.KindRange
}
