package contextstore

import (
	"context"
	"time"
)

// Account is a staff account (agent, supervisor or admin) of the HTTP API.
// The bearer token itself is never stored: TokenHash is the lowercase hex
// SHA-256 of it, unique across accounts, so a request's token is looked up
// by its hash. Accounts are never deleted: a revoked account keeps its
// record (RevokedAt set) for the audit trail, and the store still returns it
// from every lookup; refusing it is the auth service's decision.
type Account struct {
	// ID is unique and sorts by creation time (the auth service makes it).
	ID    string `json:"ID"`
	Name  string `json:"Name"`
	Email string `json:"Email,omitempty"`
	// Role is "agent", "supervisor" or "admin"; the store does not check it.
	Role string `json:"Role"`
	// TokenHash is the hex SHA-256 of the account's bearer token.
	TokenHash string `json:"TokenHash"`

	CreatedAt time.Time `json:"CreatedAt"`
	CreatedBy string    `json:"CreatedBy,omitempty"`
	// RevokedAt is when the account was revoked; nil while it is usable.
	RevokedAt *time.Time `json:"RevokedAt,omitempty"`
	RevokedBy string     `json:"RevokedBy,omitempty"`

	// Version is incremented by every successful write (compare-and-swap).
	Version int64 `json:"Version"`
}

// Revoked reports whether a was revoked.
func (a *Account) Revoked() bool { return a.RevokedAt != nil }

// Clone returns a deep copy of a.
func (a *Account) Clone() *Account {
	out := *a
	out.RevokedAt = cloneTime(a.RevokedAt)
	return &out
}

// AccountStore persists staff accounts. The store enforces the uniqueness
// of ID and TokenHash; it does not interpret Role or RevokedAt.
type AccountStore interface {
	// CreateAccount stores a new account (a.Version is ignored; it becomes
	// 1). An empty ID or TokenHash is rejected. ErrAlreadyExists if the ID
	// or the TokenHash is taken; nothing is stored then.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns a copy of an account, or ErrNotFound.
	GetAccount(ctx context.Context, id string) (*Account, error)
	// GetAccountByTokenHash returns a copy of the account whose TokenHash is
	// hash (revoked or not), or ErrNotFound.
	GetAccountByTokenHash(ctx context.Context, hash string) (*Account, error)
	// UpdateAccount replaces an account if its stored version equals
	// a.Version, then increments a.Version; otherwise ErrVersionConflict
	// (ErrNotFound if it does not exist). A changed TokenHash moves the
	// token index; ErrAlreadyExists if another account has the new hash.
	UpdateAccount(ctx context.Context, a *Account) error
	// ListAccounts returns every account (revoked ones too), ordered by ID.
	ListAccounts(ctx context.Context) ([]*Account, error)
}
