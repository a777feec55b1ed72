package moderation

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/moderation/match"
	"github.com/chatflow/chatflow/internal/ratelimit"
)

// The kinds of strike (contextstore.Strike.Kind).
const (
	KindRate     = "rate"     // a refused request
	KindRule     = "rule"     // a watched-word rule hit
	KindAgent    = "agent"    // an agent's warning
	KindSanction = "sanction" // an offence the ladder sanctioned (under "ladder:<subject>")
	KindHit      = "hit"      // a rule's hit log entry (under "rule:<id>")
)

// Audit actions written by the service.
const (
	AuditFlag         = "automod.flag"
	AuditShadow       = "automod.shadow"
	AuditClearStrikes = "automod.strikes.clear"
	AuditRuleMode     = "automod.rule.mode"
	AuditRelease      = "automod.release"
)

// EventFlagged is the domain event of a flag rule's hit.
const EventFlagged = "moderation.flagged"

// HitLogKeep is how long a rule's hits are kept for the portal.
const HitLogKeep = 30 * 24 * time.Hour

// Store is what the service needs of a store: strikes and the audit log.
type Store interface {
	contextstore.StrikeStore
	contextstore.AuditLog
}

// Target is the conversation a sanction is applied to, inside the caller's
// turn (a flows.Turn provides Reply and Silence).
type Target struct {
	Conversation *contextstore.Conversation
	Now          time.Time
	Reply        func(text string)
	Silence      func()
}

// Sanctioner records a sanction through the sanctions pipeline and applies
// its effects to the target in the caller's turn (the root adapts
// blocking.Service.Sanction and sanctions.Effects.Apply).
type Sanctioner interface {
	Sanction(ctx context.Context, req contextstore.BlockRequest, t Target) (*contextstore.Block, error)
}

// Observer is told what the service does, for metrics; every method must
// be cheap and safe for concurrent use.
type Observer interface {
	// RuleHit: a rule matched; shadow when it only recorded the hit.
	RuleHit(rule, action string, shadow bool)
	// LimitChecked: one limiter call, its outcome and latency.
	LimitChecked(limit string, allowed bool, took time.Duration)
	// StrikeAdded: a strike of kind was recorded.
	StrikeAdded(kind string)
	// Sanctioned: the ladder or a block rule sanctioned (actor automod:…).
	Sanctioned(rule string)
}

type nopObserver struct{}

func (nopObserver) RuleHit(string, string, bool)             {}
func (nopObserver) LimitChecked(string, bool, time.Duration) {}
func (nopObserver) StrikeAdded(string)                       {}
func (nopObserver) Sanctioned(string)                        {}

// Options configure New. Limiter, Store and HashIP are required;
// Sanctions is required for block rules and the ladder to sanction.
type Options struct {
	Config    Config
	Limiter   ratelimit.Limiter
	Store     Store
	Sanctions Sanctioner
	// Barred is the blocking service's one decision for a conversation:
	// a barred visitor is still rate limited but gets no more strikes
	// (a blocked flood does not climb the ladder). Nil: never barred.
	Barred func(ctx context.Context, c *contextstore.Conversation) (bool, error)
	// HashIP is the keyed hash of a visitor address (privacy.Sealer.HashIP):
	// subjects never hold a clear IP.
	HashIP func(netip.Addr) string
	// VisitorIP opens the sealed visitor address of a conversation
	// (blocking.Service.VisitorIP): contexts hold only the ciphertext. Nil:
	// conversations have no known address, so no per-IP subject.
	VisitorIP func(*contextstore.Conversation) netip.Addr
	// Shared reports addresses that stand for many visitors (the
	// never-block networks): they are no subject, and the per-IP limits
	// do not apply to them. Nil: none.
	Shared func(netip.Addr) bool
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Logger defaults to zap.NewNop(); it is named "moderation".
	Logger *zap.Logger
	// Observer defaults to one that ignores everything.
	Observer Observer
	// Events receives moderation.flagged; default events.Discard.
	Events events.Publisher
}

// Service is automatic moderation: rate limits, watched-word rules,
// strikes and the ladder. It is safe for concurrent use.
type Service struct {
	o       Options
	log     *zap.Logger
	off     bool
	limits  map[string]ratelimit.Limit
	ladder  Ladder
	periods []contextstore.Period
	warning string
	rules   []Rule
	ruleIdx map[string]int
	matcher *match.Matcher

	mu     sync.RWMutex
	shadow map[string]bool // rule id -> shadow, as switched in the portal

	recent decisions
}

// New checks the configuration (every problem at once, wrapping
// ErrConfig) and returns the service.
func New(o Options) (*Service, error) {
	if o.Limiter == nil || o.Store == nil || o.HashIP == nil {
		return nil, errors.New("moderation: a limiter, a store and an IP hasher are required")
	}
	if err := o.Config.Check().Err(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Events == nil {
		o.Events = events.Discard
	}
	s := &Service{o: o, log: o.Logger.Named("moderation"), off: o.Config.Off, limits: map[string]ratelimit.Limit{},
		ladder: o.Config.ladder(), warning: o.Config.Warning, rules: slices.Clone(o.Config.Rules),
		ruleIdx: map[string]int{}, shadow: map[string]bool{}}
	if s.warning == "" {
		s.warning = DefaultWarning
	}
	for name, l := range o.Config.limitMap(true) {
		s.limits[name] = l.RateLimit()
	}
	for _, p := range s.ladder.Periods {
		pp, _ := blocking.ParsePeriod(p) // checked
		s.periods = append(s.periods, pp)
	}
	mr := make([]match.Rule, len(s.rules))
	for i, r := range s.rules {
		s.ruleIdx[r.ID] = i
		s.shadow[r.ID] = r.Shadow
		mr[i] = match.Rule{ID: r.ID, Action: match.Action(r.Action), Words: r.Words, Patterns: r.Patterns}
	}
	var err error
	if s.matcher, err = match.Compile(mr); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return s, nil
}

// Off reports whether moderation is disabled.
func (s *Service) Off() bool { return s == nil || s.off }

// Ladder returns the ladder in force (defaults filled in).
func (s *Service) Ladder() Ladder { return s.ladder }

// Limits returns the limits in force by name.
func (s *Service) Limits() map[string]ratelimit.Limit {
	out := make(map[string]ratelimit.Limit, len(s.limits))
	for k, v := range s.limits {
		out[k] = v
	}
	return out
}

// VisitorSubject is the subject of a conversation's visitor: "user:<id>"
// when signed in, else "ip:<keyed hash>" of the visitor IP, else "" (no
// IP known).
func (s *Service) VisitorSubject(c *contextstore.Conversation) string {
	if c.User.IsAuthenticated && c.User.UserID != "" {
		return "user:" + c.User.UserID
	}
	if s.o.VisitorIP == nil {
		return ""
	}
	return s.ipSubject(s.o.VisitorIP(c))
}

// IPSubject is the subject of a visitor address: "ip:<keyed hash>", or ""
// for an address that does not parse or is shared (Options.Shared: the
// never-block networks — loopback, private, carrier-grade NAT — are many
// people, or a proxy whose X-Forwarded-For is not trusted, not one).
func (s *Service) IPSubject(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	return s.ipSubject(a)
}

// ipSubject is IPSubject of a parsed address; "" for the zero Addr.
func (s *Service) ipSubject(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	a = a.Unmap()
	if s.o.Shared != nil && s.o.Shared(a) {
		return ""
	}
	return "ip:" + s.o.HashIP(a)
}

// ConversationSubject is the subject of a conversation: "conv:<id>".
func ConversationSubject(id string) string { return "conv:" + id }

// Subjects are the subjects a conversation's violations count against:
// the visitor's (if known) and the conversation's.
func (s *Service) Subjects(c *contextstore.Conversation) []string {
	out := make([]string, 0, 2)
	if v := s.VisitorSubject(c); v != "" {
		out = append(out, v)
	}
	return append(out, ConversationSubject(c.ID))
}

// Allow checks the named limit for key and returns a *LimitError when it
// refuses; a limit that is off (or unknown) always allows. Limiter
// failures are logged and allow the request: moderation must not take the
// chat down with its store.
func (s *Service) Allow(ctx context.Context, name, key string) error {
	if s.Off() {
		return nil
	}
	l, ok := s.limits[name]
	if !ok {
		return nil
	}
	start := time.Now()
	res, err := s.o.Limiter.Allow(ctx, name+":"+key, l)
	s.o.Observer.LimitChecked(name, err != nil || res.OK(), time.Since(start))
	if err != nil {
		s.log.Warn("rate limiter failed; allowing the request", zap.String("limit", name), zap.Error(err))
		return nil
	}
	if !res.OK() {
		return &LimitError{Limit: name, RetryAfter: res.RetryAfter}
	}
	return nil
}

// CheckStart applies the new-conversations limit to an anonymous start from
// ip; a refusal is a strike against the address (there is no conversation
// to sanction yet, so the ladder waits for the visitor's next offence).
func (s *Service) CheckStart(ctx context.Context, ip, cause string) error {
	subject := s.IPSubject(ip)
	if s.Off() || subject == "" {
		return nil
	}
	err := s.Allow(ctx, LimitNewConversations, subject)
	var le *LimitError
	if errors.As(err, &le) {
		now := s.o.Clock().UTC()
		s.addStrikes(ctx, []string{subject}, contextstore.Strike{ID: cause + "/" + le.Limit, At: now, Kind: KindRate, Rule: le.Limit})
	}
	return err
}

// Message is one visitor message in its turn.
type Message struct {
	Conversation *contextstore.Conversation
	// Text is the message as the visitor wrote it.
	Text string
	// Cause is the turn's cause (the same on every retry of the turn):
	// strikes and sanctions are keyed by it.
	Cause   string
	Now     time.Time
	Reply   func(string)
	Silence func()
}

// Outcome is what Message decided.
type Outcome struct {
	// Handled: the flows must not see the message (warned, held,
	// sanctioned).
	Handled bool
	// Text is what the flows see: the message, censored if a rule said so.
	Text string
	// Sanction is the block made by this message, if any.
	Sanction *contextstore.Block
	// Hits are the rules that matched (one per rule), enforced or shadow.
	Hits []Hit
}

// Hit is one rule that matched a message.
type Hit struct {
	Rule   string
	Action string
	Shadow bool
}

// Message moderates one visitor message inside its turn (the executor's
// before-flows hook calls it; the message is already the last user line
// of the transcript): the message limits first — a refusal is a strike
// and, unless it completes an offence the ladder sanctions, a
// *LimitError that fails the turn (the message is not stored: HTTP 429) —
// then the rules, by action: censor masks the stored line and what the
// flows see; flag writes an audit entry and a domain event; warn has the
// bot say the warning; hold keeps the line from the agent and the flows
// until a supervisor releases it; block sanctions. Warn, hold and block add
// strikes, and strikes may complete an offence. A rule in shadow mode only
// records its hit (audit automod.shadow, metrics, the portal).
func (s *Service) Message(ctx context.Context, m Message) (Outcome, error) {
	out := Outcome{Text: m.Text}
	if s.Off() {
		return out, nil
	}
	c := m.Conversation
	subjects := s.Subjects(c)
	barred := false
	if s.o.Barred != nil {
		var err error
		if barred, err = s.o.Barred(ctx, c); err != nil {
			return out, fmt.Errorf("moderation: deciding whether %s is blocked: %w", c.ID, err)
		}
	}
	if err := s.messageLimits(ctx, m); err != nil {
		return s.limited(ctx, m, subjects, err, barred)
	}
	if barred || len(s.rules) == 0 {
		return out, nil
	}
	matches := s.matcher.Match(m.Text)
	if len(matches) == 0 {
		return out, nil
	}
	var censor []match.Match
	var strikeRule *Rule
	var blockRule *Rule
	seen := map[string]bool{}
	for _, x := range matches {
		if match.Action(x.Action) == match.ActionCensor {
			if !s.Shadow(x.RuleID) {
				censor = append(censor, x)
			}
		}
		if seen[x.RuleID] {
			continue
		}
		seen[x.RuleID] = true
		r := &s.rules[s.ruleIdx[x.RuleID]]
		shadow := s.Shadow(r.ID)
		out.Hits = append(out.Hits, Hit{Rule: r.ID, Action: r.Action, Shadow: shadow})
		s.o.Observer.RuleHit(r.ID, r.Action, shadow)
		s.logHit(ctx, m, r, shadow)
		if shadow {
			s.audit(ctx, m.Now, AuditShadow, "automod:"+r.ID, map[string]string{"rule": r.ID, "action": r.Action})
			continue
		}
		switch match.Action(r.Action) {
		case match.ActionFlag:
			s.audit(ctx, m.Now, AuditFlag, "automod:"+r.ID, map[string]string{"rule": r.ID})
			if err := s.o.Events.Publish(ctx, events.Event{Type: EventFlagged, At: m.Now, Actor: "automod:" + r.ID, ConversationID: c.ID,
				Details: map[string]string{"rule": r.ID}}); err != nil {
				s.log.Error("domain event lost", zap.String("type", EventFlagged), zap.Error(err))
			}
		case match.ActionWarn:
			if !out.Handled {
				w := r.Warning
				if w == "" {
					w = s.warning
				}
				if m.Reply != nil {
					m.Reply(w)
				}
			}
			out.Handled = true
		case match.ActionHold:
			markLastUserLine(c, m, func(l *contextstore.Message) { l.Held = true })
			out.Handled = true
		case match.ActionBlock:
			if blockRule == nil {
				blockRule = r
			}
		}
		if n := r.StrikeCount(); n > 0 {
			for i := range n {
				id := m.Cause + "/rule/" + r.ID
				if i > 0 {
					id += "/" + strconv.Itoa(i)
				}
				s.addStrikes(ctx, subjects, contextstore.Strike{ID: id, At: m.Now, Kind: KindRule, Rule: r.ID, ConversationID: c.ID,
					Details: map[string]string{"action": r.Action}})
			}
			strikeRule = r
		}
	}
	if len(censor) > 0 {
		out.Text = match.Censor(m.Text, censor)
		markLastUserLine(c, m, func(l *contextstore.Message) { l.Text = out.Text })
	}
	var err error
	switch {
	case blockRule != nil:
		var p *contextstore.Period
		if blockRule.Period != "" {
			pp, _ := blocking.ParsePeriod(blockRule.Period)
			p = &pp
		}
		out.Sanction, err = s.offence(ctx, m, subjects, "automod:"+blockRule.ID, blockRule.Category(), "rule "+blockRule.ID, p, true)
	case strikeRule != nil:
		out.Sanction, err = s.offence(ctx, m, subjects, "automod:"+strikeRule.ID, strikeRule.Category(), "rule "+strikeRule.ID, nil, false)
	}
	if out.Sanction != nil {
		out.Handled = true
	}
	return out, err
}

// messageLimits applies the message limits once per cause: a turn retried
// after a lost compare-and-swap gets the first attempt's decision instead
// of spending another token.
func (s *Service) messageLimits(ctx context.Context, m Message) error {
	if d, ok := s.recent.get(m.Cause); ok {
		return d
	}
	err := s.Allow(ctx, LimitConversationMessages, ConversationSubject(m.Conversation.ID))
	if v := s.VisitorSubject(m.Conversation); err == nil && v != "" {
		err = s.Allow(ctx, LimitVisitorMessages, v)
	}
	s.recent.put(m.Cause, err)
	return err
}

// decisions remembers the limit decisions of recent causes (bounded: it
// forgets everything when full; a retry follows its first attempt within
// milliseconds).
type decisions struct {
	mu sync.Mutex
	m  map[string]error
}

const maxDecisions = 4096

func (d *decisions) get(cause string) (error, bool) {
	if cause == "" {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	err, ok := d.m[cause]
	return err, ok
}

func (d *decisions) put(cause string, err error) {
	if cause == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil || len(d.m) >= maxDecisions {
		d.m = make(map[string]error, 64)
	}
	d.m[cause] = err
}

// limited handles a refused message: a strike, maybe an offence.
func (s *Service) limited(ctx context.Context, m Message, subjects []string, err error, barred bool) (Outcome, error) {
	out := Outcome{Text: m.Text}
	var le *LimitError
	if barred || !errors.As(err, &le) {
		return out, err
	}
	s.addStrikes(ctx, subjects, contextstore.Strike{ID: m.Cause + "/" + le.Limit, At: m.Now, Kind: KindRate, Rule: le.Limit, ConversationID: m.Conversation.ID})
	b, serr := s.offence(ctx, m, subjects, "automod:"+le.Limit, blocking.CategorySpam, "limit "+le.Limit, nil, false)
	if serr != nil {
		return out, serr
	}
	if b == nil {
		return out, err
	}
	out.Handled, out.Sanction = true, b
	return out, nil
}

// Warn records an agent's warning of a conversation's visitor: the bot
// says the warning, the visitor gets a strike, and the strike may
// complete an offence (sanctioned as automod:agent-warning). It runs in
// the executor's Update of the conversation.
func (s *Service) Warn(ctx context.Context, m Message, agent string) (Outcome, error) {
	out := Outcome{Text: m.Text}
	if s.Off() {
		return out, nil
	}
	subjects := s.Subjects(m.Conversation)
	w := m.Text
	if w == "" {
		w = s.warning
	}
	if m.Reply != nil {
		m.Reply(w)
	}
	s.addStrikes(ctx, subjects, contextstore.Strike{ID: m.Cause + "/agent", At: m.Now, Kind: KindAgent, Rule: "agent-warning", ConversationID: m.Conversation.ID,
		Details: map[string]string{"agent": agent}})
	b, err := s.offence(ctx, m, subjects, "automod:agent-warning", blocking.CategoryAbusiveLanguage, "agent warnings", nil, false)
	out.Sanction = b
	return out, err
}

// addStrikes records st for every subject. A failure is logged, not
// returned: a lost strike weakens the ladder, it does not fail the chat.
func (s *Service) addStrikes(ctx context.Context, subjects []string, st contextstore.Strike) {
	for _, sub := range subjects {
		cp := st
		cp.Subject = sub
		if err := s.o.Store.AddStrike(ctx, &cp, time.Duration(s.ladder.Decay)); err != nil {
			s.log.Error("strike not recorded", zap.String("kind", st.Kind), zap.String("rule", st.Rule), zap.Error(err))
			continue
		}
	}
	s.o.Observer.StrikeAdded(st.Kind)
}

// ladderSubject is where a subject's offences are kept.
func ladderSubject(subject string) string { return "ladder:" + subject }

// Standing is a subject's standing on the ladder.
type Standing struct {
	// Strikes are the violations within the decay period.
	Strikes int
	// Recent are the violations since the last offence within the window:
	// the count that an offence needs Ladder.Strikes of.
	Recent int
	// Offences are the sanctioned offences within the decay period.
	Offences int
	// Next is the period the next offence would get.
	Next contextstore.Period
}

// Standing returns subject's standing at now.
func (s *Service) Standing(ctx context.Context, subject string, now time.Time) (Standing, error) {
	var st Standing
	decayFrom := now.Add(-time.Duration(s.ladder.Decay))
	offs, err := s.o.Store.ListStrikes(ctx, ladderSubject(subject), decayFrom)
	if err != nil {
		return st, err
	}
	vio, err := s.o.Store.ListStrikes(ctx, subject, decayFrom)
	if err != nil {
		return st, err
	}
	st.Strikes, st.Offences = len(vio), len(offs)
	since := now.Add(-time.Duration(s.ladder.Window))
	if len(offs) > 0 && !offs[len(offs)-1].At.Before(since) {
		since = offs[len(offs)-1].At.Add(time.Nanosecond)
	}
	for _, v := range vio {
		if !v.At.Before(since) {
			st.Recent++
		}
	}
	st.Next = s.periods[min(st.Offences, len(s.periods)-1)]
	return st, nil
}

// offence sanctions the message's visitor when their strikes complete an
// offence (or at once when now is set, for a block rule): the n-th
// offence within the decay gets the ladder's n-th period unless period is
// given. It returns the block, or nil when there is no offence.
func (s *Service) offence(ctx context.Context, m Message, subjects []string, actor, category, why string, period *contextstore.Period, now bool) (*contextstore.Block, error) {
	if s.o.Sanctions == nil {
		return nil, nil
	}
	worst := Standing{}
	found := now
	for _, sub := range subjects {
		st, err := s.Standing(ctx, sub, m.Now)
		if err != nil {
			s.log.Error("reading strikes", zap.Error(err))
			continue
		}
		if st.Recent >= s.ladder.Strikes {
			found = true
		}
		if st.Offences >= worst.Offences {
			worst.Offences, worst.Next = st.Offences, st.Next
		}
		worst.Recent = max(worst.Recent, st.Recent)
	}
	if !found {
		return nil, nil
	}
	if worst.Next == (contextstore.Period{}) {
		worst.Next = s.periods[0]
	}
	p := worst.Next
	if period != nil {
		p = *period
	}
	c := m.Conversation
	req := contextstore.BlockRequest{
		Kind: contextstore.KindConversation, ConversationID: c.ID,
		Period: p, At: m.Now, ReasonCategory: category, Actor: actor, Source: contextstore.SourceAutomod,
		Reason: fmt.Sprintf("automatic moderation: %s (offence %d)", why, worst.Offences+1),
		Notes:  fmt.Sprintf("%d recent strikes; ladder: %d strikes within %s", worst.Recent, s.ladder.Strikes, time.Duration(s.ladder.Window)),
		Cause:  m.Cause + "/automod",
	}
	if c.User.IsAuthenticated && c.User.UserID != "" {
		req.Kind, req.UserID = contextstore.KindUser, c.User.UserID
	}
	b, err := s.o.Sanctions.Sanction(ctx, req, Target{Conversation: c, Now: m.Now, Reply: m.Reply, Silence: m.Silence})
	if b == nil {
		if err != nil && errors.Is(err, blocking.ErrInvalid) {
			// Already blocked by another sanction: nothing to add.
			s.log.Info("automatic sanction not made", zap.String("actor", actor), zap.Error(err))
			return nil, nil
		}
		return nil, err
	}
	for _, sub := range subjects {
		if aerr := s.o.Store.AddStrike(ctx, &contextstore.Strike{ID: req.Cause, Subject: ladderSubject(sub), At: m.Now, Kind: KindSanction,
			Rule: strings.TrimPrefix(actor, "automod:"), ConversationID: c.ID, Details: map[string]string{"block": b.ID, "period": p.String()}},
			time.Duration(s.ladder.Decay)); aerr != nil {
			s.log.Error("offence not recorded", zap.Error(aerr))
		}
	}
	s.o.Observer.Sanctioned(strings.TrimPrefix(actor, "automod:"))
	if err != nil {
		// A follow-up (audit) failed; the block holds and is applied.
		s.log.Error("automatic sanction incomplete", zap.String("block", b.ID), zap.Error(err))
	}
	return b, nil
}

// markLastUserLine changes the transcript line of the message (the last
// user line with its text and time), if it is there.
func markLastUserLine(c *contextstore.Conversation, m Message, fn func(*contextstore.Message)) {
	for i := len(c.Transcript) - 1; i >= 0; i-- {
		l := &c.Transcript[i]
		if l.From == contextstore.FromUser {
			if l.Text == m.Text || l.At.Equal(m.Now) {
				fn(l)
			}
			return
		}
	}
}

// logHit keeps the hit in the rule's hit log (the portal's last 7 days).
func (s *Service) logHit(ctx context.Context, m Message, r *Rule, shadow bool) {
	st := &contextstore.Strike{ID: m.Cause + "/hit", Subject: "rule:" + r.ID, At: m.Now, Kind: KindHit, Rule: r.ID, ConversationID: m.Conversation.ID,
		Details: map[string]string{"action": r.Action, "shadow": strconv.FormatBool(shadow)}}
	if err := s.o.Store.AddStrike(ctx, st, HitLogKeep); err != nil {
		s.log.Error("rule hit not logged", zap.String("rule", r.ID), zap.Error(err))
	}
}

func (s *Service) audit(ctx context.Context, at time.Time, action, actor string, details map[string]string) {
	if err := s.o.Store.AppendAudit(ctx, &contextstore.AuditEvent{At: at, Actor: actor, Action: action, Details: details}); err != nil {
		s.log.Error("audit event lost", zap.String("action", action), zap.Error(err))
	}
}

// Shadow reports whether rule id is in shadow mode now.
func (s *Service) Shadow(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.shadow[id]
}
