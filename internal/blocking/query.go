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

// Status is the state of a block as shown to admins.
type Status string

// Block states.
const (
	StatusActive  Status = "active"
	StatusExpired Status = "expired"
	StatusLifted  Status = "lifted"
)

// View is a block as the admin UI shows it.
type View struct {
	// Block is the stored block without IPCipher (the address is in IP).
	Block *contextstore.Block
	// IP is the decrypted address of an IP ban; empty for other kinds,
	// after the purge, or if it cannot be decrypted (logged).
	IP     string
	Status Status
	// TimeLeft is how long an active, non-permanent block still lasts.
	TimeLeft *time.Duration
	// EndedAt is when an ended block stopped holding.
	EndedAt *time.Time
}

func (s *Service) view(b *contextstore.Block, now time.Time) *View {
	v := &View{Block: b, Status: StatusActive}
	if len(b.IPCipher) > 0 {
		ip, err := s.sealer.Open(b.IPCipher)
		if err != nil {
			s.log.Error("cannot decrypt the address of an ip ban", zap.String("block", b.ID), zap.Error(err))
		}
		v.IP = ip
		b.IPCipher = nil
	}
	if end, ended := b.EndedAt(now); ended {
		v.EndedAt = &end
		v.Status = StatusExpired
		if b.LiftedAt != nil {
			v.Status = StatusLifted
		}
	} else if b.Until != nil {
		left := b.Until.Sub(now)
		v.TimeLeft = &left
	}
	return v
}

func (s *Service) views(list []*contextstore.Block, now time.Time) []*View {
	out := make([]*View, len(list))
	for i, b := range list {
		out[i] = s.view(b, now)
	}
	return out
}

// Get returns one block, or an error wrapping contextstore.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*View, error) {
	b, err := s.store.GetBlock(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("getting block %s: %w", id, err)
	}
	return s.view(b, s.now()), nil
}

// List returns the blocks matching q, ordered by id (creation), for the
// admin list with its filters and pagination (Limit, After). When q.Status
// is set and q.At is zero, At is now.
func (s *Service) List(ctx context.Context, q contextstore.BlockQuery) ([]*View, error) {
	now := s.now()
	if q.Status != contextstore.StatusAny && q.At.IsZero() {
		q.At = now
	}
	list, err := s.store.ListBlocks(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("listing blocks: %w", err)
	}
	return s.views(list, now), nil
}

// History is List restricted to ended blocks (expired or lifted), the
// "ban history" screen. Purged blocks stay in it, without personal data.
func (s *Service) History(ctx context.Context, q contextstore.BlockQuery) ([]*View, error) {
	q.Status, q.At = contextstore.StatusEnded, time.Time{}
	return s.List(ctx, q)
}

// Audit returns audit events (who did what and when), ordered by time.
func (s *Service) Audit(ctx context.Context, q contextstore.AuditQuery) ([]*contextstore.AuditEvent, error) {
	evs, err := s.store.ListAudit(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("listing audit events: %w", err)
	}
	return evs, nil
}

// Search finds blocks of any status by what an admin types, ordered by id:
//
//   - an IP address: the IP bans of that address (by keyed hash, never by
//     decrypting) and the range bans containing it;
//   - a CIDR or start–end range: the range bans overlapping it and the IP
//     bans inside it (these are decrypted to compare);
//   - anything else: blocks of that user id or conversation id, and the
//     block with that id.
func (s *Service) Search(ctx context.Context, term string) ([]*View, error) {
	term = strings.TrimSpace(term)
	if term == "" {
		return nil, problems{{Field: "term", Message: "required: a user id, conversation id, block id, IP address or range"}}.err()
	}
	var (
		found []*contextstore.Block
		err   error
	)
	if addr, perr := netip.ParseAddr(term); perr == nil {
		found, err = s.searchAddr(ctx, addr.Unmap().WithZone(""))
	} else if r, rerr := ipban.ParseRange(term); rerr == nil && strings.ContainsAny(term, "/-") {
		found, err = s.searchRange(ctx, r)
	} else {
		found, err = s.searchID(ctx, term)
	}
	if err != nil {
		return nil, fmt.Errorf("searching blocks: %w", err)
	}
	slices.SortFunc(found, func(a, b *contextstore.Block) int { return strings.Compare(a.ID, b.ID) })
	found = slices.CompactFunc(found, func(a, b *contextstore.Block) bool { return a.ID == b.ID })
	return s.views(found, s.now()), nil
}

func (s *Service) searchAddr(ctx context.Context, addr netip.Addr) ([]*contextstore.Block, error) {
	var out []*contextstore.Block
	for _, h := range s.sealer.Hashes(privacy.CanonicalIP(addr)) {
		l, err := s.store.ListBlocks(ctx, contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindIP}, IPHash: h})
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	ranges, err := s.store.ListBlocks(ctx, contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindRange}})
	if err != nil {
		return nil, err
	}
	for _, b := range ranges {
		if r, err := ipban.ParseRange(b.Range); err == nil && r.Contains(addr) {
			out = append(out, b)
		}
	}
	return out, nil
}

func (s *Service) searchRange(ctx context.Context, want ipban.Range) ([]*contextstore.Block, error) {
	list, err := s.store.ListBlocks(ctx, contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindIP, contextstore.KindRange}})
	if err != nil {
		return nil, err
	}
	var out []*contextstore.Block
	for _, b := range list {
		switch b.Kind {
		case contextstore.KindRange:
			if r, err := ipban.ParseRange(b.Range); err == nil && overlaps(r, want) {
				out = append(out, b)
			}
		case contextstore.KindIP:
			if len(b.IPCipher) == 0 {
				continue // purged
			}
			ip, err := s.sealer.Open(b.IPCipher)
			if err != nil {
				s.log.Error("cannot decrypt the address of an ip ban", zap.String("block", b.ID), zap.Error(err))
				continue
			}
			if a, err := netip.ParseAddr(ip); err == nil && want.Contains(a) {
				out = append(out, b)
			}
		}
	}
	return out, nil
}

func overlaps(a, b ipban.Range) bool {
	return a.Is4() == b.Is4() && a.From().Compare(b.To()) <= 0 && b.From().Compare(a.To()) <= 0
}

func (s *Service) searchID(ctx context.Context, term string) ([]*contextstore.Block, error) {
	byUser, err := s.store.ListBlocks(ctx, contextstore.BlockQuery{UserID: term})
	if err != nil {
		return nil, err
	}
	byConv, err := s.store.ListBlocks(ctx, contextstore.BlockQuery{ConversationID: term})
	if err != nil {
		return nil, err
	}
	out := append(byUser, byConv...)
	switch b, err := s.store.GetBlock(ctx, term); {
	case err == nil:
		out = append(out, b)
	case !errors.Is(err, contextstore.ErrNotFound):
		return nil, err
	}
	return out, nil
}
