package storetest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/contextstore/storetest"
)

// accountMutants are memory stores with one account bug each; like
// mutants(), each must fail the suite in the subtest failsIn.
func accountMutants() []mutant {
	return []mutant{
		{"AccountIgnoresVersion", "Accounts/UpdateCompareAndSwap", func(m *memory.Store) contextstore.Store { return &accountNoCAS{Store: m} }},
		{"TokenHashNotUnique", "Accounts/DuplicateTokenHashAlreadyExists", func(m *memory.Store) contextstore.Store { return &tokenNotUnique{Store: m} }},
		{"LookupHidesRevoked", "Accounts/RevokedStillReturned", func(m *memory.Store) contextstore.Store { return &hidesRevoked{Store: m} }},
		{"AccountGetShared", "Accounts/IndependentCopies", func(m *memory.Store) contextstore.Store { return &sharedAccount{Store: m} }},
		{"AccountsUnordered", "Accounts/ListOrderedByID", func(m *memory.Store) contextstore.Store { return &reversedAccounts{Store: m} }},
	}
}

// TestAccountMutant runs the Accounts section against the mutant named by
// STORETEST_ACCOUNT_MUTANT; it is skipped unless
// TestSuiteCatchesBrokenAccountStores started this process.
func TestAccountMutant(t *testing.T) {
	name := os.Getenv("STORETEST_ACCOUNT_MUTANT")
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenAccountStores")
	}
	i := slices.IndexFunc(accountMutants(), func(m mutant) bool { return m.name == name })
	if i < 0 {
		t.Fatalf("no account mutant %q", name)
	}
	m := accountMutants()[i]
	storetest.Run(t, func(t *testing.T) contextstore.Store { return m.wrap(memory.New()) })
}

func TestSuiteCatchesBrokenAccountStores(t *testing.T) {
	if os.Getenv("STORETEST_ACCOUNT_MUTANT") != "" || os.Getenv("STORETEST_MUTANT") != "" {
		t.Skip("in a child process")
	}
	if testing.Short() {
		t.Skip("starts a process per mutant")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range accountMutants() {
		t.Run(m.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestAccountMutant$/^Accounts$", "-test.v")
			cmd.Env = append(os.Environ(), "STORETEST_ACCOUNT_MUTANT="+m.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed (or did not run: %v) against a store with bug %s:\n%s", err, m.name, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestAccountMutant/"+m.failsIn+" ") {
				t.Fatalf("subtest %s did not fail against bug %s:\n%s", m.failsIn, m.name, out)
			}
		})
	}
}

// accountNoCAS overwrites whatever version is stored.
type accountNoCAS struct{ *memory.Store }

func (s *accountNoCAS) UpdateAccount(ctx context.Context, a *contextstore.Account) error {
	if cur, err := s.Store.GetAccount(ctx, a.ID); err == nil {
		a.Version = cur.Version
	}
	return s.Store.UpdateAccount(ctx, a)
}

// tokenNotUnique accepts a second account with a taken token hash (it
// stores it under a mangled hash, so lookups still find the first).
type tokenNotUnique struct{ *memory.Store }

func (s *tokenNotUnique) CreateAccount(ctx context.Context, a *contextstore.Account) error {
	if _, err := s.Store.GetAccountByTokenHash(ctx, a.TokenHash); err == nil {
		cp := *a
		cp.TokenHash += "#dup"
		err := s.Store.CreateAccount(ctx, &cp)
		a.Version = cp.Version
		return err
	}
	return s.Store.CreateAccount(ctx, a)
}

// hidesRevoked decides for auth: lookups by token hash skip revoked
// accounts.
type hidesRevoked struct{ *memory.Store }

func (s *hidesRevoked) GetAccountByTokenHash(ctx context.Context, hash string) (*contextstore.Account, error) {
	a, err := s.Store.GetAccountByTokenHash(ctx, hash)
	if err == nil && a.Revoked() {
		return nil, contextstore.ErrNotFound
	}
	return a, err
}

// sharedAccount returns the same record to every reader of an id.
type sharedAccount struct {
	*memory.Store
	mu    sync.Mutex
	cache map[string]*contextstore.Account
}

func (s *sharedAccount) GetAccount(ctx context.Context, id string) (*contextstore.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.cache[id]; ok {
		return a, nil
	}
	a, err := s.Store.GetAccount(ctx, id)
	if err == nil {
		if s.cache == nil {
			s.cache = map[string]*contextstore.Account{}
		}
		s.cache[id] = a
	}
	return a, err
}

func (s *sharedAccount) UpdateAccount(ctx context.Context, a *contextstore.Account) error {
	s.mu.Lock()
	delete(s.cache, a.ID)
	s.mu.Unlock()
	return s.Store.UpdateAccount(ctx, a)
}

// reversedAccounts lists accounts in reverse ID order.
type reversedAccounts struct{ *memory.Store }

func (s *reversedAccounts) ListAccounts(ctx context.Context) ([]*contextstore.Account, error) {
	all, err := s.Store.ListAccounts(ctx)
	slices.Reverse(all)
	return all, err
}
