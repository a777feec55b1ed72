package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// sampleBlock returns a block with every field set (Version 0).
func sampleBlock(id string) *contextstore.Block {
	return &contextstore.Block{
		ID:             id,
		Kind:           contextstore.KindIP,
		UserID:         "u1",
		ConversationID: "c1",
		IPHash:         "hash-203.0.113.7",
		IPCipher:       []byte{0x00, 0x01, 0xfe, 0xff, 'x'},
		Range:          "203.0.113.0/24",
		Allow:          true,
		Channels:       []string{"livechat", "forum"},
		ReasonCategory: "spam",
		Reason:         "sent 40 links in a minute 🔗",
		Notes:          "second time this week",
		CreatedAt:      t0,
		CreatedBy:      "agent@example.com",
		Until:          tp(t0.Add(24 * time.Hour)),
		LiftedAt:       tp(t0.Add(time.Hour)),
		LiftedBy:       "admin@example.com",
		LiftNotes:      "appeal accepted",
		UpdatedAt:      t0.Add(time.Hour),
		HitCount:       12,
		LastHitAt:      tp(t0.Add(30 * time.Minute)),
		Purged:         true,
		MarkSpam:       true,
	}
}

func blockVersion(b *contextstore.Block, v int64) *contextstore.Block {
	b.Version = v
	return b
}

func mustGetBlock(t *testing.T, s contextstore.Store, id string) *contextstore.Block {
	t.Helper()
	b, err := s.GetBlock(t.Context(), id)
	noErr(t, "GetBlock "+id, err)
	if b == nil {
		t.Fatalf("GetBlock %s returned nil without an error", id)
	}
	return b
}

func mustCreateBlock(t *testing.T, s contextstore.Store, b *contextstore.Block) {
	t.Helper()
	noErr(t, "CreateBlock "+b.ID, s.CreateBlock(t.Context(), b))
}

// mutateBlock changes every slice and pointer of b in place.
func mutateBlock(b *contextstore.Block) {
	b.IPCipher[0] = 0x42
	b.Channels[0] = "changed"
	*b.Until = t0.Add(-time.Hour)
	*b.LiftedAt = t0.Add(-time.Hour)
	*b.LastHitAt = t0.Add(-time.Hour)
	b.Reason = "changed"
}

func testBlocks(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("CreateGetDelete", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		b := sampleBlock("b1")
		mustCreateBlock(t, s, b)
		if b.Version != 1 {
			t.Fatalf("Version after create = %d, want 1", b.Version)
		}
		requireEqual(t, "block", blockVersion(sampleBlock("b1"), 1), mustGetBlock(t, s, "b1"))

		_, err := s.GetBlock(ctx, "missing")
		wantErr(t, "GetBlock of a missing id", err, contextstore.ErrNotFound)

		noErr(t, "DeleteBlock", s.DeleteBlock(ctx, "b1"))
		_, err = s.GetBlock(ctx, "b1")
		wantErr(t, "GetBlock after delete", err, contextstore.ErrNotFound)
		noErr(t, "DeleteBlock of a deleted id", s.DeleteBlock(ctx, "b1"))
		noErr(t, "DeleteBlock of an id never stored", s.DeleteBlock(ctx, "never"))
		all, err := s.ListBlocks(ctx, contextstore.BlockQuery{})
		noErr(t, "ListBlocks", err)
		if len(all) != 0 {
			t.Fatalf("blocks after delete: %q", ids(all, blockID))
		}

		// A deleted id can be used again.
		again := &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "u9", CreatedAt: t0}
		mustCreateBlock(t, s, again)
		requireEqual(t, "re-created block", &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "u9", CreatedAt: t0, Version: 1}, mustGetBlock(t, s, "b1"))
	})

	t.Run("DuplicateIDAlreadyExists", func(t *testing.T) {
		s := newStore(t)
		mustCreateBlock(t, s, sampleBlock("b1"))
		dup := &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "other"}
		wantErr(t, "CreateBlock with a taken id", s.CreateBlock(t.Context(), dup), contextstore.ErrAlreadyExists)
		if dup.Version != 0 {
			t.Fatalf("a failed create changed the caller's Version to %d", dup.Version)
		}
		requireEqual(t, "block after a duplicate create", blockVersion(sampleBlock("b1"), 1), mustGetBlock(t, s, "b1"))
	})

	t.Run("OneBlockPerCause", func(t *testing.T) {
		s := newStore(t)
		first := sampleBlock("b1")
		first.Cause = "conv-1/key-1/step-block"
		mustCreateBlock(t, s, first)
		dup := sampleBlock("b2")
		dup.Cause = first.Cause
		err := s.CreateBlock(t.Context(), dup)
		wantErr(t, "CreateBlock with a taken cause", err, contextstore.ErrAlreadyExists)
		var ct *contextstore.CauseTakenError
		if !errors.As(err, &ct) || ct.ID != "b1" || ct.Cause != first.Cause {
			t.Fatalf("CreateBlock with a taken cause: %v (%#v), want a *CauseTakenError naming b1", err, ct)
		}
		if _, err := s.GetBlock(t.Context(), "b2"); !errors.Is(err, contextstore.ErrNotFound) {
			t.Fatalf("the refused block was stored: GetBlock(b2) = %v", err)
		}
		other := sampleBlock("b3")
		other.Cause = "conv-1/key-2/step-block"
		mustCreateBlock(t, s, other)
		uncaused := sampleBlock("b4") // no cause: never deduplicated
		mustCreateBlock(t, s, uncaused)
		mustCreateBlock(t, s, sampleBlock("b5"))
		// Deleting the holder releases the cause.
		noErr(t, "DeleteBlock", s.DeleteBlock(t.Context(), "b1"))
		again := sampleBlock("b6")
		again.Cause = first.Cause
		mustCreateBlock(t, s, again)
	})

	t.Run("ConcurrentCreatesOfOneCause", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				b := sampleBlock(fmt.Sprintf("c%d", i))
				b.Cause = "the-one-cause"
				errs <- s.CreateBlock(t.Context(), b)
			})
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, contextstore.ErrAlreadyExists):
			default:
				t.Fatalf("concurrent CreateBlock: %v", err)
			}
		}
		all, err := s.ListBlocks(t.Context(), contextstore.BlockQuery{})
		noErr(t, "ListBlocks", err)
		if ok != 1 || len(all) != 1 {
			t.Fatalf("%d concurrent creates of one cause: %d succeeded, %d stored; want 1 and 1", n, ok, len(all))
		}
	})

	t.Run("EmptyIDRejected", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateBlock(t.Context(), sampleBlock("")); err == nil {
			t.Fatal("CreateBlock with an empty ID succeeded")
		}
		all, err := s.ListBlocks(t.Context(), contextstore.BlockQuery{})
		noErr(t, "ListBlocks", err)
		if len(all) != 0 {
			t.Fatalf("a rejected create stored %q", ids(all, blockID))
		}
	})

	t.Run("IndependentCopies", func(t *testing.T) {
		s := newStore(t)
		b := sampleBlock("b1")
		mustCreateBlock(t, s, b)
		mutateBlock(b)
		want := blockVersion(sampleBlock("b1"), 1)
		requireEqual(t, "block after mutating the value that was created", want, mustGetBlock(t, s, "b1"))
		mutateBlock(mustGetBlock(t, s, "b1"))
		requireEqual(t, "block after mutating a returned copy", want, mustGetBlock(t, s, "b1"))
		listed, err := s.ListBlocks(t.Context(), contextstore.BlockQuery{})
		noErr(t, "ListBlocks", err)
		for _, l := range listed {
			mutateBlock(l)
		}
		requireEqual(t, "block after mutating a listed copy", want, mustGetBlock(t, s, "b1"))

		u := mustGetBlock(t, s, "b1")
		u.Notes = "updated"
		noErr(t, "UpdateBlock", s.UpdateBlock(t.Context(), u))
		mutateBlock(u)
		want = blockVersion(sampleBlock("b1"), 2)
		want.Notes = "updated"
		requireEqual(t, "block after mutating the value that was updated", want, mustGetBlock(t, s, "b1"))
	})

	t.Run("UpdateCompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		mustCreateBlock(t, s, &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "u1", CreatedAt: t0, Until: tp(t0.Add(time.Hour))})
		a, b := mustGetBlock(t, s, "b1"), mustGetBlock(t, s, "b1")

		// Lift it.
		a.LiftedAt, a.LiftedBy, a.LiftNotes = tp(t0.Add(time.Minute)), "admin", "appeal"
		noErr(t, "UpdateBlock", s.UpdateBlock(ctx, a))
		if a.Version != 2 {
			t.Fatalf("Version after update = %d, want 2", a.Version)
		}
		want := &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "u1", CreatedAt: t0, Until: tp(t0.Add(time.Hour)),
			LiftedAt: tp(t0.Add(time.Minute)), LiftedBy: "admin", LiftNotes: "appeal", Version: 2}
		requireEqual(t, "updated block", want, mustGetBlock(t, s, "b1"))

		// A concurrent renew from the old version loses.
		b.Until = tp(t0.Add(48 * time.Hour))
		wantErr(t, "UpdateBlock at a stale version", s.UpdateBlock(ctx, b), contextstore.ErrVersionConflict)
		if b.Version != 1 {
			t.Fatalf("a failed update changed the caller's Version to %d", b.Version)
		}
		b.Version = 9
		wantErr(t, "UpdateBlock at a future version", s.UpdateBlock(ctx, b), contextstore.ErrVersionConflict)
		requireEqual(t, "block after lost updates", want, mustGetBlock(t, s, "b1"))

		missing := &contextstore.Block{ID: "nope", Kind: contextstore.KindUser, Version: 1}
		wantErr(t, "UpdateBlock of a missing id", s.UpdateBlock(ctx, missing), contextstore.ErrNotFound)
		if missing.Version != 1 {
			t.Fatalf("a failed update changed the caller's Version to %d", missing.Version)
		}
		_, err := s.GetBlock(ctx, "nope")
		wantErr(t, "GetBlock after updating a missing id", err, contextstore.ErrNotFound)

		noErr(t, "DeleteBlock", s.DeleteBlock(ctx, "b1"))
		wantErr(t, "UpdateBlock of a deleted block", s.UpdateBlock(ctx, a), contextstore.ErrNotFound)
	})
}

// fixtureBlocks is the block set of the query tests, relative to t0:
//
//	id   kind          key        channels            category by       created  until   lifted
//	b01  user          u1         all                 spam     ann      -72h     +24h
//	b02  user          u1         livechat            abuse    bob      -48h     -1h
//	b03  user          u2         contactform         spam     ann      -47h     never
//	b04  user          u2         all                 abuse    ann      -24h     +48h    -2h
//	b05  conversation  c1         livechat, forum     spam     bob      -23h     +30m
//	b06  ip            h1         all                 abuse    system   -12h     ±0
//	b07  range         /24        call                spam     ann      -6h      never
//	b08  range (allow) /32        all                 -        bob      -5h      never
//	b09  ip            h2         livechat            -        bob      -1h      +2h
//	b10  user          u3 (c2)    all                 spam     ann      ±0       +1h
func fixtureBlocks() []*contextstore.Block {
	h := time.Hour
	return []*contextstore.Block{
		{ID: "b01", Kind: contextstore.KindUser, UserID: "u1", ReasonCategory: "spam", CreatedBy: "ann", CreatedAt: t0.Add(-72 * h), Until: tp(t0.Add(24 * h))},
		{ID: "b02", Kind: contextstore.KindUser, UserID: "u1", Channels: []string{"livechat"}, ReasonCategory: "abuse", CreatedBy: "bob", CreatedAt: t0.Add(-48 * h), Until: tp(t0.Add(-h))},
		{ID: "b03", Kind: contextstore.KindUser, UserID: "u2", Channels: []string{"contactform"}, ReasonCategory: "spam", CreatedBy: "ann", CreatedAt: t0.Add(-47 * h)},
		{ID: "b04", Kind: contextstore.KindUser, UserID: "u2", ReasonCategory: "abuse", CreatedBy: "ann", CreatedAt: t0.Add(-24 * h), Until: tp(t0.Add(48 * h)), LiftedAt: tp(t0.Add(-2 * h)), LiftedBy: "admin"},
		{ID: "b05", Kind: contextstore.KindConversation, ConversationID: "c1", Channels: []string{"livechat", "forum"}, ReasonCategory: "spam", CreatedBy: "bob", CreatedAt: t0.Add(-23 * h), Until: tp(t0.Add(30 * time.Minute))},
		{ID: "b06", Kind: contextstore.KindIP, IPHash: "h1", IPCipher: []byte{1, 2, 3}, ReasonCategory: "abuse", CreatedBy: "system", CreatedAt: t0.Add(-12 * h), Until: tp(t0)},
		{ID: "b07", Kind: contextstore.KindRange, Range: "203.0.113.0/24", Channels: []string{"call"}, ReasonCategory: "spam", CreatedBy: "ann", CreatedAt: t0.Add(-6 * h)},
		{ID: "b08", Kind: contextstore.KindRange, Range: "203.0.113.7/32", Allow: true, CreatedBy: "bob", CreatedAt: t0.Add(-5 * h)},
		{ID: "b09", Kind: contextstore.KindIP, IPHash: "h2", Channels: []string{"livechat"}, CreatedBy: "bob", CreatedAt: t0.Add(-h), Until: tp(t0.Add(2 * h))},
		{ID: "b10", Kind: contextstore.KindUser, UserID: "u3", ConversationID: "c2", ReasonCategory: "spam", CreatedBy: "ann", CreatedAt: t0, Until: tp(t0.Add(h))},
	}
}

func testBlockQueries(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	s := newStore(t)
	ctx := t.Context()
	fixture := fixtureBlocks()
	// Created out of id order, so that order must come from the store.
	for _, i := range []int{6, 1, 9, 0, 4, 8, 2, 7, 5, 3} {
		mustCreateBlock(t, s, fixtureBlocks()[i])
	}
	all := []string{"b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09", "b10"}
	h := time.Hour
	kinds := func(k ...contextstore.BlockKind) []contextstore.BlockKind { return k }
	active := func(at time.Time) contextstore.BlockQuery {
		return contextstore.BlockQuery{Status: contextstore.StatusActive, At: at}
	}
	ended := func(at time.Time) contextstore.BlockQuery {
		return contextstore.BlockQuery{Status: contextstore.StatusEnded, At: at}
	}
	with := func(q contextstore.BlockQuery, f func(*contextstore.BlockQuery)) contextstore.BlockQuery {
		f(&q)
		return q
	}

	t.Run("AllWithContent", func(t *testing.T) {
		got, err := s.ListBlocks(ctx, contextstore.BlockQuery{})
		noErr(t, "ListBlocks", err)
		sameIDs(t, "all blocks", all, ids(got, blockID))
		for i, b := range got {
			requireEqual(t, "listed block "+b.ID, blockVersion(fixtureBlocks()[i], 1), b)
		}
	})

	cases := []struct {
		name string
		q    contextstore.BlockQuery
		want []string
	}{
		{"KindUser", contextstore.BlockQuery{Kinds: kinds(contextstore.KindUser)}, []string{"b01", "b02", "b03", "b04", "b10"}},
		{"KindsIPAndRange", contextstore.BlockQuery{Kinds: kinds(contextstore.KindIP, contextstore.KindRange)}, []string{"b06", "b07", "b08", "b09"}},
		{"KindConversation", contextstore.BlockQuery{Kinds: kinds(contextstore.KindConversation)}, []string{"b05"}},
		{"UserID", contextstore.BlockQuery{UserID: "u1"}, []string{"b01", "b02"}},
		{"UserIDOther", contextstore.BlockQuery{UserID: "u2"}, []string{"b03", "b04"}},
		{"ConversationID", contextstore.BlockQuery{ConversationID: "c1"}, []string{"b05"}},
		{"ConversationIDOfUserBlock", contextstore.BlockQuery{ConversationID: "c2"}, []string{"b10"}},
		{"IPHash", contextstore.BlockQuery{IPHash: "h1"}, []string{"b06"}},
		// Expiry is decided on read: the same stored blocks are active
		// or ended depending only on the reference time.
		{"ActiveNow", active(t0), []string{"b01", "b03", "b05", "b07", "b08", "b09", "b10"}},
		{"EndedNow", ended(t0), []string{"b02", "b04", "b06"}},
		{"ActiveInAnHour", active(t0.Add(h)), []string{"b01", "b03", "b07", "b08", "b09"}},
		{"EndedInAnHour", ended(t0.Add(h)), []string{"b02", "b04", "b05", "b06", "b10"}},
		{"OnlyPermanentActiveLater", active(t0.Add(49 * h)), []string{"b03", "b07", "b08"}},
		{"ActiveUserBlocksOfU1", with(active(t0), func(q *contextstore.BlockQuery) {
			q.Kinds, q.UserID = kinds(contextstore.KindUser), "u1"
		}), []string{"b01"}},
		{"ChannelLivechat", contextstore.BlockQuery{Channel: "livechat"}, []string{"b01", "b02", "b04", "b05", "b06", "b08", "b09", "b10"}},
		{"ChannelCall", contextstore.BlockQuery{Channel: "call"}, []string{"b01", "b04", "b06", "b07", "b08", "b10"}},
		{"ReasonCategorySpam", contextstore.BlockQuery{ReasonCategory: "spam"}, []string{"b01", "b03", "b05", "b07", "b10"}},
		{"ReasonCategoryAbuse", contextstore.BlockQuery{ReasonCategory: "abuse"}, []string{"b02", "b04", "b06"}},
		{"CreatedByAnn", contextstore.BlockQuery{CreatedBy: "ann"}, []string{"b01", "b03", "b04", "b07", "b10"}},
		{"CreatedBySystem", contextstore.BlockQuery{CreatedBy: "system"}, []string{"b06"}},
		{"CreatedFromInclusive", contextstore.BlockQuery{CreatedFrom: t0.Add(-47 * h)}, []string{"b03", "b04", "b05", "b06", "b07", "b08", "b09", "b10"}},
		{"CreatedToExclusive", contextstore.BlockQuery{CreatedTo: t0.Add(-12 * h)}, []string{"b01", "b02", "b03", "b04", "b05"}},
		{"CreatedBetween", contextstore.BlockQuery{CreatedFrom: t0.Add(-47 * h), CreatedTo: t0.Add(-12 * h)}, []string{"b03", "b04", "b05"}},
		{"ActiveUserBlocksOnLivechat", with(active(t0), func(q *contextstore.BlockQuery) {
			q.Kinds, q.Channel = kinds(contextstore.KindUser), "livechat"
		}), []string{"b01", "b10"}},
		{"NoMatch", contextstore.BlockQuery{UserID: "nobody"}, nil},
		{"Limit", contextstore.BlockQuery{Limit: 3}, []string{"b01", "b02", "b03"}},
		{"After", contextstore.BlockQuery{After: "b07"}, []string{"b08", "b09", "b10"}},
		{"AfterAbsentID", contextstore.BlockQuery{After: "b075"}, []string{"b08", "b09", "b10"}},
		{"AfterLast", contextstore.BlockQuery{After: "b10"}, nil},
		{"AfterWithLimitAndKinds", contextstore.BlockQuery{After: "b05", Limit: 2, Kinds: kinds(contextstore.KindIP, contextstore.KindRange)}, []string{"b06", "b07"}},
		{"LimitCountsMatchesOnly", with(ended(t0), func(q *contextstore.BlockQuery) { q.Limit = 2 }), []string{"b02", "b04"}},
	}
	t.Run("Filters", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListBlocks(ctx, tc.q)
				noErr(t, "ListBlocks", err)
				sameIDs(t, "ListBlocks", tc.want, ids(got, blockID))
				// The suite's expectations agree with BlockQuery.Match.
				var viaMatch []string
				for _, b := range fixture {
					if tc.q.Match(b) && b.ID > tc.q.After && (tc.q.Limit == 0 || len(viaMatch) < tc.q.Limit) {
						viaMatch = append(viaMatch, b.ID)
					}
				}
				sameIDs(t, "BlockQuery.Match on the fixture", tc.want, viaMatch)
			})
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		var pages [][]string
		after := ""
		for range 10 {
			q := active(t0)
			q.Limit, q.After = 3, after
			page, err := s.ListBlocks(ctx, q)
			noErr(t, "ListBlocks page", err)
			if len(page) == 0 {
				break
			}
			pages = append(pages, ids(page, blockID))
			after = page[len(page)-1].ID
		}
		if len(pages) != 3 {
			t.Fatalf("active blocks paged by 3: %q, want 3 pages", pages)
		}
		sameIDs(t, "page 1", []string{"b01", "b03", "b05"}, pages[0])
		sameIDs(t, "page 2", []string{"b07", "b08", "b09"}, pages[1])
		sameIDs(t, "page 3", []string{"b10"}, pages[2])
	})

	t.Run("ReadsDoNotWrite", func(t *testing.T) {
		// Expired blocks were reported as ended without being rewritten.
		for _, id := range []string{"b02", "b05", "b06", "b10"} {
			if v := mustGetBlock(t, s, id).Version; v != 1 {
				t.Errorf("block %s has Version %d after reads, want 1", id, v)
			}
		}
	})
}

func testBansVersion(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	s := newStore(t)
	ctx := t.Context()
	last, err := s.BansVersion(ctx)
	noErr(t, "BansVersion of an empty store", err)
	// increases fails unless the bans version went up since the last call.
	increases := func(after string) {
		t.Helper()
		v, err := s.BansVersion(ctx)
		noErr(t, "BansVersion", err)
		if v <= last {
			t.Fatalf("BansVersion after %s = %d, want more than %d", after, v, last)
		}
		last = v
	}
	// stays fails if the bans version went down.
	stays := func(after string) {
		t.Helper()
		v, err := s.BansVersion(ctx)
		noErr(t, "BansVersion", err)
		if v < last {
			t.Fatalf("BansVersion after %s = %d, went down from %d", after, v, last)
		}
		last = v
	}

	ip := &contextstore.Block{ID: "ip1", Kind: contextstore.KindIP, IPHash: "h1", CreatedAt: t0}
	mustCreateBlock(t, s, ip)
	increases("creating an ip ban")
	rng := &contextstore.Block{ID: "rng1", Kind: contextstore.KindRange, Range: "10.0.0.0/8", CreatedAt: t0}
	mustCreateBlock(t, s, rng)
	increases("creating a range ban")
	user := &contextstore.Block{ID: "user1", Kind: contextstore.KindUser, UserID: "u1", CreatedAt: t0}
	mustCreateBlock(t, s, user)
	stays("creating a user block")

	ip.LiftedAt = tp(t0.Add(time.Hour))
	noErr(t, "UpdateBlock ip", s.UpdateBlock(ctx, ip))
	increases("lifting an ip ban")
	rng.Allow = true
	noErr(t, "UpdateBlock range", s.UpdateBlock(ctx, rng))
	increases("updating a range ban")
	user.Notes = "x"
	noErr(t, "UpdateBlock user", s.UpdateBlock(ctx, user))
	stays("updating a user block")

	noErr(t, "DeleteBlock ip", s.DeleteBlock(ctx, "ip1"))
	increases("deleting an ip ban")
	noErr(t, "DeleteBlock range", s.DeleteBlock(ctx, "rng1"))
	increases("deleting a range ban")
	noErr(t, "DeleteBlock user", s.DeleteBlock(ctx, "user1"))
	stays("deleting a user block")
}
