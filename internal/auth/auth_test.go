package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/clock"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const bootstrapToken = "bootstrap-token-0123456789abcdef"

var (
	admin      = auth.Principal{ID: "adm", Name: "Ada", Email: "ada@acme.test", Role: auth.RoleAdmin}
	supervisor = auth.Principal{ID: "sup", Name: "Sam", Email: "sam@acme.test", Role: auth.RoleSupervisor}
	agent      = auth.Principal{ID: "agt", Name: "Bob", Email: "bob@acme.test", Role: auth.RoleAgent}
	bootstrap  = auth.Principal{ID: "bootstrap-admin", Role: auth.RoleAdmin}
)

type fixture struct {
	svc   *auth.Service
	store *memory.Store
	clock *clock.Fake
	logs  *observer.ObservedLogs
}

func newFixture(t *testing.T, bootstrapToken string) *fixture {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	f := &fixture{store: memory.New(), clock: clock.NewFake(t0), logs: logs}
	t.Cleanup(func() { _ = f.store.Close() })
	svc, err := auth.New(f.store, auth.Options{Clock: f.clock.Now, Logger: zap.New(core), BootstrapAdminToken: bootstrapToken})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) audit(t *testing.T) []*contextstore.AuditEvent {
	t.Helper()
	evs, err := f.store.ListAudit(t.Context(), contextstore.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (f *fixture) accounts(t *testing.T) []*contextstore.Account {
	t.Helper()
	all, err := f.store.ListAccounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func (f *fixture) create(t *testing.T, name, email string, role auth.Role) (*contextstore.Account, string) {
	t.Helper()
	a, tok, err := f.svc.CreateAccount(t.Context(), admin, name, email, role)
	if err != nil {
		t.Fatalf("CreateAccount(%q, %q, %q): %v", name, email, role, err)
	}
	return a, tok
}

func TestRoleAtLeast(t *testing.T) {
	roles := []auth.Role{auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin}
	for i, r := range roles {
		for j, min := range roles {
			if got, want := r.AtLeast(min), i >= j; got != want {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", r, min, got, want)
			}
		}
	}
	for _, tc := range []struct {
		r, min auth.Role
	}{
		{"", auth.RoleAgent}, {"root", auth.RoleAgent}, {"Admin", auth.RoleAgent},
		{auth.RoleAdmin, ""}, {auth.RoleAdmin, "root"}, {"", ""},
	} {
		if tc.r.AtLeast(tc.min) {
			t.Errorf("%q.AtLeast(%q) = true; unknown roles must fail closed", tc.r, tc.min)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want auth.Role
		err  string
	}{
		{in: "agent", want: auth.RoleAgent},
		{in: "supervisor", want: auth.RoleSupervisor},
		{in: "admin", want: auth.RoleAdmin},
		{in: " Admin ", want: auth.RoleAdmin},
		{in: "", err: "invalid input: role: must not be empty (agent, supervisor or admin)"},
		{in: "   ", err: "invalid input: role: must not be empty (agent, supervisor or admin)"},
		{in: "root", err: `invalid input: role: unknown role "root" (want agent, supervisor or admin)`},
		{in: "admins", err: `invalid input: role: unknown role "admins" (want agent, supervisor or admin)`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := auth.ParseRole(tc.in)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseRole(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || err.Error() != tc.err {
				t.Fatalf("ParseRole(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			var ve *auth.ValidationError
			if !errors.Is(err, auth.ErrInvalid) || !errors.As(err, &ve) || ve.Problems[0].Field != "role" {
				t.Fatalf("ParseRole(%q) error %#v is not a ValidationError on role wrapping ErrInvalid", tc.in, err)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   string
		ok     bool
	}{
		{"bearer", []string{"Bearer abc.DEF-_1"}, "abc.DEF-_1", true},
		{"case-insensitive scheme", []string{"bearer abc"}, "abc", true},
		{"extra spaces", []string{"  Bearer   abc  "}, "abc", true},
		{"missing", nil, "", false},
		{"empty", []string{""}, "", false},
		{"no token", []string{"Bearer"}, "", false},
		{"blank token", []string{"Bearer   "}, "", false},
		{"basic", []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, "", false},
		{"token with a space", []string{"Bearer abc def"}, "", false},
		{"two headers", []string{"Bearer abc", "Bearer def"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Authorization", v)
			}
			got, ok := auth.BearerToken(h)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("BearerToken(%q) = %q, %v; want %q, %v", tc.values, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNew(t *testing.T) {
	if _, err := auth.New(nil, auth.Options{}); err == nil || err.Error() != "auth: nil store" {
		t.Fatalf("New(nil) error = %v, want %q", err, "auth: nil store")
	}
	if _, err := auth.New(memory.New(), auth.Options{BootstrapAdminToken: strings.Repeat("x", 5000)}); err == nil ||
		err.Error() != "auth: bootstrap admin token longer than 4096 bytes" {
		t.Fatalf("New with a huge bootstrap token: %v", err)
	}
	f := newFixture(t, "short")
	if n := f.logs.FilterMessageSnippet("bootstrap admin token is short").Len(); n != 1 {
		t.Fatalf("short bootstrap token: %d warnings, want 1", n)
	}
}

func TestCreateAndAuthenticate(t *testing.T) {
	f := newFixture(t, "")
	ctx := t.Context()
	a, tok := f.create(t, "  Carol Agent ", " carol@acme.test ", auth.RoleAgent)

	want := &contextstore.Account{ID: a.ID, Name: "Carol Agent", Email: "carol@acme.test", Role: "agent",
		CreatedAt: t0, CreatedBy: "ada@acme.test", Version: 1}
	if a.ID == "" || *a != *want {
		t.Fatalf("created account = %+v, want %+v (TokenHash cleared)", a, want)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 || len(tok) != 43 {
		t.Fatalf("token %q: %d bytes (%v); want 32 random bytes, base64url without padding", tok, len(raw), err)
	}

	p, err := f.svc.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if wantP := (auth.Principal{ID: a.ID, Name: "Carol Agent", Email: "carol@acme.test", Role: auth.RoleAgent}); p != wantP {
		t.Fatalf("Authenticate = %+v, want %+v", p, wantP)
	}

	_, tok2 := f.create(t, "Dan", "dan@acme.test", auth.RoleSupervisor)
	if tok2 == tok {
		t.Fatal("two accounts got the same token")
	}
	if p, err := f.svc.Authenticate(ctx, tok2); err != nil || p.Role != auth.RoleSupervisor || p.Name != "Dan" {
		t.Fatalf("Authenticate(second token) = %+v, %v", p, err)
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	f := newFixture(t, "")
	_, tok := f.create(t, "Carol", "carol@acme.test", auth.RoleAgent)
	for _, tc := range []struct{ name, token, err string }{
		{"empty", "", "authenticating: malformed token: unauthenticated"},
		{"too long", strings.Repeat("a", 4097), "authenticating: malformed token: unauthenticated"},
		{"unknown", "no-such-token", "authenticating: unknown token: unauthenticated"},
		{"a prefix of a real token", tok[:42], "authenticating: unknown token: unauthenticated"},
		{"the token's hash", hashOf(tok), "authenticating: unknown token: unauthenticated"},
		{"bootstrap token when none is configured", bootstrapToken, "authenticating: unknown token: unauthenticated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.svc.Authenticate(t.Context(), tc.token)
			if err == nil || err.Error() != tc.err || !errors.Is(err, auth.ErrUnauthenticated) || p != (auth.Principal{}) {
				t.Fatalf("Authenticate = %+v, %v; want error %q wrapping ErrUnauthenticated", p, err, tc.err)
			}
		})
	}
}

func TestBootstrapToken(t *testing.T) {
	f := newFixture(t, "  "+bootstrapToken+"\n")
	ctx := t.Context()
	p, err := f.svc.Authenticate(ctx, bootstrapToken)
	if err != nil || p != bootstrap {
		t.Fatalf("Authenticate(bootstrap) = %+v, %v; want %+v", p, err, bootstrap)
	}
	for _, wrong := range []string{bootstrapToken[:len(bootstrapToken)-1], bootstrapToken + "x", strings.ToUpper(bootstrapToken)} {
		if _, err := f.svc.Authenticate(ctx, wrong); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("Authenticate(%q) = %v, want ErrUnauthenticated", wrong, err)
		}
	}
	// The bootstrap admin creates the first admin, who then works alone.
	a, tok, err := f.svc.CreateAccount(ctx, p, "Ada", "ada@acme.test", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if a.CreatedBy != "bootstrap-admin" {
		t.Fatalf("CreatedBy = %q, want bootstrap-admin", a.CreatedBy)
	}
	adminP, err := f.svc.Authenticate(ctx, tok)
	if err != nil || adminP.Role != auth.RoleAdmin {
		t.Fatalf("Authenticate(new admin) = %+v, %v", adminP, err)
	}
	// The bootstrap token is never stored.
	if all := f.accounts(t); len(all) != 1 || all[0].TokenHash == hashOf(bootstrapToken) {
		t.Fatalf("stored accounts: %+v", all)
	}
	assertNotIn(t, "stored accounts", f.accounts(t), bootstrapToken, hashOf(bootstrapToken))
	assertNotIn(t, "audit events", f.audit(t), bootstrapToken, hashOf(bootstrapToken))
	assertNotIn(t, "logs", f.logs.AllUntimed(), bootstrapToken, hashOf(bootstrapToken))
}

func TestRevokedTokenRefused(t *testing.T) {
	f := newFixture(t, "")
	ctx := t.Context()
	a, tok := f.create(t, "Carol", "carol@acme.test", auth.RoleAgent)
	f.clock.Advance(time.Hour)
	if err := f.svc.RevokeAccount(ctx, admin, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Authenticate(ctx, tok)
	if want := `authenticating: account "` + a.ID + `" is revoked: unauthenticated`; err == nil || err.Error() != want || !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("Authenticate(revoked) = %v, want %q", err, want)
	}
	stored, err := f.store.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.RevokedAt == nil || !stored.RevokedAt.Equal(t0.Add(time.Hour)) || stored.RevokedBy != "ada@acme.test" {
		t.Fatalf("revoked record: RevokedAt %v, RevokedBy %q", stored.RevokedAt, stored.RevokedBy)
	}
	// Revoking again changes nothing and writes no second event.
	if err := f.svc.RevokeAccount(ctx, admin, a.ID); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if again, _ := f.store.GetAccount(ctx, a.ID); again.Version != stored.Version {
		t.Fatalf("second revoke wrote version %d (was %d)", again.Version, stored.Version)
	}
	if got := actions(f.audit(t)); strings.Join(got, ",") != "account.create,account.revoke" {
		t.Fatalf("audit actions = %q", got)
	}
	// A new account may reuse the revoked account's email.
	f.create(t, "Carol again", "carol@acme.test", auth.RoleAgent)
}

func TestRevokeErrors(t *testing.T) {
	f := newFixture(t, "")
	ctx := t.Context()
	ada, _ := f.create(t, "Ada", "ada@acme.test", auth.RoleAdmin)
	carol, _ := f.create(t, "Carol", "carol@acme.test", auth.RoleAgent)

	err := f.svc.RevokeAccount(ctx, admin, "nope")
	if want := `revoking account "nope": account "nope": not found`; err == nil || err.Error() != want || !errors.Is(err, contextstore.ErrNotFound) {
		t.Fatalf("revoke unknown = %v, want %q", err, want)
	}
	for _, actor := range []auth.Principal{agent, supervisor, {ID: "x", Role: "root"}} {
		err := f.svc.RevokeAccount(ctx, actor, carol.ID)
		want := `revoking account "` + carol.ID + `": needs the admin role, "` + actor.ID + `" has "` + string(actor.Role) + `": forbidden`
		if err == nil || err.Error() != want || !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("revoke by %s = %v, want %q", actor.Role, err, want)
		}
	}
	err = f.svc.RevokeAccount(ctx, admin, ada.ID)
	if !errors.Is(err, auth.ErrLastAdmin) {
		t.Fatalf("revoking the last admin = %v, want ErrLastAdmin", err)
	}
	if got := actions(f.audit(t)); strings.Join(got, ",") != "account.create,account.create" {
		t.Fatalf("refused revokes wrote audit events: %q", got)
	}
	if all := f.accounts(t); all[0].Revoked() || all[1].Revoked() {
		t.Fatal("a refused revoke revoked an account")
	}
	// With a second admin, the first may go.
	f.create(t, "Eve", "eve@acme.test", auth.RoleAdmin)
	if err := f.svc.RevokeAccount(ctx, admin, ada.ID); err != nil {
		t.Fatalf("revoking one of two admins: %v", err)
	}

	// With a bootstrap token configured, the last admin may be revoked.
	g := newFixture(t, bootstrapToken)
	only, _ := g.create(t, "Ada", "ada@acme.test", auth.RoleAdmin)
	if err := g.svc.RevokeAccount(ctx, bootstrap, only.ID); err != nil {
		t.Fatalf("revoking the last admin with a bootstrap token: %v", err)
	}
}

func TestCreateAccountInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, accName, email string
		role                 auth.Role
		fields               []string
		err                  string
	}{
		{"empty name", "", "a@acme.test", auth.RoleAgent, []string{"name"},
			"creating account: invalid input: name: must not be empty"},
		{"blank name", " \t ", "a@acme.test", auth.RoleAgent, []string{"name"},
			"creating account: invalid input: name: must not be empty"},
		{"control character", "Ann\x00", "a@acme.test", auth.RoleAgent, []string{"name"},
			"creating account: invalid input: name: must not contain control characters"},
		{"long name", strings.Repeat("é", 201), "a@acme.test", auth.RoleAgent, []string{"name"},
			"creating account: invalid input: name: must be at most 200 characters"},
		{"empty email", "Ann", "", auth.RoleAgent, []string{"email"},
			"creating account: invalid input: email: must not be empty"},
		{"no at sign", "Ann", "ann.acme.test", auth.RoleAgent, []string{"email"},
			`creating account: invalid input: email: "ann.acme.test" is not an email address (want name@example.com)`},
		{"display name", "Ann", "Ann <ann@acme.test>", auth.RoleAgent, []string{"email"},
			`creating account: invalid input: email: "Ann <ann@acme.test>" is not an email address (want name@example.com)`},
		{"two addresses", "Ann", "a@acme.test, b@acme.test", auth.RoleAgent, []string{"email"},
			`creating account: invalid input: email: "a@acme.test, b@acme.test" is not an email address (want name@example.com)`},
		{"unknown role", "Ann", "a@acme.test", "root", []string{"role"},
			`creating account: invalid input: role: unknown role "root" (want agent, supervisor or admin)`},
		{"empty role", "Ann", "a@acme.test", "", []string{"role"},
			"creating account: invalid input: role: must not be empty (agent, supervisor or admin)"},
		{"everything", "", "nope", "boss", []string{"name", "email", "role"},
			`creating account: invalid input: name: must not be empty; email: "nope" is not an email address (want name@example.com); role: unknown role "boss" (want agent, supervisor or admin)`},
		{"email in use", "Other", "taken@acme.test", auth.RoleAgent, []string{"email"},
			`creating account: invalid input: email: "taken@acme.test" is already used by account `},
		{"email in use, other case", "Other", "TAKEN@acme.test", auth.RoleAgent, []string{"email"},
			`creating account: invalid input: email: "TAKEN@acme.test" is already used by account `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "")
			taken, _ := f.create(t, "Taken", "taken@acme.test", auth.RoleAgent)
			before := len(f.audit(t))
			a, tok, err := f.svc.CreateAccount(t.Context(), admin, tc.accName, tc.email, tc.role)
			want := tc.err
			if strings.HasSuffix(want, "by account ") {
				want += taken.ID
			}
			if err == nil || err.Error() != want {
				t.Fatalf("error = %v\nwant    %s", err, want)
			}
			var ve *auth.ValidationError
			if !errors.Is(err, auth.ErrInvalid) || !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError wrapping ErrInvalid", err)
			}
			var fields []string
			for _, p := range ve.Problems {
				fields = append(fields, p.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields = %q, want %q", fields, tc.fields)
			}
			if a != nil || tok != "" {
				t.Fatalf("a refused create returned %+v, %q", a, tok)
			}
			if n := len(f.accounts(t)); n != 1 {
				t.Fatalf("a refused create stored an account (%d accounts)", n)
			}
			if n := len(f.audit(t)); n != before {
				t.Fatalf("a refused create wrote %d audit events", n-before)
			}
		})
	}
}

func TestAdminOnly(t *testing.T) {
	for _, actor := range []auth.Principal{agent, supervisor, {ID: "nobody"}} {
		t.Run(string(actor.Role), func(t *testing.T) {
			f := newFixture(t, "")
			ctx := t.Context()
			// Forbidden comes before validation: the input is not looked at.
			_, tok, err := f.svc.CreateAccount(ctx, actor, "", "bad", "root")
			want := `creating account: needs the admin role, "` + actor.ID + `" has "` + string(actor.Role) + `": forbidden`
			if err == nil || err.Error() != want || !errors.Is(err, auth.ErrForbidden) || tok != "" {
				t.Fatalf("CreateAccount = %v, want %q", err, want)
			}
			_, err = f.svc.ListAccounts(ctx, actor)
			want = `listing accounts: needs the admin role, "` + actor.ID + `" has "` + string(actor.Role) + `": forbidden`
			if err == nil || err.Error() != want || !errors.Is(err, auth.ErrForbidden) {
				t.Fatalf("ListAccounts = %v, want %q", err, want)
			}
			if n := len(f.accounts(t)); n != 0 {
				t.Fatalf("forbidden create stored %d accounts", n)
			}
			// Denials are recorded by the caller with Deny, not by the service.
			if n := len(f.audit(t)); n != 0 {
				t.Fatalf("forbidden calls wrote %d audit events; the caller calls Deny", n)
			}
		})
	}
}

func TestListAccounts(t *testing.T) {
	f := newFixture(t, bootstrapToken)
	ctx := t.Context()
	a1, _ := f.create(t, "Ann", "ann@acme.test", auth.RoleAgent)
	f.clock.Advance(time.Second)
	a2, _ := f.create(t, "Ben", "ben@acme.test", auth.RoleSupervisor)
	if err := f.svc.RevokeAccount(ctx, admin, a1.ID); err != nil {
		t.Fatal(err)
	}
	all, err := f.svc.ListAccounts(ctx, bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != a1.ID || all[1].ID != a2.ID {
		t.Fatalf("ListAccounts = %+v, want %s then %s (creation order)", all, a1.ID, a2.ID)
	}
	if !all[0].Revoked() || all[1].Revoked() {
		t.Fatal("ListAccounts lost the revocation")
	}
	for _, a := range all {
		if a.TokenHash != "" {
			t.Fatalf("ListAccounts returned the token hash of %s", a.ID)
		}
	}
}

func TestTokenNeverStoredInClear(t *testing.T) {
	f := newFixture(t, "")
	ctx := t.Context()
	a, tok := f.create(t, "Carol", "carol@acme.test", auth.RoleAgent)
	if err := f.svc.RevokeAccount(ctx, admin, a.ID); err != nil {
		t.Fatal(err)
	}
	f.svc.Deny(ctx, agent, "account.create", a.ID)

	stored, err := f.store.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.TokenHash != hashOf(tok) {
		t.Fatalf("stored TokenHash = %q, want the hex SHA-256 of the token %q", stored.TokenHash, hashOf(tok))
	}
	assertNotIn(t, "stored accounts", f.accounts(t), tok)
	// The audit log and the logs carry neither the token nor its hash.
	assertNotIn(t, "audit events", f.audit(t), tok, hashOf(tok))
	assertNotIn(t, "logs", f.logs.AllUntimed(), tok, hashOf(tok))
	assertNotIn(t, "the returned account", a, tok, hashOf(tok))
}

func TestAuditEvents(t *testing.T) {
	f := newFixture(t, bootstrapToken)
	ctx := t.Context()
	a, _, err := f.svc.CreateAccount(ctx, bootstrap, "Carol", "carol@acme.test", auth.RoleSupervisor)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if err := f.svc.RevokeAccount(ctx, admin, a.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	f.svc.Deny(ctx, agent, "block.lift", "b42")

	got := f.audit(t)
	want := []contextstore.AuditEvent{
		{At: t0, Actor: "bootstrap-admin", Action: "account.create", Subject: a.ID,
			Details: map[string]string{"actor_id": "bootstrap-admin", "name": "Carol", "email": "carol@acme.test", "role": "supervisor"}},
		{At: t0.Add(time.Minute), Actor: "ada@acme.test", Action: "account.revoke", Subject: a.ID,
			Details: map[string]string{"actor_id": "adm", "role": "supervisor"}},
		{At: t0.Add(2 * time.Minute), Actor: "bob@acme.test", Action: "auth.deny", Subject: "b42",
			Details: map[string]string{"actor_id": "agt", "action": "block.lift", "role": "agent"}},
	}
	if len(got) != len(want) {
		t.Fatalf("audit events: %d, want %d", len(got), len(want))
	}
	for i := range want {
		g := *got[i]
		g.ID = ""
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(want[i])
		if string(gj) != string(wj) {
			t.Errorf("audit event %d:\n got %s\nwant %s", i, gj, wj)
		}
	}
	if n := f.logs.FilterMessage("access denied").Len(); n != 1 {
		t.Fatalf("Deny logged %d times, want 1", n)
	}
}

// failingAudit is a store whose audit log is down.
type failingAudit struct{ *memory.Store }

func (failingAudit) AppendAudit(context.Context, *contextstore.AuditEvent) error {
	return errors.New("audit log down")
}

func TestAuditFailureStillReturnsToken(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	svc, err := auth.New(failingAudit{memory.New()}, auth.Options{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := svc.CreateAccount(t.Context(), admin, "Carol", "carol@acme.test", auth.RoleAgent)
	if err != nil || tok == "" {
		t.Fatalf("CreateAccount with the audit log down = %q, %v; the account exists, so its token must be returned", tok, err)
	}
	if n := logs.FilterMessage("appending audit event").Len(); n != 1 {
		t.Fatalf("audit failure logged %d times, want 1", n)
	}
	svc.Deny(t.Context(), agent, "x", "y") // must not panic or block
}

// unavailable is a store that cannot be reached.
type unavailable struct{ *memory.Store }

func (unavailable) GetAccountByTokenHash(context.Context, string) (*contextstore.Account, error) {
	return nil, contextstore.ErrUnavailable
}

func TestAuthenticateStoreDown(t *testing.T) {
	svc, err := auth.New(unavailable{memory.New()}, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Authenticate(t.Context(), "some-token")
	if !errors.Is(err, contextstore.ErrUnavailable) || errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("Authenticate with the store down = %v; want ErrUnavailable (503), not ErrUnauthenticated", err)
	}
}

// lyingIndex returns an account for any hash, as a corrupt index would.
type lyingIndex struct{ *memory.Store }

func (l lyingIndex) GetAccountByTokenHash(ctx context.Context, _ string) (*contextstore.Account, error) {
	all, err := l.ListAccounts(ctx)
	if err != nil || len(all) == 0 {
		return nil, contextstore.ErrNotFound
	}
	return all[0], nil
}

func TestAuthenticateChecksTheStoredHash(t *testing.T) {
	svc, err := auth.New(lyingIndex{memory.New()}, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateAccount(t.Context(), admin, "Carol", "carol@acme.test", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.Authenticate(t.Context(), "any-other-token"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("Authenticate through a lying index = %+v, %v; want ErrUnauthenticated", p, err)
	}
}

func hashOf(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func actions(evs []*contextstore.AuditEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Action
	}
	return out
}

// assertNotIn fails if the JSON of v contains any of secrets.
func assertNotIn(t *testing.T, what string, v any, secrets ...string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Fatalf("%s contain the secret %q:\n%s", what, s, b)
		}
	}
}
