package blocking

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/events"
)

// purgePage is how many ended blocks Purge reads per store query.
const purgePage = 500

// Purge removes the personal data of every block that ended (expired or
// was lifted) at least Retention ago, and returns how many it purged. A
// block is purged when now >= end + Retention, not before.
//
// Cleared: UserID, ConversationID, IPHash, IPCipher, Reason, Notes,
// LiftNotes (free text may name the person). Kept, for statistics and the
// history: ID, Kind, Range (a network, not a person), Allow, Channels,
// ReasonCategory, CreatedAt, CreatedBy, Until, LiftedAt, LiftedBy,
// UpdatedAt, HitCount, LastHitAt, and Purged = true. Each purge writes a
// "block.purge" audit event by "system".
func (s *Service) Purge(ctx context.Context) (int, error) {
	now := s.now()
	q := contextstore.BlockQuery{Status: contextstore.StatusEnded, At: now, Limit: purgePage}
	purged := 0
	var errs []error
	for {
		list, err := s.store.ListBlocks(ctx, q)
		if err != nil {
			return purged, errors.Join(append(errs, err)...)
		}
		for _, b := range list {
			if end, _ := b.EndedAt(now); b.Purged || end.Add(s.retention).After(now) {
				continue
			}
			done := false
			pb, _, err := s.modify(ctx, b.ID, "purging", false, func(b *contextstore.Block, at time.Time) error {
				done = false // a retry after a lost swap starts afresh
				end, ended := b.EndedAt(at)
				if b.Purged || !ended || end.Add(s.retention).After(at) {
					return errNoChange // changed meanwhile: leave it
				}
				b.UserID, b.ConversationID, b.IPHash, b.IPCipher = "", "", "", nil
				b.Reason, b.Notes, b.LiftNotes = "", "", ""
				b.Purged, b.UpdatedAt, done = true, at, true
				return nil
			})
			switch {
			case errors.Is(err, contextstore.ErrNotFound):
			case err != nil:
				errs = append(errs, err)
			case done:
				purged++
				errs = append(errs, s.audit(ctx, now, ActionPurge, ActorSystem, pb, map[string]string{
					"retention": s.retention.String(),
				}))
			}
		}
		if len(list) < purgePage {
			break
		}
		q.After = list[len(list)-1].ID
	}
	if purged > 0 {
		s.log.Info("purged personal data of ended blocks", zap.Int("blocks", purged), zap.Duration("retention", s.retention))
	}
	return purged, errors.Join(errs...)
}

// Run does the service's periodic work every MaintenanceInterval until ctx
// is done: it flushes the IP ban hit counts to the store and purges the
// personal data of blocks past retention, logging what it did and any
// error (an error does not stop the loop). When ctx is done it flushes the
// hit counts once more (with a short grace period) and returns nil.
func (s *Service) Run(ctx context.Context) error {
	ticks, stop := s.newTicker(s.maintain)
	defer stop()
	s.log.Info("blocking maintenance started", zap.Duration("interval", s.maintain), zap.Duration("retention", s.retention))
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.FlushHits(fctx); err != nil {
				s.log.Warn("final flush of ip ban hit counts failed", zap.Error(err))
			}
			cancel()
			s.log.Info("blocking maintenance stopped")
			return nil
		case <-ticks:
			s.Maintain(ctx)
		}
	}
}

// AnnounceExpiries writes block.expired (ban.expired for an IP or range
// ban) for every block whose period ended by itself (not lifted) and
// whose expiry was not announced yet, and returns how many it announced.
// The event goes to the outbox in the same compare-and-swap write that
// marks the block announced, so with several instances each expiry is
// announced once: the instance that loses the swap finds it done.
func (s *Service) AnnounceExpiries(ctx context.Context) (int, error) {
	now := s.now()
	q := contextstore.BlockQuery{Status: contextstore.StatusEnded, At: now, Limit: purgePage}
	n := 0
	var errs []error
	for {
		list, err := s.store.ListBlocks(ctx, q)
		if err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		for _, b := range list {
			if b.ExpiryAnnounced || b.LiftedAt != nil || b.Until == nil {
				continue
			}
			var ev events.Event
			_, _, err := s.modify(ctx, b.ID, "announcing the expiry of", false, func(b *contextstore.Block, at time.Time) error {
				ev = events.Event{} // a retry after a lost swap starts afresh
				if b.ExpiryAnnounced || b.LiftedAt != nil || b.Until == nil || b.Until.After(at) {
					return errNoChange // announced or changed meanwhile
				}
				b.ExpiryAnnounced = true
				typ := events.BlockExpired
				if isBan(b.Kind) {
					typ = events.BanExpired
				}
				ev = event(typ, b.Until.UTC(), ActorSystem, b, "", map[string]string{"until": untilText(b.Until)})
				toOutbox(b, ev)
				return nil
			})
			switch {
			case errors.Is(err, contextstore.ErrNotFound):
			case err != nil:
				errs = append(errs, err)
			case ev.Type != "":
				n++
				s.publish(ctx, ev)
			}
		}
		if len(list) < purgePage {
			break
		}
		q.After = list[len(list)-1].ID
	}
	return n, errors.Join(errs...)
}

// Maintain is one round of Run: flush hit counts, announce expiries, then
// purge. Errors are logged, not returned; it returns how many blocks were
// purged.
func (s *Service) Maintain(ctx context.Context) int {
	if err := s.FlushHits(ctx); err != nil {
		s.log.Warn("flushing ip ban hit counts failed", zap.Error(err))
	}
	if n, err := s.AnnounceExpiries(ctx); err != nil {
		s.log.Warn("announcing expired blocks failed", zap.Int("announced", n), zap.Error(err))
	}
	n, err := s.Purge(ctx)
	if err != nil {
		s.log.Warn("purging ended blocks failed", zap.Int("purged", n), zap.Error(err))
	}
	if ce := s.log.Check(zap.DebugLevel, "blocking maintenance done"); ce != nil {
		ce.Write(zap.Int("purged", n))
	}
	return n
}
