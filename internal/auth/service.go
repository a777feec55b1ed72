package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/sortid"
)

// BootstrapAdminID is the ID of the principal of the bootstrap admin token.
const BootstrapAdminID = "bootstrap-admin"

// Limits of account fields.
const (
	maxNameLen  = 200 // characters
	maxEmailLen = 254 // bytes (RFC 5321 path limit)
	// tokenBytes is the entropy of a bearer token.
	tokenBytes = 32
	// maxTokenLen bounds what Authenticate hashes; real tokens are 43
	// characters, the bootstrap token whatever the operator chose.
	maxTokenLen = 4096
	// minBootstrapLen is the shortest bootstrap token New accepts without
	// a warning.
	minBootstrapLen = 16
	// maxWriteAttempts bounds the retries of a write that lost a
	// compare-and-swap or drew a taken id.
	maxWriteAttempts = 8
)

// Principal is the authenticated staff member behind a request.
type Principal struct {
	ID, Name, Email string
	Role            Role
}

// actor is how audit events and logs name p: its email, else its ID.
func (p Principal) actor() string {
	if p.Email != "" {
		return p.Email
	}
	return p.ID
}

// Options configure a Service. The zero value is usable.
type Options struct {
	// Clock returns the current time (CreatedAt, RevokedAt, audit events);
	// default time.Now.
	Clock func() time.Time
	// Logger defaults to zap.NewNop(); the service names it "auth".
	Logger *zap.Logger
	// BootstrapAdminToken, from CHATFLOW_ADMIN_TOKEN: when set (surrounding
	// space is ignored), a request bearing it is the principal
	// {ID: BootstrapAdminID, Role: RoleAdmin}. It is compared in constant
	// time and never stored. Empty disables it. A token shorter than 16
	// characters is accepted with a warning in the log.
	BootstrapAdminToken string
}

// Service authenticates bearer tokens and manages staff accounts. It is
// safe for concurrent use.
type Service struct {
	store Store
	now   func() time.Time
	log   *zap.Logger
	// bootstrap is the SHA-256 of the bootstrap admin token, or nil.
	bootstrap []byte
	ids       sortid.Generator
}

// Store is the slice of a contextstore.Store the service uses: the staff
// accounts and the audit log.
type Store interface {
	contextstore.AccountStore
	contextstore.AuditLog
}

// New returns a Service over store.
func New(store Store, o Options) (*Service, error) {
	if store == nil {
		return nil, errors.New("auth: nil store")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	s := &Service{store: store, now: o.Clock, log: o.Logger.Named("auth")}
	if tok := strings.TrimSpace(o.BootstrapAdminToken); tok != "" {
		if len(tok) > maxTokenLen {
			return nil, fmt.Errorf("auth: bootstrap admin token longer than %d bytes", maxTokenLen)
		}
		sum := sha256.Sum256([]byte(tok))
		s.bootstrap = sum[:]
		if utf8.RuneCountInString(tok) < minBootstrapLen {
			s.log.Warn("the bootstrap admin token is short; use at least 32 random characters",
				zap.Int("length", utf8.RuneCountInString(tok)))
		}
		s.log.Info("bootstrap admin token enabled; create an admin account and unset it")
	}
	return s, nil
}

// hashToken returns the hex SHA-256 of a token, as stored in
// contextstore.Account.TokenHash.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the principal of a bearer token. An empty, unknown
// or revoked token gives an error wrapping ErrUnauthenticated (answer 401,
// without telling which); a store failure gives the store's error (answer
// 503). The stored hash is compared with the presented token's in constant
// time.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	if bearer == "" || len(bearer) > maxTokenLen {
		return Principal{}, fmt.Errorf("authenticating: malformed token: %w", ErrUnauthenticated)
	}
	if s.bootstrap != nil {
		sum := sha256.Sum256([]byte(bearer))
		if subtle.ConstantTimeCompare(sum[:], s.bootstrap) == 1 {
			return Principal{ID: BootstrapAdminID, Role: RoleAdmin}, nil
		}
	}
	hash := hashToken(bearer)
	a, err := s.store.GetAccountByTokenHash(ctx, hash)
	if errors.Is(err, contextstore.ErrNotFound) {
		return Principal{}, fmt.Errorf("authenticating: unknown token: %w", ErrUnauthenticated)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticating: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(a.TokenHash), []byte(hash)) != 1 {
		// The store's index disagrees with its record: never trust it.
		s.log.Error("token index returned an account whose hash differs", zap.String("account", a.ID))
		return Principal{}, fmt.Errorf("authenticating: unknown token: %w", ErrUnauthenticated)
	}
	if a.Revoked() {
		return Principal{}, fmt.Errorf("authenticating: account %q is revoked: %w", a.ID, ErrUnauthenticated)
	}
	role, err := ParseRole(a.Role)
	if err != nil {
		s.log.Error("account has an unknown role; refusing it", zap.String("account", a.ID), zap.String("role", a.Role))
		return Principal{}, fmt.Errorf("authenticating: account %q: %w", a.ID, ErrUnauthenticated)
	}
	return Principal{ID: a.ID, Name: a.Name, Email: a.Email, Role: role}, nil
}

// requireAdmin returns an error wrapping ErrForbidden unless actor is an
// admin. It records nothing: the caller answering 403 calls Deny.
func requireAdmin(actor Principal, op string) error {
	if !actor.Role.AtLeast(RoleAdmin) {
		return fmt.Errorf("%s: needs the admin role, %q has %q: %w", op, actor.ID, actor.Role, ErrForbidden)
	}
	return nil
}

// validateAccount checks and normalizes the fields of a new account,
// reporting every problem at once.
func validateAccount(name, email string, role Role) (string, string, Role, error) {
	var p problems
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		p.add("name", "must not be empty")
	case !utf8.ValidString(name):
		p.add("name", "must be valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameLen:
		p.add("name", fmt.Sprintf("must be at most %d characters", maxNameLen))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		p.add("name", "must not contain control characters")
	}
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		p.add("email", "must not be empty")
	case len(email) > maxEmailLen:
		p.add("email", fmt.Sprintf("must be at most %d bytes", maxEmailLen))
	default:
		if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
			p.add("email", fmt.Sprintf("%q is not an email address (want name@example.com)", email))
		}
	}
	r, err := ParseRole(string(role))
	var ve *ValidationError
	if errors.As(err, &ve) {
		p = append(p, ve.Problems...)
	}
	return name, email, r, p.err()
}

// newToken returns a fresh bearer token: 32 random bytes, base64url
// without padding.
func newToken() string {
	var b [tokenBytes]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// public returns a copy of a without its token hash, for callers.
func public(a *contextstore.Account) *contextstore.Account {
	cp := a.Clone()
	cp.TokenHash = ""
	return cp
}

// CreateAccount creates an account (admins only) and returns it with its
// bearer token, which is shown this once and never stored: the store keeps
// its SHA-256 only, and the returned account has TokenHash cleared. Name
// and email are trimmed; the email must be a bare address (name@host) not
// used by another active account; role must be a known role. Bad input is
// a *ValidationError (ErrInvalid) naming every bad field; a non-admin actor
// gets ErrForbidden (checked first, so a denial reveals nothing about the
// input). It appends the audit event "account.create" (name, email and
// role; no token).
func (s *Service) CreateAccount(ctx context.Context, actor Principal, name, email string, role Role) (*contextstore.Account, string, error) {
	if err := requireAdmin(actor, "creating account"); err != nil {
		return nil, "", err
	}
	name, email, role, err := validateAccount(name, email, role)
	if err != nil {
		return nil, "", fmt.Errorf("creating account: %w", err)
	}
	if err := s.checkEmailFree(ctx, email); err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	for range maxWriteAttempts {
		token := newToken()
		a := &contextstore.Account{
			ID: s.ids.New(now), Name: name, Email: email, Role: string(role),
			TokenHash: hashToken(token), CreatedAt: now, CreatedBy: actor.actor(),
		}
		err := s.store.CreateAccount(ctx, a)
		if errors.Is(err, contextstore.ErrAlreadyExists) {
			continue // a taken id or token hash: draw again
		}
		if err != nil {
			return nil, "", fmt.Errorf("creating account: %w", err)
		}
		s.audit(ctx, now, actor, "account.create", a.ID, map[string]string{
			"name": a.Name, "email": a.Email, "role": a.Role,
		})
		s.log.Info("account created", zap.String("account", a.ID), zap.String("role", a.Role),
			zap.String("actor", actor.actor()))
		return public(a), token, nil
	}
	return nil, "", fmt.Errorf("creating account: no free id after %d attempts: %w", maxWriteAttempts, contextstore.ErrAlreadyExists)
}

// checkEmailFree reports a *ValidationError on "email" when an active
// account already has email (compared case-insensitively). Revoked
// accounts do not count: a person whose account was revoked may get a new
// one.
func (s *Service) checkEmailFree(ctx context.Context, email string) error {
	all, err := s.store.ListAccounts(ctx)
	if err != nil {
		return fmt.Errorf("creating account: %w", err)
	}
	for _, a := range all {
		if !a.Revoked() && strings.EqualFold(a.Email, email) {
			var p problems
			p.add("email", fmt.Sprintf("%q is already used by account %s", email, a.ID))
			return fmt.Errorf("creating account: %w", p.err())
		}
	}
	return nil
}

// RevokeAccount revokes an account (admins only): its token is refused from
// then on, and the record stays (RevokedAt, RevokedBy) for the audit trail.
// Revoking a revoked account changes nothing and is not an error. An unknown
// id wraps contextstore.ErrNotFound; revoking the last active admin while no
// bootstrap admin token is configured wraps ErrLastAdmin. It appends the
// audit event "account.revoke".
func (s *Service) RevokeAccount(ctx context.Context, actor Principal, id string) error {
	if err := requireAdmin(actor, fmt.Sprintf("revoking account %q", id)); err != nil {
		return err
	}
	for range maxWriteAttempts {
		a, err := s.store.GetAccount(ctx, id)
		if err != nil {
			return fmt.Errorf("revoking account %q: %w", id, err)
		}
		if a.Revoked() {
			return nil
		}
		if Role(a.Role) == RoleAdmin && s.bootstrap == nil {
			if err := s.checkNotLastAdmin(ctx, a.ID); err != nil {
				return err
			}
		}
		now := s.now().UTC()
		a.RevokedAt, a.RevokedBy = &now, actor.actor()
		err = s.store.UpdateAccount(ctx, a)
		if errors.Is(err, contextstore.ErrVersionConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("revoking account %q: %w", id, err)
		}
		s.audit(ctx, now, actor, "account.revoke", a.ID, map[string]string{"role": a.Role})
		s.log.Info("account revoked", zap.String("account", a.ID), zap.String("actor", actor.actor()))
		return nil
	}
	return fmt.Errorf("revoking account %q: changing too fast: %w", id, contextstore.ErrVersionConflict)
}

// checkNotLastAdmin returns ErrLastAdmin unless an active admin other than
// id exists.
func (s *Service) checkNotLastAdmin(ctx context.Context, id string) error {
	all, err := s.store.ListAccounts(ctx)
	if err != nil {
		return fmt.Errorf("revoking account %q: %w", id, err)
	}
	for _, a := range all {
		if a.ID != id && !a.Revoked() && Role(a.Role) == RoleAdmin {
			return nil
		}
	}
	return fmt.Errorf("revoking account %q: it is the last active admin and no bootstrap admin token is configured: %w", id, ErrLastAdmin)
}

// ListAccounts returns every account, revoked ones too, ordered by ID
// (admins only). TokenHash is cleared in what it returns.
func (s *Service) ListAccounts(ctx context.Context, actor Principal) ([]*contextstore.Account, error) {
	if err := requireAdmin(actor, "listing accounts"); err != nil {
		return nil, err
	}
	all, err := s.store.ListAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	out := make([]*contextstore.Account, len(all))
	for i, a := range all {
		out[i] = public(a)
	}
	return out, nil
}

// Deny records that p was refused action on target (target may be empty):
// it appends the audit event "auth.deny" with Subject target and Details
// action, role and actor_id, and logs it. Call it once for every 403. A
// failure to append is logged, not returned: the 403 stands either way.
func (s *Service) Deny(ctx context.Context, p Principal, action, target string) {
	s.audit(ctx, s.now().UTC(), p, "auth.deny", target, map[string]string{
		"action": action, "role": string(p.Role),
	})
	s.log.Info("access denied", zap.String("actor", p.actor()), zap.String("role", string(p.Role)),
		zap.String("action", action), zap.String("target", target))
}

// audit appends an audit event by actor about subject. The write has
// already happened, so a failure to append is logged at error level rather
// than returned: the caller must still get the token of a created account.
func (s *Service) audit(ctx context.Context, now time.Time, actor Principal, action, subject string, details map[string]string) {
	if details == nil {
		details = map[string]string{}
	}
	details["actor_id"] = actor.ID
	e := &contextstore.AuditEvent{At: now, Actor: actor.actor(), Action: action, Subject: subject, Details: details}
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.Error("appending audit event", zap.String("action", action), zap.String("subject", subject), zap.Error(err))
	}
}
