package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/auth"
)

// AccountManager manages staff accounts; *auth.Service implements it. The
// accounts API is served when the Authenticator given to WithAuth is also
// an AccountManager, and answers 501 otherwise.
type AccountManager interface {
	// ListAccounts returns every account, revoked ones too, without
	// token hashes.
	ListAccounts(ctx context.Context, actor Principal) ([]*contextstore.Account, error)
	// CreateAccount creates an account and returns it with its bearer
	// token, shown this once.
	CreateAccount(ctx context.Context, actor Principal, name, email string, role Role) (*contextstore.Account, string, error)
	// RevokeAccount revokes an account: its token is refused from then on.
	RevokeAccount(ctx context.Context, actor Principal, id string) error
}

var _ AccountManager = (*auth.Service)(nil)

// accountJSON is an account as the API shows it: never its token hash.
type accountJSON struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Email     string  `json:"email"`
	Role      string  `json:"role"`
	CreatedAt string  `json:"created_at"`
	CreatedBy string  `json:"created_by"`
	RevokedAt *string `json:"revoked_at"`
	RevokedBy string  `json:"revoked_by,omitempty"`
}

func accountOut(a *contextstore.Account) accountJSON {
	return accountJSON{
		ID: a.ID, Name: a.Name, Email: a.Email, Role: a.Role,
		CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339Nano), CreatedBy: a.CreatedBy,
		RevokedAt: timeText(a.RevokedAt), RevokedBy: a.RevokedBy,
	}
}

// accounts returns the account manager, or answers 501 and returns false.
func (s *Server) accounts(w http.ResponseWriter) (AccountManager, bool) {
	am, ok := s.auth.(AccountManager)
	if !ok {
		problem(w, http.StatusNotImplemented, "account management unavailable", "this server's authenticator cannot manage accounts")
	}
	return am, ok
}

// accountError answers an error of the account manager: 422 naming every
// bad field, 404 for an unknown id, 409 for the last admin, 403 (recorded)
// for a role too low, else as serviceError.
func (s *Server) accountError(w http.ResponseWriter, r *http.Request, p Principal, action string, err error) {
	if ve, ok := errors.AsType[*auth.ValidationError](err); ok {
		errs := make([]fieldError, len(ve.Problems))
		for i, fp := range ve.Problems {
			errs[i] = fieldError{Field: fp.Field, Message: fp.Message}
		}
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid account", errs)
		return
	}
	switch {
	case errors.Is(err, auth.ErrForbidden):
		s.deny(w, r, p, action, RoleAdmin)
	case errors.Is(err, auth.ErrLastAdmin):
		problem(w, http.StatusConflict, "last active admin", "this is the last active admin account and no bootstrap admin token is configured; create another admin first")
	default:
		s.serviceError(w, r, "account", err)
	}
}

func (s *Server) adminListAccounts(w http.ResponseWriter, r *http.Request, p Principal) {
	am, ok := s.accounts(w)
	if !ok {
		return
	}
	all, err := am.ListAccounts(r.Context(), p)
	if err != nil {
		s.accountError(w, r, p, "account.list", err)
		return
	}
	out := make([]accountJSON, len(all))
	for i, a := range all {
		out[i] = accountOut(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

// createdAccount is the answer to a created account: the token is shown
// this once and cannot be read again.
type createdAccount struct {
	Account accountJSON `json:"account"`
	Token   string      `json:"token"`
}

func (s *Server) adminCreateAccount(w http.ResponseWriter, r *http.Request, p Principal) {
	am, ok := s.accounts(w)
	if !ok {
		return
	}
	var req struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if !decode(w, r, &req) {
		return
	}
	a, tok, err := am.CreateAccount(r.Context(), p, req.Name, req.Email, Role(req.Role))
	if err != nil {
		s.accountError(w, r, p, "account.create", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, createdAccount{Account: accountOut(a), Token: tok})
}

func (s *Server) adminRevokeAccount(w http.ResponseWriter, r *http.Request, p Principal) {
	am, ok := s.accounts(w)
	if !ok {
		return
	}
	if err := am.RevokeAccount(r.Context(), p, r.PathValue("id")); err != nil {
		s.accountError(w, r, p, "account.revoke", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
