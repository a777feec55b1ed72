package blocking

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/ipban"
	"github.com/chatflow/chatflow/internal/privacy"
)

// Subject is who or what is checked: any of the fields may be empty.
type Subject struct {
	// UserID is the authenticated user (leave empty for anonymous users:
	// an unverified id must not match someone's blacklist entry).
	UserID string
	// ConversationID is the conversation, checked against conversation
	// block records.
	ConversationID string
	// IP is the client address (see ipban.ClientIP).
	IP netip.Addr
	// Channel is the channel of the event, one of Channels(); required.
	Channel string
	// ContextUntil is the conversation context's
	// ConversationInfo.LiveChatBlockedUntil: an anonymous user's block,
	// which lives in the context (so that a flow can lift it there). It
	// bars the live_chat channel while it is later than now.
	ContextUntil *time.Time
}

// SubjectOf returns the subject of conversation c on channel: its
// authenticated user (never an unverified id), the visitor's IP (opened
// from ConversationInfo.VisitorIPCipher, see VisitorIP), and the anonymous
// block of its context. The conversation's block records are not
// consulted: for anonymous users the context is the source of truth, which
// the sanctions pipeline keeps in line with the records.
func (s *Service) SubjectOf(c *contextstore.Conversation, channel string) Subject {
	sub := Subject{Channel: channel, ContextUntil: c.Info.LiveChatBlockedUntil, IP: s.VisitorIP(c)}
	if c.User.IsAuthenticated {
		sub.UserID = c.User.UserID
	}
	return sub
}

// VisitorIP opens the visitor address of conversation c: the zero Addr
// when none is known or the sealed value does not open (a key that is no
// longer configured; logged). A context written before addresses were
// sealed and not yet migrated (LegacyVisitorIP) is read as it is.
func (s *Service) VisitorIP(c *contextstore.Conversation) netip.Addr {
	text := c.Info.LegacyVisitorIP
	if len(c.Info.VisitorIPCipher) > 0 {
		var err error
		if text, err = s.sealer.Open(c.Info.VisitorIPCipher); err != nil {
			s.log.Warn("opening a conversation's visitor ip", zap.String("conversation", c.ID), zap.Error(err))
			return netip.Addr{}
		}
	}
	ip, err := netip.ParseAddr(text)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// SealVisitorIP is the executor's flows.VisitorIPSealer (installed by
// internal/app): the canonical address sealed with the service's sealer and
// its keyed hash, or nil and "" for a value that is not an IP address.
func (s *Service) SealVisitorIP(ip string) ([]byte, string, error) {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return nil, "", nil
	}
	addr = addr.Unmap().WithZone("")
	sealed, err := s.sealer.Seal(privacy.CanonicalIP(addr))
	if err != nil {
		return nil, "", fmt.Errorf("sealing a visitor ip: %w", err)
	}
	return sealed, s.sealer.HashIP(addr), nil
}

// DecideConversation is Check of SubjectOf(c, channel): is the visitor of
// c barred from channel now, and by which sanction. It is the one answer
// every caller uses (ConnectToHelpdeskAgent, the queue, the visitor's
// event stream, the agent's view, the conversation lists and CSV).
func (s *Service) DecideConversation(ctx context.Context, c *contextstore.Conversation, channel string) (Decision, error) {
	return s.Check(ctx, s.SubjectOf(c, channel))
}

// Decision is the outcome of Check. The zero Decision means not blocked.
// None of it may be shown to the customer.
type Decision struct {
	// Blocked says the subject is barred from the channel now.
	Blocked bool
	// BlockID is the block that decided (also the ban table entry id).
	BlockID string
	// Kind is what matched: the user, the conversation, an IP ban or a
	// range ban. Internal, like the rest.
	Kind contextstore.BlockKind
	// Until is when the deciding block ends; zero for a permanent one.
	Until time.Time
	// Permanent is set when the deciding block has no end (an anonymous
	// block mirrored as PermanentUntil counts as permanent).
	Permanent bool
}

// Check decides whether the subject is barred from its channel now: it is
// the one owner of that answer. It is the hot path, in this order,
// stopping at the first block found:
//
//  0. the anonymous block of the conversation context (ContextUntil, for
//     live_chat; no I/O);
//  1. an active user block of UserID (one store query, Limit 1);
//  2. an active conversation block record of ConversationID (same);
//  3. the in-memory IP ban table for IP: exact IP bans and ranges
//     together, the most specific entry deciding (so an allow entry
//     carves a hole and an IP ban inside the hole bans again); addresses
//     in never-block networks are never blocked.
//
// The table is rebuilt when this Service changed a ban, and otherwise when
// the store's BansVersion moved (asked at most every RefreshInterval). If
// the store cannot be asked, Check goes on with the table it has and logs.
// The anonymous block in the conversation context
// (ConversationInfo.LiveChatBlockedUntil) is read by the flow's action from
// the context it already holds; Check does not load the context.
func (s *Service) Check(ctx context.Context, sub Subject) (Decision, error) {
	if !slices.Contains(Channels(), sub.Channel) {
		return Decision{}, problems{{Field: "channel", Message: fmt.Sprintf("unknown channel %q; use %s", sub.Channel, strings.Join(Channels(), ", "))}}.err()
	}
	now := s.now()
	if sub.Channel == ChannelLiveChat && contextstore.IsActiveAt(sub.ContextUntil, now) {
		d := Decision{Blocked: true, Kind: contextstore.KindConversation, Until: sub.ContextUntil.UTC()}
		if !d.Until.Before(PermanentUntil()) {
			d.Until, d.Permanent = time.Time{}, true
		}
		return d, nil
	}
	if sub.UserID != "" {
		d, err := s.checkStore(ctx, contextstore.BlockQuery{Kinds: s.userKind, UserID: sub.UserID}, sub.Channel, now)
		if err != nil || d.Blocked {
			return d, err
		}
	}
	if sub.ConversationID != "" {
		d, err := s.checkStore(ctx, contextstore.BlockQuery{Kinds: s.convKind, ConversationID: sub.ConversationID}, sub.Channel, now)
		if err != nil || d.Blocked {
			return d, err
		}
	}
	if !sub.IP.IsValid() {
		return Decision{}, nil
	}
	snap, err := s.banTable(ctx, now)
	if err != nil {
		return Decision{}, err
	}
	e, banned := snap.table.Lookup(sub.IP, sub.Channel, now)
	if !banned {
		return Decision{}, nil
	}
	d := Decision{Blocked: true, BlockID: e.ID, Kind: snap.kinds[e.ID], Permanent: e.Until == nil}
	if e.Until != nil {
		d.Until = *e.Until
	}
	if ce := s.log.Check(zap.DebugLevel, "ip banned"); ce != nil {
		ce.Write(zap.String("block", e.ID), zap.String("channel", sub.Channel))
	}
	return d, nil
}

func (s *Service) checkStore(ctx context.Context, q contextstore.BlockQuery, channel string, now time.Time) (Decision, error) {
	q.Status, q.At, q.Channel, q.Limit = contextstore.StatusActive, now, channel, 1
	list, err := s.store.ListBlocks(ctx, q)
	if err != nil {
		return Decision{}, fmt.Errorf("checking %s blocks: %w", q.Kinds[0], err)
	}
	if len(list) == 0 {
		return Decision{}, nil
	}
	b := list[0]
	d := Decision{Blocked: true, BlockID: b.ID, Kind: b.Kind, Permanent: b.Until == nil}
	if b.Until != nil {
		d.Until = *b.Until
	}
	return d, nil
}

// banSnapshot is one published IP ban table with what Check needs beside
// it. It is immutable once published.
type banSnapshot struct {
	table   *ipban.Table
	kinds   map[string]contextstore.BlockKind
	version int64  // the store's BansVersion it was built at
	writes  int64  // Service.writes read before it was built
	sum     uint64 // fingerprint of the entries, to skip needless rebuilds
}

// stale reports whether a ban change made through this Service is missing
// from snap.
func (s *Service) stale(snap *banSnapshot) bool {
	return snap == nil || snap.writes < s.writes.Load()
}

func (s *Service) refreshDue(snap *banSnapshot, now time.Time) bool {
	return s.stale(snap) || s.refresh <= 0 || now.UnixNano()-s.lastRefresh.Load() >= int64(s.refresh)
}

// banTable returns the current table, refreshing it first when due.
func (s *Service) banTable(ctx context.Context, now time.Time) (*banSnapshot, error) {
	snap := s.bans.Load()
	if !s.refreshDue(snap, now) {
		return snap, nil
	}
	if !s.stale(snap) {
		// A periodic check: if another goroutine is at it, use the
		// current table rather than queue behind it.
		if !s.refreshMu.TryLock() {
			return snap, nil
		}
	} else {
		// The table is missing or lacks a change made through this
		// Service: wait, so that the change is visible to this Check.
		s.refreshMu.Lock()
	}
	defer s.refreshMu.Unlock()
	if snap = s.bans.Load(); !s.refreshDue(snap, now) {
		return snap, nil
	}
	if err := s.refreshLocked(ctx, now); err != nil {
		if snap != nil {
			s.log.Warn("refreshing the ip ban table failed, using the previous one", zap.Error(err))
			return snap, nil
		}
		return nil, err
	}
	return s.bans.Load(), nil
}

// Refresh rebuilds the IP ban table now if the store's bans changed. Check
// does this by itself; Refresh is for start-up (fail fast on a broken
// store) and for a pub/sub notification from another instance.
func (s *Service) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	return s.refreshLocked(ctx, s.now())
}

// refreshLocked rebuilds the table if the store's BansVersion moved or a
// change made through this Service is missing. The caller holds refreshMu.
func (s *Service) refreshLocked(ctx context.Context, now time.Time) error {
	// Read the counters before the bans: a change made meanwhile is then
	// either in the list or seen as newer next time.
	w := s.writes.Load()
	old := s.bans.Load()
	v, err := s.store.BansVersion(ctx)
	if err != nil {
		return fmt.Errorf("reading the bans version: %w", err)
	}
	s.lastRefresh.Store(now.UnixNano())
	if old != nil && old.writes == w && v == old.version {
		return nil
	}
	list, err := s.store.ListBlocks(ctx, contextstore.BlockQuery{
		Kinds:  []contextstore.BlockKind{contextstore.KindIP, contextstore.KindRange},
		Status: contextstore.StatusActive, At: now,
	})
	if err != nil {
		return fmt.Errorf("loading ip bans: %w", err)
	}
	sum := fingerprint(list)
	if old != nil && sum == old.sum {
		// Only counters or notes changed (a hit flush, an edit of the
		// reason): keep the table, and its unflushed hit counts.
		s.bans.Store(&banSnapshot{table: old.table, kinds: old.kinds, version: v, writes: w, sum: sum})
		return nil
	}
	entries := make([]ipban.Entry, 0, len(list))
	kinds := make(map[string]contextstore.BlockKind, len(list))
	for _, b := range list {
		e := ipban.Entry{ID: b.ID, Allow: b.Allow, Channels: b.Channels, Until: b.Until}
		switch b.Kind {
		case contextstore.KindIP:
			ip, err := s.sealer.Open(b.IPCipher)
			if err == nil {
				e.Range, err = ipban.ParseRange(ip)
			}
			if err != nil {
				s.log.Error("ip ban left out of the table: its address cannot be decrypted", zap.String("block", b.ID), zap.Error(err))
				continue
			}
		case contextstore.KindRange:
			if e.Range, err = ipban.ParseRange(b.Range); err != nil {
				s.log.Error("range ban left out of the table", zap.String("block", b.ID), zap.Error(err))
				continue
			}
		}
		entries = append(entries, e)
		kinds[b.ID] = b.Kind
	}
	table, err := ipban.NewTable(entries, ipban.WithNeverBlock(s.never))
	if err != nil {
		return fmt.Errorf("building the ip ban table: %w", err)
	}
	prev := s.bans.Swap(&banSnapshot{table: table, kinds: kinds, version: v, writes: w, sum: sum})
	if prev != nil {
		s.addPending(prev.table.DrainHits())
	}
	s.log.Debug("ip ban table rebuilt", zap.Int("entries", len(entries)), zap.Int64("version", v))
	return nil
}

// fingerprint hashes what the table is built from.
func fingerprint(list []*contextstore.Block) uint64 {
	h := fnv.New64a()
	var buf []byte
	for _, b := range list {
		buf = append(buf[:0], b.ID...)
		buf = append(buf, 0)
		buf = append(buf, b.Kind...)
		buf = append(buf, 0)
		buf = append(buf, b.IPHash...)
		buf = append(buf, 0)
		buf = append(buf, b.Range...)
		buf = append(buf, 0)
		if b.Allow {
			buf = append(buf, 1)
		}
		for _, c := range b.Channels {
			buf = append(buf, c...)
			buf = append(buf, ',')
		}
		buf = append(buf, 0)
		if b.Until != nil {
			buf = b.Until.AppendFormat(buf, time.RFC3339Nano)
		}
		buf = append(buf, '\n')
		h.Write(buf)
	}
	return h.Sum64()
}

func (s *Service) addPending(hits map[string]ipban.HitStat) {
	if len(hits) == 0 {
		return
	}
	s.hitsMu.Lock()
	defer s.hitsMu.Unlock()
	for id, h := range hits {
		s.pending[id] = mergeHit(s.pending[id], h)
	}
}

func mergeHit(a, b ipban.HitStat) ipban.HitStat {
	out := ipban.HitStat{Count: a.Count + b.Count, Last: a.Last}
	if b.Last.After(out.Last) {
		out.Last = b.Last
	}
	return out
}

// FlushHits adds the hit counts the IP ban table gathered since the last
// flush to the stored bans (HitCount, LastHitAt), with compare-and-swap,
// so several instances add up. Counts that could not be written are kept
// for the next flush; bans deleted meanwhile are dropped. Run calls it
// periodically.
func (s *Service) FlushHits(ctx context.Context) error {
	if snap := s.bans.Load(); snap != nil {
		s.addPending(snap.table.DrainHits())
	}
	s.hitsMu.Lock()
	hits := s.pending
	s.pending = map[string]ipban.HitStat{}
	s.hitsMu.Unlock()

	var errs []error
	failed := map[string]ipban.HitStat{}
	for id, h := range hits {
		_, _, err := s.modify(ctx, id, "counting hits of", false, func(b *contextstore.Block, _ time.Time) error {
			b.HitCount += h.Count
			if b.LastHitAt == nil || h.Last.After(*b.LastHitAt) {
				last := h.Last.UTC()
				b.LastHitAt = &last
			}
			return nil
		})
		switch {
		case errors.Is(err, contextstore.ErrNotFound):
		case err != nil:
			failed[id] = h
			errs = append(errs, err)
		}
	}
	s.addPending(failed)
	return errors.Join(errs...)
}
