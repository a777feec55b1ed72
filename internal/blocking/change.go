package blocking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/events"
)

// Edit changes some fields of a block; nil fields are left as they are.
type Edit struct {
	// ReasonCategory must be one of Categories() (empty only on allow
	// entries).
	ReasonCategory *string
	Reason         *string
	// Notes replaces the notes.
	Notes *string
	// Channels replaces the channels; an empty slice means all channels.
	Channels *[]string
	// Until sets a new end, which must be after now (to end a block now,
	// Lift it). It re-activates an expired block.
	Until *time.Time
	// Permanent removes the end; not together with Until.
	Permanent bool
}

// Renew gives the block a new end: now + p (or none, for a permanent
// period). An expired block becomes active again; a lifted one is refused
// with ErrLifted (someone unblocked it on purpose: create a new block), a
// purged one with ErrPurged. notes, if any, are appended to the block's
// notes with the time and the actor.
func (s *Service) Renew(ctx context.Context, id string, p Period, actor, notes string) (*contextstore.Block, error) {
	var pr problems
	if msg := p.Problem(); msg != "" {
		pr.add("period", msg)
	}
	actor = checkActor(&pr, actor)
	checkLen(&pr, "notes", notes, maxNotesLen)
	if err := pr.err(); err != nil {
		return nil, err
	}
	var prev *time.Time
	var details map[string]string
	var ev events.Event
	b, now, err := s.modify(ctx, id, "renewing", true, func(b *contextstore.Block, now time.Time) error {
		switch {
		case b.Purged:
			return ErrPurged
		case b.LiftedAt != nil:
			return fmt.Errorf("%w by %s at %s; create a new block instead", ErrLifted, b.LiftedBy, b.LiftedAt.UTC().Format(time.RFC3339))
		}
		prev = b.Until
		b.Until = p.Until(now)
		appendNote(b, now, "renewed", actor, notes)
		details = map[string]string{
			"previous_until": untilText(prev),
			"until":          untilText(b.Until),
			"period":         p.String(),
		}
		ev = event(events.BlockRenewed, now, actor, b, "", details)
		toOutbox(b, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("block renewed", zap.String("block", b.ID), zap.String("until", untilText(b.Until)), zap.String("actor", actor))
	err = errors.Join(s.afterChange(ctx, b, now), s.audit(ctx, now, ActionRenew, actor, b, details))
	s.publish(ctx, ev)
	return b, err
}

// Edit changes the reason, notes, channels or end of a block. Every problem
// is reported at once (*ValidationError). Changing the end of a lifted
// block is refused with ErrLifted; any change to a purged block with
// ErrPurged.
func (s *Service) Edit(ctx context.Context, id string, e Edit, actor string) (*contextstore.Block, error) {
	now := s.now()
	var pr problems
	if e == (Edit{}) {
		pr.add("edit", "nothing to change")
	}
	if e.ReasonCategory != nil && *e.ReasonCategory != "" && !slices.Contains(Categories(), *e.ReasonCategory) {
		pr.add("reason_category", fmt.Sprintf("unknown category %q; use one of %s", *e.ReasonCategory, strings.Join(Categories(), ", ")))
	}
	if e.Reason != nil {
		checkLen(&pr, "reason", *e.Reason, maxReasonLen)
	}
	if e.Notes != nil {
		checkLen(&pr, "notes", *e.Notes, maxNotesLen)
	}
	var channels []string
	if e.Channels != nil {
		channels = checkChannels(&pr, *e.Channels)
	}
	switch {
	case e.Until != nil && e.Permanent:
		pr.add("until", "choose either an end or permanent, not both")
	case e.Until != nil && !e.Until.After(now):
		pr.add("until", fmt.Sprintf("%s is not after now (%s); lift the block to end it now", e.Until.UTC().Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	actor = checkActor(&pr, actor)
	if err := pr.err(); err != nil {
		return nil, err
	}
	var changed []string
	var details map[string]string
	var ev events.Event
	b, now, err := s.modify(ctx, id, "editing", true, func(b *contextstore.Block, now time.Time) error {
		changed = changed[:0]
		if b.Purged {
			return ErrPurged
		}
		if (e.Until != nil || e.Permanent) && b.LiftedAt != nil {
			return fmt.Errorf("%w by %s at %s; create a new block instead", ErrLifted, b.LiftedBy, b.LiftedAt.UTC().Format(time.RFC3339))
		}
		if e.ReasonCategory != nil {
			if *e.ReasonCategory == "" && !b.Allow {
				return problems{{Field: "reason_category", Message: "required: one of " + strings.Join(Categories(), ", ")}}.err()
			}
			b.ReasonCategory = *e.ReasonCategory
			changed = append(changed, "reason_category")
		}
		if e.Reason != nil {
			b.Reason = *e.Reason
			changed = append(changed, "reason")
		}
		if e.Notes != nil {
			b.Notes = *e.Notes
			changed = append(changed, "notes")
		}
		if e.Channels != nil {
			b.Channels = channels
			changed = append(changed, "channels")
		}
		switch {
		case e.Until != nil:
			u := e.Until.UTC()
			b.Until = &u
			changed = append(changed, "until")
		case e.Permanent:
			b.Until = nil
			changed = append(changed, "until")
		}
		details = map[string]string{"changed": strings.Join(changed, ",")}
		if e.ReasonCategory != nil {
			details["category"] = b.ReasonCategory
		}
		if e.Channels != nil {
			details["channels"] = channelsText(b.Channels)
		}
		if e.Until != nil || e.Permanent {
			details["until"] = untilText(b.Until)
		}
		ev = event(events.BlockEdited, now, actor, b, "", details)
		toOutbox(b, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("block edited", zap.String("block", b.ID), zap.Strings("changed", changed), zap.String("actor", actor))
	err = errors.Join(s.afterChange(ctx, b, now), s.audit(ctx, now, ActionEdit, actor, b, details))
	s.publish(ctx, ev)
	return b, err
}

// Lift ends an active block now (expire early / unblock), recording who
// and why. A block that already ended gives ErrNotActive.
//
// Lifting a KindUser block also brings the user's ChatActivityData block
// fields in line (cleared when no live-chat block of the user remains).
// Lifting a KindConversation block also clears
// ConversationInfo.LiveChatBlockedUntil in that conversation's context
// (compare-and-swap, retried), so the anonymous user is really unblocked:
// it is set to the end of another active record of that conversation if
// one remains, else to null. Do not call Lift for a block that a flow
// already lifted in its own turn: use RecordConversationUnblock.
func (s *Service) Lift(ctx context.Context, id, actor, notes string) (*contextstore.Block, error) {
	var pr problems
	actor = checkActor(&pr, actor)
	checkLen(&pr, "notes", notes, maxNotesLen)
	if err := pr.err(); err != nil {
		return nil, err
	}
	b, now, ev, err := s.lift(ctx, id, actor, notes, nil)
	if err != nil {
		return nil, err
	}
	err = errors.Join(s.afterChange(ctx, b, now), s.audit(ctx, now, ActionLift, actor, b, nil))
	s.publish(ctx, ev)
	return b, err
}

// lift ends block id now, writing block.lifted (ban.lifted for an IP or
// range ban) with details to the outbox in the same write.
func (s *Service) lift(ctx context.Context, id, actor, notes string, details map[string]string) (*contextstore.Block, time.Time, events.Event, error) {
	var ev events.Event
	b, now, err := s.modify(ctx, id, "lifting", true, func(b *contextstore.Block, now time.Time) error {
		if end, ended := b.EndedAt(now); ended {
			how := "expired"
			if b.LiftedAt != nil {
				how = "was lifted by " + b.LiftedBy
			}
			return fmt.Errorf("%w: it %s at %s", ErrNotActive, how, end.UTC().Format(time.RFC3339))
		}
		b.LiftedAt, b.LiftedBy, b.LiftNotes = &now, actor, notes
		typ := events.BlockLifted
		if isBan(b.Kind) {
			typ = events.BanLifted
		}
		ev = event(typ, now, actor, b, "", details)
		toOutbox(b, ev)
		return nil
	})
	if err == nil {
		s.log.Info("block lifted", zap.String("block", b.ID), zap.String("kind", string(b.Kind)), zap.String("actor", actor))
	}
	return b, now, ev, err
}

// UnblockUser is the portal's "Unblock user" button: it lifts every active
// KindUser block of the user (all channels) and clears the
// LiveChatBlocked* fields of the user's ChatActivityData, so flows reading
// them see the user unblocked. It returns how many blocks it lifted; the
// ChatActivityData fields are cleared even when there was none (stale
// fields of expired blocks), so calling it again repairs a failed
// follow-up.
func (s *Service) UnblockUser(ctx context.Context, userID, actor, notes string) (int, error) {
	var pr problems
	userID = strings.TrimSpace(userID)
	if userID == "" {
		pr.add("user_id", "required")
	}
	actor = checkActor(&pr, actor)
	checkLen(&pr, "notes", notes, maxNotesLen)
	if err := pr.err(); err != nil {
		return 0, err
	}
	lifted, errs := s.liftAll(ctx, contextstore.BlockQuery{
		Kinds: []contextstore.BlockKind{contextstore.KindUser}, UserID: userID,
		Status: contextstore.StatusActive, At: s.now(),
	}, actor, notes, "unblock_user")
	if err := s.syncActivity(ctx, userID, s.now()); err != nil {
		errs = append(errs, err)
	}
	return lifted, errors.Join(errs...)
}

// RecordConversationUnblock records that the anonymous block of a
// conversation was lifted in the conversation context itself (a flow set
// LiveChatBlockedUntil to null or GetDate()): it lifts the active
// KindConversation records of the conversation but, unlike Lift, does not
// write the context, which the caller's turn owns and is about to save. It
// returns how many records it lifted.
func (s *Service) RecordConversationUnblock(ctx context.Context, conversationID, actor, notes string) (int, error) {
	var pr problems
	conversationID = strings.TrimSpace(conversationID)
	if conversationID == "" {
		pr.add("conversation_id", "required")
	}
	actor = checkActor(&pr, actor)
	checkLen(&pr, "notes", notes, maxNotesLen)
	if err := pr.err(); err != nil {
		return 0, err
	}
	lifted, errs := s.liftAll(ctx, contextstore.BlockQuery{
		Kinds: []contextstore.BlockKind{contextstore.KindConversation}, ConversationID: conversationID,
		Status: contextstore.StatusActive, At: s.now(),
	}, actor, notes, "conversation_context")
	return lifted, errors.Join(errs...)
}

// liftAll lifts every block q selects, auditing each with source. Blocks
// that ended meanwhile are skipped; other failures are collected so one bad
// block does not stop the rest.
func (s *Service) liftAll(ctx context.Context, q contextstore.BlockQuery, actor, notes, source string) (int, []error) {
	active, err := s.store.ListBlocks(ctx, q)
	if err != nil {
		return 0, []error{fmt.Errorf("listing blocks to lift: %w", err)}
	}
	lifted := 0
	var errs []error
	for _, b := range active {
		details := map[string]string{"source": source}
		lb, now, ev, err := s.lift(ctx, b.ID, actor, notes, details)
		switch {
		case errors.Is(err, ErrNotActive):
			continue // ended meanwhile
		case err != nil:
			errs = append(errs, err)
			continue
		}
		lifted++
		errs = append(errs, s.audit(ctx, now, ActionLift, actor, lb, details))
		s.publish(ctx, ev)
	}
	return lifted, errs
}

func checkActor(p *problems, actor string) string {
	actor = strings.TrimSpace(actor)
	if actor == "" {
		p.add("actor", "required: who makes the change")
	}
	return actor
}

// appendNote adds a dated line to the block's notes.
func appendNote(b *contextstore.Block, now time.Time, what, actor, notes string) {
	if notes == "" {
		return
	}
	line := fmt.Sprintf("%s %s by %s: %s", now.Format(time.RFC3339), what, actor, notes)
	if b.Notes == "" {
		b.Notes = line
		return
	}
	b.Notes += "\n" + line
}

// modify loads a block, applies fn and saves it with compare-and-swap,
// reloading and re-applying fn on a version conflict. fn's error is
// returned wrapped with the block id. A change (as opposed to a hit count
// or a purge) sets UpdatedAt and marks the ban table stale.
func (s *Service) modify(ctx context.Context, id, verb string, change bool, fn func(b *contextstore.Block, now time.Time) error) (*contextstore.Block, time.Time, error) {
	for range casAttempts {
		b, err := s.store.GetBlock(ctx, id)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("%s block %s: %w", verb, id, err)
		}
		now := s.now()
		if err := fn(b, now); errors.Is(err, errNoChange) {
			return b, now, nil
		} else if err != nil {
			if ve := (*ValidationError)(nil); errors.As(err, &ve) {
				return nil, now, err
			}
			return nil, now, fmt.Errorf("%s block %s: %w", verb, id, err)
		}
		if change {
			b.UpdatedAt = now
		}
		err = s.store.UpdateBlock(ctx, b)
		b.Outbox = nil // written with the block, or not at all
		if err == nil {
			if change && isBan(b.Kind) {
				s.writes.Add(1)
			}
			return b, now, nil
		}
		if !errors.Is(err, contextstore.ErrVersionConflict) {
			return nil, now, fmt.Errorf("%s block %s: %w", verb, id, err)
		}
	}
	return nil, time.Time{}, fmt.Errorf("%s block %s: gave up after %d attempts: %w", verb, id, casAttempts, contextstore.ErrVersionConflict)
}

// afterChange brings the user's ChatActivityData in line with the user's
// block records after a change of a user block. (Conversation blocks are
// mirrored in the conversation context by the sanctions pipeline, through
// the executor: see ConversationUntil.) Errors wrap ErrIncomplete.
func (s *Service) afterChange(ctx context.Context, b *contextstore.Block, now time.Time) error {
	if b.Kind == contextstore.KindUser {
		return s.syncActivity(ctx, b.UserID, now)
	}
	return nil
}

// liveChatEnd returns the block, among the active live-chat blocks of one
// subject, that ends last (permanent first; then the latest created), or
// nil.
func (s *Service) liveChatEnd(ctx context.Context, q contextstore.BlockQuery, now time.Time) (*contextstore.Block, error) {
	q.Status, q.At, q.Channel = contextstore.StatusActive, now, ChannelLiveChat
	list, err := s.store.ListBlocks(ctx, q)
	if err != nil {
		return nil, err
	}
	var best *contextstore.Block
	for _, b := range list {
		switch {
		case best == nil:
			best = b
		case best.Until == nil:
			// permanent: only a later permanent one replaces it
			if b.Until == nil {
				best = b
			}
		case b.Until == nil || !b.Until.Before(*best.Until):
			best = b
		}
	}
	return best, nil
}

func hasBlockFields(d *contextstore.ChatActivityData) bool {
	return d.LiveChatBlockedUntil != nil || d.LiveChatBlockedAt != nil ||
		d.LiveChatBlockedReason != "" || d.LiveChatBlockedByAgentName != ""
}

// syncActivity re-derives the LiveChatBlocked* fields of the user's
// ChatActivityData from the user's active live-chat blocks, if the
// activity carries block fields at all (a flow opted in with
// SaveToChatActivityData; otherwise it is never created or written).
func (s *Service) syncActivity(ctx context.Context, userID string, now time.Time) error {
	best, err := s.liveChatEnd(ctx, contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindUser}, UserID: userID}, now)
	if err != nil {
		return fmt.Errorf("updating ChatActivityData of user %s: %w: %w", userID, ErrIncomplete, err)
	}
	_, err = s.updateActivity(ctx, userID, func(d *contextstore.ChatActivityData) bool {
		if !hasBlockFields(d) {
			return false
		}
		var want contextstore.ChatActivityData
		if best != nil {
			until, at := PermanentUntil(), best.CreatedAt
			if best.Until != nil {
				until = *best.Until
			}
			want.LiveChatBlockedUntil, want.LiveChatBlockedAt = &until, &at
			want.LiveChatBlockedReason = best.Reason
			if best.CreatedBy != ActorFlow {
				want.LiveChatBlockedByAgentName = best.CreatedBy
			}
		}
		if timeEq(d.LiveChatBlockedUntil, want.LiveChatBlockedUntil) && timeEq(d.LiveChatBlockedAt, want.LiveChatBlockedAt) &&
			d.LiveChatBlockedReason == want.LiveChatBlockedReason && d.LiveChatBlockedByAgentName == want.LiveChatBlockedByAgentName {
			return false
		}
		d.LiveChatBlockedUntil, d.LiveChatBlockedAt = want.LiveChatBlockedUntil, want.LiveChatBlockedAt
		d.LiveChatBlockedReason, d.LiveChatBlockedByAgentName = want.LiveChatBlockedReason, want.LiveChatBlockedByAgentName
		return true
	}, false)
	if err != nil {
		return fmt.Errorf("updating ChatActivityData of user %s: %w: %w", userID, ErrIncomplete, err)
	}
	return nil
}

// updateActivity applies fn to the user's ChatActivityData and saves it
// with compare-and-swap, retried on conflict. A missing activity is
// created only when create is set (else nothing happens). fn returns false
// to leave the activity unwritten. It returns the activity as stored, or
// nil when nothing was written.
func (s *Service) updateActivity(ctx context.Context, userID string, fn func(*contextstore.ChatActivityData) bool, create bool) (*contextstore.ChatActivityData, error) {
	for range casAttempts {
		d, err := s.store.GetActivity(ctx, userID)
		switch {
		case errors.Is(err, contextstore.ErrNotFound):
			if !create {
				return nil, nil
			}
			d = &contextstore.ChatActivityData{UserID: userID}
		case err != nil:
			return nil, err
		}
		if !fn(d) {
			return nil, nil
		}
		err = s.store.PutActivity(ctx, d)
		if err == nil {
			return d, nil
		}
		if !errors.Is(err, contextstore.ErrVersionConflict) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("gave up after %d attempts: %w", casAttempts, contextstore.ErrVersionConflict)
}

// ConversationUntil returns what ConversationInfo.LiveChatBlockedUntil of
// a conversation should hold according to its conversation block records:
// the end of the active live-chat one ending last (PermanentUntil for a
// permanent one), or nil when none is active. The sanctions pipeline
// writes it into the context, through the executor, after an admin
// creates, renews, edits or lifts a conversation block.
func (s *Service) ConversationUntil(ctx context.Context, convID string) (*time.Time, error) {
	best, err := s.liveChatEnd(ctx, contextstore.BlockQuery{Kinds: s.convKind, ConversationID: convID}, s.now())
	if err != nil || best == nil {
		return nil, err
	}
	u := PermanentUntil()
	if best.Until != nil {
		u = *best.Until
	}
	return &u, nil
}

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
