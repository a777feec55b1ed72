// Package auth authenticates the staff of the agent and admin HTTP APIs and
// manages their accounts (issue 5, "Auth and roles").
//
// # Roles
//
// Every account has one Role: RoleAgent < RoleSupervisor < RoleAdmin
// (Role.AtLeast). The policy the HTTP handlers apply: agents may block;
// supervisors and admins may also unblock, edit and expire blocks; only
// admins manage accounts and range bans. This package decides who a
// request is (Authenticate) and guards account management (CreateAccount,
// RevokeAccount and ListAccounts need an admin); the handlers check the
// role of every other route with Role.AtLeast.
//
// # Tokens
//
// A bearer token is 32 random bytes from crypto/rand, base64url-encoded
// without padding (43 characters). It is shown once, by CreateAccount; the
// store keeps only its SHA-256 (contextstore.Account.TokenHash, lowercase
// hex), and no log line, audit event or returned account carries the token
// (returned accounts also have TokenHash cleared). Authenticate hashes the
// presented token, looks the hash up in the store's unique index, and
// compares the stored hash with crypto/subtle.ConstantTimeCompare. The
// lookup itself is keyed by a SHA-256, so its timing reveals nothing useful
// about the token. A revoked account's token is refused; the account stays
// in the store, and its token hash stays taken, for the audit trail.
//
// The bootstrap admin token (Options.BootstrapAdminToken, from
// CHATFLOW_ADMIN_TOKEN) is never stored: a request bearing it is the
// principal {ID: "bootstrap-admin", Role: admin}. It is compared in
// constant time (on SHA-256 digests, so its length does not leak either).
// Use it to create the first admin account, then unset it.
//
// # Denials and audit
//
// Service methods return errors wrapping ErrForbidden when the actor's role
// is too low, without recording anything: whoever turns a denial into a 403
// calls Deny exactly once, which appends the "auth.deny" audit event. Account
// changes append "account.create" and "account.revoke". Audit events name
// the actor by email (or ID when the principal has no email, such as the
// bootstrap admin) and carry the actor's ID in Details["actor_id"].
//
// # Errors
//
// Bad input is a *ValidationError wrapping ErrInvalid that names every bad
// field ("name", "email", "role") at once; nothing is stored then. An unknown
// account wraps contextstore.ErrNotFound; a store failure wraps the store's
// error (contextstore.ErrUnavailable when it could not be reached).
package auth
