package blocking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/events"
	"github.com/chatflow/chatflow/internal/ipban"
	"github.com/chatflow/chatflow/internal/privacy"
)

// NewBlock is a request for a block or ban: the one request shape of
// every sanction source (contextstore.BlockRequest).
type NewBlock = contextstore.BlockRequest

// Outcome is what Sanction did.
type Outcome struct {
	// Block is the stored block: the new one, or the one the request's
	// Cause had already made.
	Block *contextstore.Block
	// Created is false when the request's Cause had already made Block (a
	// retried or duplicated turn or request): nothing was stored, audited
	// or published this time.
	Created bool
	// Activity is the user's ChatActivityData as stored when
	// SaveToChatActivityData wrote it, else nil.
	Activity *contextstore.ChatActivityData
}

// Validate reports every problem of nb exactly as Create would (a
// *ValidationError), without storing anything. Forms use it to show all
// problems at once when part of the input was rejected earlier.
func (s *Service) Validate(ctx context.Context, nb NewBlock) error {
	now := s.now()
	_, _, err := s.validateNew(ctx, nb, now, now)
	return err
}

// Create is Sanction for callers that need only the block.
func (s *Service) Create(ctx context.Context, nb NewBlock) (*contextstore.Block, error) {
	o, err := s.Sanction(ctx, nb)
	return o.Block, err
}

// Sanction validates a request and stores the block, once per cause: it
// is the one way a block is made, whatever its source. Every problem is
// reported at once, as a *ValidationError wrapping ErrInvalid (and, for a
// ban on a never-block network, ipban.ErrNeverBlock); nothing is stored
// then. A ban that touches a never-block network is refused, naming the
// network, since the addresses in it would stay unbanned whatever the ban
// says. On the staff paths a second active block with the same subject,
// kind of entry and channels is refused too: renew or edit the first. The
// flow path (Source SourceFlow) is lenient: an unknown reason category is
// stored as "other", an empty one is allowed, and a user may be blocked
// again while blocked (each block is its own record in the history).
//
// A request with a Cause that already made a block returns that block with
// Created false, and changes nothing: the store keeps one block per cause
// atomically, so concurrent duplicates (two instances given one event)
// store one block. The block starts at req.At (the turn's clock) when set,
// else now.
//
// The service does not write conversations: the sanctions pipeline applies
// a block's effects (ending the live chat, the context's
// LiveChatBlockedUntil for a conversation block) through the executor. A
// user block updates the user's ChatActivityData when
// SaveToChatActivityData asks for it, or when the activity already carries
// block fields (see the package doc). Errors of those follow-ups and of
// the audit event wrap ErrIncomplete and come with the stored block.
func (s *Service) Sanction(ctx context.Context, req NewBlock) (Outcome, error) {
	now := s.now()
	at := now
	if !req.At.IsZero() {
		at = req.At.UTC()
	}
	b, same, err := s.validateNew(ctx, req, at, now)
	if err != nil {
		return Outcome{}, err
	}
	if same != nil {
		return Outcome{Block: same}, nil
	}
	details := map[string]string{
		"until":    untilText(b.Until),
		"period":   req.Period.String(),
		"channels": channelsText(b.Channels),
		"category": b.ReasonCategory,
		"source":   sourceOf(req),
	}
	if b.Allow {
		details["allow"] = "true"
	}
	typ := events.BlockCreated
	if isBan(b.Kind) {
		typ = events.BanCreated
	}
	var created events.Event
	if err := s.insert(ctx, b, func(b *contextstore.Block) events.Event {
		created = event(typ, now, b.CreatedBy, b, sourceOf(req), details)
		return created
	}); err != nil {
		if ct, ok := errors.AsType[*contextstore.CauseTakenError](err); ok {
			first, gerr := s.store.GetBlock(ctx, ct.ID)
			if gerr != nil {
				return Outcome{}, fmt.Errorf("loading block %s made by the same cause: %w", ct.ID, gerr)
			}
			s.log.Info("block already made by this cause, reused", zap.String("block", first.ID))
			return Outcome{Block: first}, nil
		}
		return Outcome{}, err
	}
	out := Outcome{Block: b, Created: true}
	s.log.Info("block created", zap.String("block", b.ID), zap.String("kind", string(b.Kind)),
		zap.Bool("allow", b.Allow), zap.Strings("channels", b.Channels), zap.String("until", untilText(b.Until)),
		zap.String("actor", b.CreatedBy), zap.String("source", sourceOf(req)))
	var errs []error
	if b.Kind == contextstore.KindUser && req.SaveToChatActivityData {
		act, err := s.updateActivity(ctx, b.UserID, func(d *contextstore.ChatActivityData) bool {
			until, created := PermanentUntil(), b.CreatedAt
			if b.Until != nil {
				until = *b.Until
			}
			d.LiveChatBlockedUntil, d.LiveChatBlockedAt = &until, &created
			d.LiveChatBlockedReason = b.Reason
			d.LiveChatBlockedByAgentName = agentName(b.CreatedBy)
			return true
		}, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("saving the block of user %s to ChatActivityData: %w: %w", b.UserID, ErrIncomplete, err))
		}
		out.Activity = act
	} else if req.Source != contextstore.SourceFlow {
		errs = append(errs, s.afterChange(ctx, b, now))
	}
	errs = append(errs, s.audit(ctx, now, ActionCreate, b.CreatedBy, b, details))
	s.publish(ctx, created)
	return out, errors.Join(errs...)
}

// agentName is the LiveChatBlockedByAgentName of a block's creator: the
// agent, or empty for a flow without an agent.
func agentName(actor string) string {
	if actor == ActorFlow {
		return ""
	}
	return actor
}

func sourceOf(req NewBlock) string {
	if req.Source == "" {
		return contextstore.SourceAdmin
	}
	return req.Source
}

// causeKey is the stored form of a request's cause: a hash, so that the
// store keeps no conversation id or client key in clear.
func causeKey(cause string) string {
	if cause == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(cause))
	return "c1:" + hex.EncodeToString(sum[:16])
}

// insert gives b an id and stores it, retrying with a new id on the
// (astronomically unlikely) collision.
func (s *Service) insert(ctx context.Context, b *contextstore.Block, ev func(b *contextstore.Block) events.Event) error {
	for attempt := 0; ; attempt++ {
		b.ID = s.ids.New(b.CreatedAt)
		if ev != nil {
			toOutbox(b, ev(b))
		}
		err := s.store.CreateBlock(ctx, b)
		b.Outbox = nil
		if err == nil {
			if isBan(b.Kind) {
				s.writes.Add(1)
			}
			return nil
		}
		if !errors.Is(err, contextstore.ErrAlreadyExists) || attempt >= 3 {
			return fmt.Errorf("storing block: %w", err)
		}
	}
}

// validateNew checks nb and returns the block to store (without id),
// starting at at; or, when an active block with the same subject was made
// by the same cause, that block as same. now decides which blocks are
// active.
func (s *Service) validateNew(ctx context.Context, nb NewBlock, at, now time.Time) (b *contextstore.Block, same *contextstore.Block, err error) {
	var p problems
	flow := nb.Source == contextstore.SourceFlow
	kind := nb.Kind
	if kind == "" {
		kind = inferKind(nb)
		if kind == "" {
			p.add("kind", "required: set exactly one of user_id, conversation_id, ip or range, or name the kind")
		}
	}
	category := nb.ReasonCategory
	if flow && category != "" && !slices.Contains(Categories(), category) {
		s.log.Warn("unknown reason category from agent feedback, stored as other", zap.String("category", category))
		category = CategoryOther
	}
	actor := strings.TrimSpace(nb.Actor)
	if flow && actor == "" {
		actor = ActorFlow
	}
	b = &contextstore.Block{
		Kind:           kind,
		UserID:         strings.TrimSpace(nb.UserID),
		ConversationID: strings.TrimSpace(nb.ConversationID),
		Allow:          nb.Allow,
		ReasonCategory: category,
		Reason:         nb.Reason,
		Notes:          nb.Notes,
		CreatedAt:      at,
		CreatedBy:      actor,
		UpdatedAt:      at,
		Cause:          causeKey(nb.Cause),
		MarkSpam:       nb.MarkSpam,
	}
	var addr netip.Addr
	var rng ipban.Range
	switch kind {
	case "":
	case contextstore.KindUser:
		if b.UserID == "" {
			p.add("user_id", "required for a user block")
		}
		notFor(&p, "ip", nb.IP, "a user block")
		notFor(&p, "range", nb.Range, "a user block")
	case contextstore.KindConversation:
		if b.ConversationID == "" {
			p.add("conversation_id", "required for a conversation block")
		}
		notFor(&p, "ip", nb.IP, "a conversation block")
		notFor(&p, "range", nb.Range, "a conversation block")
	case contextstore.KindIP:
		notFor(&p, "range", nb.Range, "an ip ban (ban the range separately)")
		addr = parseIP(&p, nb.IP)
		if addr.IsValid() {
			canon := privacy.CanonicalIP(addr)
			sealed, err := s.sealer.Seal(canon)
			if err != nil {
				return nil, nil, fmt.Errorf("encrypting ip: %w", err)
			}
			b.IPCipher, b.IPHash = sealed, s.sealer.HashIP(addr)
			if !nb.Allow && ipban.IsNeverBlock(addr, s.never) {
				nbe := ipban.CheckNeverBlock(ipban.MustParseRange(canon), s.never)
				p.addErr("ip", fmt.Sprintf("%s is in a never-block network (%s): a ban on it would have no effect", canon, neverPrefix(nbe)), nbe)
			}
		}
	case contextstore.KindRange:
		notFor(&p, "ip", nb.IP, "a range ban (ban the address separately)")
		rng = parseRange(&p, nb.Range)
		if rng.IsValid() {
			b.Range = rng.String()
			if !nb.Allow {
				if err := ipban.CheckNeverBlock(rng, s.never); err != nil {
					var nbe *ipban.NeverBlockError
					errors.As(err, &nbe)
					if nbe.Contained {
						p.addErr("range", fmt.Sprintf("%s lies inside never-block network %s: a ban on it would have no effect", rng, nbe.Prefix), err)
					} else {
						p.addErr("range", fmt.Sprintf("%s covers never-block network %s, whose addresses would stay unbanned: ban the ranges around it, or change the never-block configuration", rng, nbe.Prefix), err)
					}
				}
			}
		}
	default:
		p.add("kind", fmt.Sprintf("unknown kind %q; use user, conversation, ip or range", kind))
	}
	if nb.Allow && kind != "" && !isBan(kind) {
		p.add("allow", "only ip and range entries can be allow entries")
	}
	checkLen(&p, "user_id", b.UserID, maxIDLen)
	checkLen(&p, "conversation_id", b.ConversationID, maxIDLen)
	b.Channels = checkChannels(&p, nb.Channels)
	if msg := nb.Period.Problem(); msg != "" {
		p.add("period", msg)
	} else {
		b.Until = nb.Period.Until(at)
		if b.Until != nil && !b.Until.After(now) {
			p.add("period", fmt.Sprintf("the block would end at %s, which is not after now (%s)", b.Until.Format(time.RFC3339), now.Format(time.RFC3339)))
		}
	}
	switch {
	case flow && category == "":
	case nb.ReasonCategory == "" && !nb.Allow:
		p.add("reason_category", "required: one of "+strings.Join(Categories(), ", "))
	case category != "" && !slices.Contains(Categories(), category):
		p.add("reason_category", fmt.Sprintf("unknown category %q; use one of %s", nb.ReasonCategory, strings.Join(Categories(), ", ")))
	}
	checkLen(&p, "reason", nb.Reason, maxReasonLen)
	checkLen(&p, "notes", nb.Notes, maxNotesLen)
	if b.CreatedBy == "" {
		p.add("actor", "required: who creates the block")
	}
	if len(p) == 0 && !flow {
		if same, err = s.checkDuplicate(ctx, &p, b, now); err != nil || same != nil {
			return nil, same, err
		}
	}
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	return b, nil, nil
}

func inferKind(nb NewBlock) contextstore.BlockKind {
	var kinds []contextstore.BlockKind
	if strings.TrimSpace(nb.UserID) != "" {
		kinds = append(kinds, contextstore.KindUser)
	}
	if strings.TrimSpace(nb.ConversationID) != "" {
		kinds = append(kinds, contextstore.KindConversation)
	}
	if strings.TrimSpace(nb.IP) != "" {
		kinds = append(kinds, contextstore.KindIP)
	}
	if strings.TrimSpace(nb.Range) != "" {
		kinds = append(kinds, contextstore.KindRange)
	}
	if len(kinds) == 1 {
		return kinds[0]
	}
	return ""
}

func notFor(p *problems, field, v, what string) {
	if strings.TrimSpace(v) != "" {
		p.add(field, "not allowed on "+what)
	}
}

func checkLen(p *problems, field, v string, limit int) {
	if n := len([]rune(v)); n > limit {
		p.add(field, fmt.Sprintf("%d characters is too long; the limit is %d", n, limit))
	}
}

func parseIP(p *problems, in string) netip.Addr {
	v := strings.TrimSpace(in)
	if v == "" {
		p.add("ip", "required for an ip ban")
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(v)
	switch {
	case err != nil && strings.ContainsAny(v, "/-"):
		p.addErr("ip", fmt.Sprintf("%q is not a single IP address; ban a network as a range", in), err)
		return netip.Addr{}
	case err != nil:
		p.addErr("ip", fmt.Sprintf("%q is not an IP address", in), err)
		return netip.Addr{}
	case a.Zone() != "":
		p.add("ip", fmt.Sprintf("%q has an IPv6 zone; zones are local to one host and mean nothing in a ban", in))
		return netip.Addr{}
	}
	return a.Unmap()
}

func parseRange(p *problems, in string) ipban.Range {
	if strings.TrimSpace(in) == "" {
		p.add("range", "required for a range ban")
		return ipban.Range{}
	}
	r, err := ipban.ParseRange(in)
	if err != nil {
		msg := err.Error()
		if re := (*ipban.RangeError)(nil); errors.As(err, &re) {
			msg = fmt.Sprintf("%q: %s", in, re.Detail)
		}
		p.addErr("range", msg, err)
		return ipban.Range{}
	}
	if r.IsSingle() {
		p.add("range", fmt.Sprintf("%q is a single address: ban it as an ip, which is stored encrypted", in))
		return ipban.Range{}
	}
	return r
}

// checkChannels validates channels and returns them sorted without
// duplicates (nil for all channels).
func checkChannels(p *problems, in []string) []string {
	var out []string
	for i, c := range in {
		if !slices.Contains(Channels(), c) {
			p.add(fmt.Sprintf("channels[%d]", i), fmt.Sprintf("unknown channel %q; use %s, or no channels for all", c, strings.Join(Channels(), ", ")))
			continue
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func neverPrefix(err error) string {
	var nbe *ipban.NeverBlockError
	if errors.As(err, &nbe) {
		return nbe.Prefix.String()
	}
	return "configured"
}

// checkDuplicate refuses a second active entry with the same subject, the
// same Allow and the same channels; when that entry was made by b's own
// cause (a retried request), it returns it instead.
func (s *Service) checkDuplicate(ctx context.Context, p *problems, b *contextstore.Block, now time.Time) (*contextstore.Block, error) {
	q := contextstore.BlockQuery{Kinds: []contextstore.BlockKind{b.Kind}, Status: contextstore.StatusActive, At: now}
	field := ""
	switch b.Kind {
	case contextstore.KindUser:
		q.UserID, field = b.UserID, "user_id"
	case contextstore.KindConversation:
		q.ConversationID, field = b.ConversationID, "conversation_id"
	case contextstore.KindIP:
		q.IPHash, field = b.IPHash, "ip"
	case contextstore.KindRange:
		field = "range"
	}
	list, err := s.store.ListBlocks(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("looking for an existing block: %w", err)
	}
	for _, o := range list {
		if b.Cause != "" && o.Cause == b.Cause {
			return o, nil
		}
		if o.Allow != b.Allow || !slices.Equal(o.Channels, b.Channels) || (b.Kind == contextstore.KindRange && o.Range != b.Range) {
			continue
		}
		what := "blocked"
		if b.Allow {
			what = "allowed"
		}
		p.add(field, fmt.Sprintf("already %s by block %s (until %s); renew or edit that one", what, o.ID, untilText(o.Until)))
		return nil, nil
	}
	return nil, nil
}

func channelsText(c []string) string {
	if len(c) == 0 {
		return "all"
	}
	return strings.Join(c, ",")
}
