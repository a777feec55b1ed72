package blocking

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/ipban"
	"github.com/chatflow/chatflow/internal/privacy"
)

// NewBlock is an admin's request for a block or ban (Create).
type NewBlock struct {
	// Kind is what the block is keyed by. Empty: inferred when exactly
	// one of UserID, ConversationID, IP and Range is set.
	Kind contextstore.BlockKind
	// UserID is the subject of a KindUser block; on other kinds it may
	// name the contact the ban was given to, for the record.
	UserID string
	// ConversationID is the subject of a KindConversation block; on other
	// kinds it may name the conversation the block was given in.
	ConversationID string
	// IP is the address of a KindIP ban ("203.0.113.7", "2001:db8::1").
	// It is stored encrypted, with a keyed hash for lookups.
	IP string
	// Range is the network of a KindRange ban: CIDR ("203.0.113.0/24")
	// or start–end ("10.0.0.5-10.0.0.9"); a single address must be an IP
	// ban instead, so that it is encrypted.
	Range string
	// Allow makes an IP or range entry an exception that carves a hole in
	// wider bans (the most specific entry wins).
	Allow bool
	// Channels limits the block to some of Channels(); empty: all.
	Channels []string
	// Period is how long the block lasts from now; required.
	Period Period
	// ReasonCategory is one of Categories(); required except on allow
	// entries.
	ReasonCategory string
	// Reason is free text; never shown to the customer.
	Reason string
	// Notes are internal notes of the team.
	Notes string
	// Actor is who creates the block (agent or admin email); required.
	Actor string
}

// Validate reports every problem of nb exactly as Create would (a
// *ValidationError), without storing anything. Forms use it to show all
// problems at once when part of the input was rejected earlier.
func (s *Service) Validate(ctx context.Context, nb NewBlock) error {
	_, err := s.validateNew(ctx, nb, s.now())
	return err
}

// Create validates nb and stores the block. Every problem is reported at
// once, as a *ValidationError wrapping ErrInvalid (and, for a ban on a
// never-block network, ipban.ErrNeverBlock); nothing is stored then. A ban
// that touches a never-block network is refused, naming the network, since
// the addresses in it would stay unbanned whatever the ban says. A second
// active block with the same subject, kind of entry and channels is refused
// too: renew or edit the first.
//
// A KindConversation block covering live_chat is also written into the
// conversation's context (ConversationInfo.LiveChatBlockedUntil), so it
// really holds; a KindUser block updates the user's ChatActivityData when
// it already carries block fields (see the package doc). Errors of those
// follow-ups and of the audit event wrap ErrIncomplete and come with the
// stored block.
func (s *Service) Create(ctx context.Context, nb NewBlock) (*contextstore.Block, error) {
	now := s.now()
	b, err := s.validateNew(ctx, nb, now)
	if err != nil {
		return nil, err
	}
	if err := s.insert(ctx, b); err != nil {
		return nil, err
	}
	s.log.Info("block created", zap.String("block", b.ID), zap.String("kind", string(b.Kind)),
		zap.Bool("allow", b.Allow), zap.Strings("channels", b.Channels), zap.String("until", untilText(b.Until)),
		zap.String("actor", b.CreatedBy))
	details := map[string]string{
		"until":    untilText(b.Until),
		"period":   nb.Period.String(),
		"channels": channelsText(b.Channels),
		"category": b.ReasonCategory,
	}
	if b.Allow {
		details["allow"] = "true"
	}
	return b, errors.Join(s.afterChange(ctx, b, now), s.audit(ctx, now, ActionCreate, b.CreatedBy, b, details))
}

// insert gives b an id and stores it, retrying with a new id on the
// (astronomically unlikely) collision.
func (s *Service) insert(ctx context.Context, b *contextstore.Block) error {
	for attempt := 0; ; attempt++ {
		b.ID = s.ids.New(b.CreatedAt)
		err := s.store.CreateBlock(ctx, b)
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

// validateNew checks nb and returns the block to store (without id).
func (s *Service) validateNew(ctx context.Context, nb NewBlock, now time.Time) (*contextstore.Block, error) {
	var p problems
	kind := nb.Kind
	if kind == "" {
		kind = inferKind(nb)
		if kind == "" {
			p.add("kind", "required: set exactly one of user_id, conversation_id, ip or range, or name the kind")
		}
	}
	b := &contextstore.Block{
		Kind:           kind,
		UserID:         strings.TrimSpace(nb.UserID),
		ConversationID: strings.TrimSpace(nb.ConversationID),
		Allow:          nb.Allow,
		ReasonCategory: nb.ReasonCategory,
		Reason:         nb.Reason,
		Notes:          nb.Notes,
		CreatedAt:      now,
		CreatedBy:      strings.TrimSpace(nb.Actor),
		UpdatedAt:      now,
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
				return nil, fmt.Errorf("encrypting ip: %w", err)
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
	if msg := nb.Period.problem(); msg != "" {
		p.add("period", msg)
	} else {
		b.Until = nb.Period.Until(now)
	}
	switch {
	case nb.ReasonCategory == "" && !nb.Allow:
		p.add("reason_category", "required: one of "+strings.Join(Categories(), ", "))
	case nb.ReasonCategory != "" && !slices.Contains(Categories(), nb.ReasonCategory):
		p.add("reason_category", fmt.Sprintf("unknown category %q; use one of %s", nb.ReasonCategory, strings.Join(Categories(), ", ")))
	}
	checkLen(&p, "reason", nb.Reason, maxReasonLen)
	checkLen(&p, "notes", nb.Notes, maxNotesLen)
	if b.CreatedBy == "" {
		p.add("actor", "required: who creates the block")
	}
	if len(p) == 0 {
		if err := s.checkDuplicate(ctx, &p, b, now); err != nil {
			return nil, err
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return b, nil
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
// same Allow and the same channels.
func (s *Service) checkDuplicate(ctx context.Context, p *problems, b *contextstore.Block, now time.Time) error {
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
		return fmt.Errorf("looking for an existing block: %w", err)
	}
	for _, o := range list {
		if o.Allow != b.Allow || !slices.Equal(o.Channels, b.Channels) || (b.Kind == contextstore.KindRange && o.Range != b.Range) {
			continue
		}
		what := "blocked"
		if b.Allow {
			what = "allowed"
		}
		p.add(field, fmt.Sprintf("already %s by block %s (until %s); renew or edit that one", what, o.ID, untilText(o.Until)))
		return nil
	}
	return nil
}

func channelsText(c []string) string {
	if len(c) == 0 {
		return "all"
	}
	return strings.Join(c, ",")
}

// LiveChatBlock is what HelpdeskClient.IsBlockedForLiveChat asks for an
// authenticated user (BlockUserForLiveChat).
type LiveChatBlock struct {
	// UserID is the authenticated user; required.
	UserID string
	// ConversationID is the conversation the block was given in.
	ConversationID string
	// AgentEmail is the blocking agent (LiveChatBlockedByAgentName);
	// empty means the flow blocked without an agent (actor "flow").
	AgentEmail string
	// Minutes is BlockIntervalMinutes (the action defaults it to 1440);
	// 1..MaxMinutes.
	Minutes int
	// ReasonCategory comes from the agent's feedback; empty is allowed,
	// and an unknown value is stored as "other" (logged) rather than
	// failing the block.
	ReasonCategory string
	// Reason is BlockReason.
	Reason string
	// Notes are the agent's feedback notes.
	Notes string
	// SaveToChatActivityData writes the block into the user's
	// ChatActivityData too.
	SaveToChatActivityData bool
}

// BlockUserForLiveChat puts an authenticated user on the Live Chat
// Blacklist: a KindUser block on channel live_chat, blocked at now, until
// now + Minutes, with the reason and the blocking agent. With
// SaveToChatActivityData it also writes the user's ChatActivityData
// (LiveChatBlockedUntil, LiveChatBlockedReason, LiveChatBlockedAt,
// LiveChatBlockedByAgentName = AgentEmail) with compare-and-swap, retried on
// conflict, and returns it as stored; otherwise ChatActivityData is left
// untouched and the returned activity is nil.
//
// The same user may be blocked again while blocked: each block is its own
// record in the history, and Check finds any active one.
func (s *Service) BlockUserForLiveChat(ctx context.Context, req LiveChatBlock) (*contextstore.Block, *contextstore.ChatActivityData, error) {
	now := s.now()
	var p problems
	userID := strings.TrimSpace(req.UserID)
	if userID == "" {
		p.add("user_id", "required: only an authenticated user goes on the blacklist")
	}
	checkLen(&p, "user_id", userID, maxIDLen)
	if msg := (Period{Minutes: req.Minutes}).problem(); msg != "" {
		p.add("minutes", msg)
	}
	checkLen(&p, "reason", req.Reason, maxReasonLen)
	checkLen(&p, "notes", req.Notes, maxNotesLen)
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	category := req.ReasonCategory
	if category != "" && !slices.Contains(Categories(), category) {
		s.log.Warn("unknown reason category from agent feedback, stored as other", zap.String("category", category))
		category = CategoryOther
	}
	actor := strings.TrimSpace(req.AgentEmail)
	if actor == "" {
		actor = ActorFlow
	}
	until := now.Add(time.Duration(req.Minutes) * time.Minute)
	b := &contextstore.Block{
		Kind:           contextstore.KindUser,
		UserID:         userID,
		ConversationID: req.ConversationID,
		Channels:       []string{ChannelLiveChat},
		ReasonCategory: category,
		Reason:         req.Reason,
		Notes:          req.Notes,
		CreatedAt:      now,
		CreatedBy:      actor,
		Until:          &until,
		UpdatedAt:      now,
	}
	if err := s.insert(ctx, b); err != nil {
		return nil, nil, err
	}
	s.log.Info("user blocked for live chat", zap.String("block", b.ID), zap.Time("until", until),
		zap.String("actor", actor), zap.Bool("save_to_activity", req.SaveToChatActivityData))
	var act *contextstore.ChatActivityData
	var errs []error
	if req.SaveToChatActivityData {
		var err error
		act, err = s.updateActivity(ctx, userID, func(d *contextstore.ChatActivityData) bool {
			at := now
			d.LiveChatBlockedUntil = &until
			d.LiveChatBlockedReason = req.Reason
			d.LiveChatBlockedAt = &at
			d.LiveChatBlockedByAgentName = req.AgentEmail
			return true
		}, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("saving the block of user %s to ChatActivityData: %w: %w", userID, ErrIncomplete, err))
		}
	}
	errs = append(errs, s.audit(ctx, now, ActionCreate, actor, b, map[string]string{
		"until":    untilText(b.Until),
		"period":   Period{Minutes: req.Minutes}.String(),
		"channels": ChannelLiveChat,
		"category": category,
		"source":   "HelpdeskClient.IsBlockedForLiveChat",
	}))
	return b, act, errors.Join(errs...)
}

// ConversationBlock is the record of an anonymous user's block
// (RecordConversationBlock).
type ConversationBlock struct {
	// ConversationID is the blocked conversation; required.
	ConversationID string
	// AgentEmail is the blocking agent; empty: actor "flow".
	AgentEmail string
	// Until is the LiveChatBlockedUntil the action wrote; it must be after
	// now.
	Until time.Time
	// ReasonCategory, Reason and Notes are as for LiveChatBlock.
	ReasonCategory, Reason, Notes string
}

// RecordConversationBlock records, for admins and the history, that an
// anonymous user was blocked for live chat in a conversation: a
// KindConversation block on live_chat. The block itself lives in that
// conversation's context (ConversationInfo.LiveChatBlockedUntil), written
// by the action in its own turn; this method does not touch the context,
// whose turn would otherwise lose its compare-and-swap.
func (s *Service) RecordConversationBlock(ctx context.Context, req ConversationBlock) (*contextstore.Block, error) {
	now := s.now()
	var p problems
	conv := strings.TrimSpace(req.ConversationID)
	if conv == "" {
		p.add("conversation_id", "required")
	}
	checkLen(&p, "conversation_id", conv, maxIDLen)
	if !req.Until.After(now) {
		p.add("until", fmt.Sprintf("%s is not after now (%s)", req.Until.UTC().Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	checkLen(&p, "reason", req.Reason, maxReasonLen)
	checkLen(&p, "notes", req.Notes, maxNotesLen)
	if err := p.err(); err != nil {
		return nil, err
	}
	category := req.ReasonCategory
	if category != "" && !slices.Contains(Categories(), category) {
		s.log.Warn("unknown reason category from agent feedback, stored as other", zap.String("category", category))
		category = CategoryOther
	}
	actor := strings.TrimSpace(req.AgentEmail)
	if actor == "" {
		actor = ActorFlow
	}
	until := req.Until.UTC()
	b := &contextstore.Block{
		Kind:           contextstore.KindConversation,
		ConversationID: conv,
		Channels:       []string{ChannelLiveChat},
		ReasonCategory: category,
		Reason:         req.Reason,
		Notes:          req.Notes,
		CreatedAt:      now,
		CreatedBy:      actor,
		Until:          &until,
		UpdatedAt:      now,
	}
	if err := s.insert(ctx, b); err != nil {
		return nil, err
	}
	s.log.Info("conversation block recorded", zap.String("block", b.ID), zap.Time("until", until), zap.String("actor", actor))
	return b, s.audit(ctx, now, ActionCreate, actor, b, map[string]string{
		"until":    untilText(b.Until),
		"channels": ChannelLiveChat,
		"category": category,
		"source":   "HelpdeskClient.IsBlockedForLiveChat",
	})
}
