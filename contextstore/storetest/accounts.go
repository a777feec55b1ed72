package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// sampleAccount returns an account with every field set (Version 0).
func sampleAccount(id string) *contextstore.Account {
	return &contextstore.Account{
		ID:        id,
		Name:      "Ann Example ✓",
		Email:     id + "@example.com",
		Role:      "supervisor",
		TokenHash: "hash-" + id,
		CreatedAt: t0,
		CreatedBy: "bootstrap-admin",
		RevokedAt: tp(t0.Add(time.Hour)),
		RevokedBy: "admin-1",
	}
}

// plainAccount returns a usable (not revoked) account.
func plainAccount(id, hash string) *contextstore.Account {
	return &contextstore.Account{ID: id, Name: "name " + id, Role: "agent", TokenHash: hash, CreatedAt: t0}
}

func accountVersion(a *contextstore.Account, v int64) *contextstore.Account {
	a.Version = v
	return a
}

func accountID(a *contextstore.Account) string { return a.ID }

func mustCreateAccount(t *testing.T, s contextstore.Store, a *contextstore.Account) {
	t.Helper()
	noErr(t, "CreateAccount "+a.ID, s.CreateAccount(t.Context(), a))
}

func mustGetAccount(t *testing.T, s contextstore.Store, id string) *contextstore.Account {
	t.Helper()
	a, err := s.GetAccount(t.Context(), id)
	noErr(t, "GetAccount "+id, err)
	if a == nil {
		t.Fatalf("GetAccount %s returned nil without an error", id)
	}
	return a
}

func mustGetAccountByHash(t *testing.T, s contextstore.Store, hash string) *contextstore.Account {
	t.Helper()
	a, err := s.GetAccountByTokenHash(t.Context(), hash)
	noErr(t, "GetAccountByTokenHash "+hash, err)
	if a == nil {
		t.Fatalf("GetAccountByTokenHash %s returned nil without an error", hash)
	}
	return a
}

func mustListAccounts(t *testing.T, s contextstore.Store) []*contextstore.Account {
	t.Helper()
	all, err := s.ListAccounts(t.Context())
	noErr(t, "ListAccounts", err)
	return all
}

// wantNoAccountByHash fails unless no account has the token hash.
func wantNoAccountByHash(t *testing.T, s contextstore.Store, what, hash string) {
	t.Helper()
	a, err := s.GetAccountByTokenHash(t.Context(), hash)
	if !errors.Is(err, contextstore.ErrNotFound) {
		t.Fatalf("%s: GetAccountByTokenHash(%q) = %+v, %v; want an error wrapping %q", what, hash, a, err, contextstore.ErrNotFound)
	}
}

// mutateAccount changes every field and pointed-to value of a in place.
func mutateAccount(a *contextstore.Account) {
	a.Name = "changed"
	a.Role = "admin"
	a.TokenHash = "changed"
	if a.RevokedAt != nil {
		*a.RevokedAt = t0.Add(-time.Hour)
	}
}

func testAccounts(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		a := sampleAccount("acc1")
		mustCreateAccount(t, s, a)
		if a.Version != 1 {
			t.Fatalf("Version after create = %d, want 1", a.Version)
		}
		want := accountVersion(sampleAccount("acc1"), 1)
		requireEqual(t, "account", want, mustGetAccount(t, s, "acc1"))
		requireEqual(t, "account by token hash", want, mustGetAccountByHash(t, s, "hash-acc1"))
		requireEqual(t, "listed accounts", []*contextstore.Account{want}, mustListAccounts(t, s))

		_, err := s.GetAccount(t.Context(), "missing")
		wantErr(t, "GetAccount of a missing id", err, contextstore.ErrNotFound)
	})

	t.Run("VersionIgnoredOnCreate", func(t *testing.T) {
		s := newStore(t)
		a := plainAccount("acc1", "h1")
		a.Version = 7
		mustCreateAccount(t, s, a)
		if a.Version != 1 {
			t.Fatalf("Version after create = %d, want 1", a.Version)
		}
		if got := mustGetAccount(t, s, "acc1").Version; got != 1 {
			t.Fatalf("stored Version = %d, want 1", got)
		}
	})

	t.Run("IndependentCopies", func(t *testing.T) {
		s := newStore(t)
		a := sampleAccount("acc1")
		mustCreateAccount(t, s, a)
		mutateAccount(a)
		want := accountVersion(sampleAccount("acc1"), 1)
		requireEqual(t, "account after mutating the value that was created", want, mustGetAccount(t, s, "acc1"))
		mutateAccount(mustGetAccount(t, s, "acc1"))
		requireEqual(t, "account after mutating a returned copy", want, mustGetAccount(t, s, "acc1"))
		mutateAccount(mustGetAccountByHash(t, s, "hash-acc1"))
		requireEqual(t, "account after mutating a copy found by token hash", want, mustGetAccount(t, s, "acc1"))
		for _, l := range mustListAccounts(t, s) {
			mutateAccount(l)
		}
		requireEqual(t, "account after mutating a listed copy", want, mustGetAccount(t, s, "acc1"))

		u := mustGetAccount(t, s, "acc1")
		u.Email = "new@example.com"
		noErr(t, "UpdateAccount", s.UpdateAccount(t.Context(), u))
		mutateAccount(u)
		want = accountVersion(sampleAccount("acc1"), 2)
		want.Email = "new@example.com"
		requireEqual(t, "account after mutating the value that was updated", want, mustGetAccount(t, s, "acc1"))
		requireEqual(t, "account by its unchanged token hash", want, mustGetAccountByHash(t, s, "hash-acc1"))
	})

	t.Run("DuplicateIDAlreadyExists", func(t *testing.T) {
		s := newStore(t)
		mustCreateAccount(t, s, sampleAccount("acc1"))
		dup := plainAccount("acc1", "other-hash")
		wantErr(t, "CreateAccount with a taken id", s.CreateAccount(t.Context(), dup), contextstore.ErrAlreadyExists)
		if dup.Version != 0 {
			t.Fatalf("a failed create changed the caller's Version to %d", dup.Version)
		}
		requireEqual(t, "account after a duplicate create", accountVersion(sampleAccount("acc1"), 1), mustGetAccount(t, s, "acc1"))
		wantNoAccountByHash(t, s, "the token hash of a refused create", "other-hash")
		sameIDs(t, "accounts after a duplicate create", []string{"acc1"}, ids(mustListAccounts(t, s), accountID))
	})

	t.Run("DuplicateTokenHashAlreadyExists", func(t *testing.T) {
		s := newStore(t)
		mustCreateAccount(t, s, sampleAccount("acc1"))
		dup := plainAccount("acc2", "hash-acc1")
		wantErr(t, "CreateAccount with a taken token hash", s.CreateAccount(t.Context(), dup), contextstore.ErrAlreadyExists)
		if dup.Version != 0 {
			t.Fatalf("a failed create changed the caller's Version to %d", dup.Version)
		}
		_, err := s.GetAccount(t.Context(), "acc2")
		wantErr(t, "GetAccount of the refused account", err, contextstore.ErrNotFound)
		requireEqual(t, "account holding the token hash", accountVersion(sampleAccount("acc1"), 1), mustGetAccountByHash(t, s, "hash-acc1"))
		sameIDs(t, "accounts after a duplicate token hash", []string{"acc1"}, ids(mustListAccounts(t, s), accountID))
	})

	t.Run("EmptyKeysRejected", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateAccount(t.Context(), plainAccount("", "h1")); err == nil {
			t.Fatal("CreateAccount with an empty ID succeeded")
		}
		if err := s.CreateAccount(t.Context(), plainAccount("acc1", "")); err == nil {
			t.Fatal("CreateAccount with an empty TokenHash succeeded")
		}
		if all := mustListAccounts(t, s); len(all) != 0 {
			t.Fatalf("a rejected create stored %q", ids(all, accountID))
		}
		wantNoAccountByHash(t, s, "the token hash of a rejected create", "h1")

		mustCreateAccount(t, s, plainAccount("acc1", "h1"))
		u := mustGetAccount(t, s, "acc1")
		u.TokenHash = ""
		if err := s.UpdateAccount(t.Context(), u); err == nil {
			t.Fatal("UpdateAccount to an empty TokenHash succeeded")
		}
		requireEqual(t, "account after a rejected update", accountVersion(plainAccount("acc1", "h1"), 1), mustGetAccount(t, s, "acc1"))
	})

	t.Run("LookupByTokenHash", func(t *testing.T) {
		s := newStore(t)
		wantNoAccountByHash(t, s, "empty store", "h1")
		mustCreateAccount(t, s, plainAccount("acc1", "h1"))
		mustCreateAccount(t, s, plainAccount("acc2", "h2"))
		requireEqual(t, "account of h1", accountVersion(plainAccount("acc1", "h1"), 1), mustGetAccountByHash(t, s, "h1"))
		requireEqual(t, "account of h2", accountVersion(plainAccount("acc2", "h2"), 1), mustGetAccountByHash(t, s, "h2"))
		wantNoAccountByHash(t, s, "unknown hash", "h3")
		wantNoAccountByHash(t, s, "empty hash", "")
		wantNoAccountByHash(t, s, "an account id is not a token hash", "acc1")
		wantNoAccountByHash(t, s, "a hash prefix", "h")
	})

	t.Run("UpdateCompareAndSwap", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		mustCreateAccount(t, s, plainAccount("acc1", "h1"))
		a, b := mustGetAccount(t, s, "acc1"), mustGetAccount(t, s, "acc1")

		a.Role = "admin"
		noErr(t, "UpdateAccount", s.UpdateAccount(ctx, a))
		if a.Version != 2 {
			t.Fatalf("Version after update = %d, want 2", a.Version)
		}
		want := accountVersion(plainAccount("acc1", "h1"), 2)
		want.Role = "admin"
		requireEqual(t, "updated account", want, mustGetAccount(t, s, "acc1"))

		b.Name = "lost"
		wantErr(t, "UpdateAccount at a stale version", s.UpdateAccount(ctx, b), contextstore.ErrVersionConflict)
		if b.Version != 1 {
			t.Fatalf("a failed update changed the caller's Version to %d", b.Version)
		}
		b.Version = 9
		wantErr(t, "UpdateAccount at a future version", s.UpdateAccount(ctx, b), contextstore.ErrVersionConflict)
		requireEqual(t, "account after lost updates", want, mustGetAccount(t, s, "acc1"))

		missing := plainAccount("nope", "h9")
		missing.Version = 1
		wantErr(t, "UpdateAccount of a missing id", s.UpdateAccount(ctx, missing), contextstore.ErrNotFound)
		if missing.Version != 1 {
			t.Fatalf("a failed update changed the caller's Version to %d", missing.Version)
		}
		_, err := s.GetAccount(ctx, "nope")
		wantErr(t, "GetAccount after updating a missing id", err, contextstore.ErrNotFound)
		wantNoAccountByHash(t, s, "token hash of an update of a missing id", "h9")
	})

	t.Run("UpdateMovesTokenIndex", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		mustCreateAccount(t, s, plainAccount("acc1", "h1"))
		mustCreateAccount(t, s, plainAccount("acc2", "h2"))

		a := mustGetAccount(t, s, "acc1")
		a.TokenHash = "h1-rotated"
		noErr(t, "UpdateAccount with a new token hash", s.UpdateAccount(ctx, a))
		wantNoAccountByHash(t, s, "the replaced token hash", "h1")
		requireEqual(t, "account of the new token hash", accountVersion(plainAccount("acc1", "h1-rotated"), 2), mustGetAccountByHash(t, s, "h1-rotated"))

		// The old hash is free again.
		mustCreateAccount(t, s, plainAccount("acc3", "h1"))
		requireEqual(t, "account of the reused token hash", accountVersion(plainAccount("acc3", "h1"), 1), mustGetAccountByHash(t, s, "h1"))

		// Another account's hash is refused, and nothing changes.
		a.TokenHash = "h2"
		wantErr(t, "UpdateAccount to another account's token hash", s.UpdateAccount(ctx, a), contextstore.ErrAlreadyExists)
		if a.Version != 2 {
			t.Fatalf("a failed update changed the caller's Version to %d", a.Version)
		}
		requireEqual(t, "account after a refused token hash", accountVersion(plainAccount("acc1", "h1-rotated"), 2), mustGetAccount(t, s, "acc1"))
		requireEqual(t, "owner of the contested token hash", accountVersion(plainAccount("acc2", "h2"), 1), mustGetAccountByHash(t, s, "h2"))
		requireEqual(t, "account of its own token hash", accountVersion(plainAccount("acc1", "h1-rotated"), 2), mustGetAccountByHash(t, s, "h1-rotated"))
	})

	t.Run("RevokedStillReturned", func(t *testing.T) {
		s := newStore(t)
		mustCreateAccount(t, s, plainAccount("acc1", "h1"))
		a := mustGetAccount(t, s, "acc1")
		a.RevokedAt, a.RevokedBy = tp(t0.Add(time.Minute)), "admin-1"
		noErr(t, "UpdateAccount (revoke)", s.UpdateAccount(t.Context(), a))

		want := accountVersion(plainAccount("acc1", "h1"), 2)
		want.RevokedAt, want.RevokedBy = tp(t0.Add(time.Minute)), "admin-1"
		requireEqual(t, "revoked account", want, mustGetAccount(t, s, "acc1"))
		requireEqual(t, "revoked account by token hash", want, mustGetAccountByHash(t, s, "h1"))
		requireEqual(t, "listed revoked account", []*contextstore.Account{want}, mustListAccounts(t, s))
		if !mustGetAccountByHash(t, s, "h1").Revoked() {
			t.Fatal("Revoked() = false for an account with RevokedAt set")
		}
		// The token stays taken: a revoked token is never given to anyone else.
		wantErr(t, "CreateAccount with a revoked account's token hash",
			s.CreateAccount(t.Context(), plainAccount("acc2", "h1")), contextstore.ErrAlreadyExists)
	})

	t.Run("ListOrderedByID", func(t *testing.T) {
		s := newStore(t)
		if all := mustListAccounts(t, s); len(all) != 0 {
			t.Fatalf("accounts of an empty store: %q", ids(all, accountID))
		}
		// Created out of order; hashes sort differently from the ids.
		for i, id := range []string{"acc-c", "acc-a", "acc-10", "acc-b", "acc-1"} {
			mustCreateAccount(t, s, plainAccount(id, fmt.Sprintf("h%d", 9-i)))
		}
		all := mustListAccounts(t, s)
		sameIDs(t, "accounts", []string{"acc-1", "acc-10", "acc-a", "acc-b", "acc-c"}, ids(all, accountID))
		requireEqual(t, "first listed account", accountVersion(plainAccount("acc-1", "h5"), 1), all[0])
	})

	t.Run("ConcurrentCreateOneTokenHash", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.CreateAccount(t.Context(), plainAccount(fmt.Sprintf("acc%d", i), "same"))
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, contextstore.ErrAlreadyExists):
				t.Fatalf("create %d: %v, want nil or ErrAlreadyExists", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d creates with one token hash succeeded, want exactly 1", won)
		}
		if all := mustListAccounts(t, s); len(all) != 1 {
			t.Fatalf("accounts after racing creates: %q, want one", ids(all, accountID))
		}
	})
}
