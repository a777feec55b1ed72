package auth

import (
	"fmt"
	"net/http"
	"strings"
)

// Role is a staff member's role. The known roles are ordered RoleAgent <
// RoleSupervisor < RoleAdmin; any other value is weaker than all of them.
type Role string

// The roles, weakest first.
const (
	// RoleAgent chats with customers and may block them.
	RoleAgent Role = "agent"
	// RoleSupervisor may also unblock, edit and expire blocks.
	RoleSupervisor Role = "supervisor"
	// RoleAdmin may also manage accounts and range bans.
	RoleAdmin Role = "admin"
)

// rank orders the roles; 0 is an unknown role.
func (r Role) rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r is min or stronger (agent < supervisor <
// admin). It fails closed: an unknown r, or an unknown min, gives false.
func (r Role) AtLeast(min Role) bool {
	return r.rank() > 0 && min.rank() > 0 && r.rank() >= min.rank()
}

// ParseRole returns the role named by s, ignoring surrounding space and
// case ("Admin" is RoleAdmin). Anything else is a *ValidationError on the
// field "role".
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.rank() > 0 {
		return r, nil
	}
	var p problems
	if r == "" {
		p.add("role", "must not be empty (agent, supervisor or admin)")
	} else {
		p.add("role", fmt.Sprintf("unknown role %q (want agent, supervisor or admin)", s))
	}
	return "", p.err()
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header (the scheme is case-insensitive). It returns false when there is
// no such header, the scheme is another one, the token is empty or contains
// a space, or the request carries several Authorization headers.
func BearerToken(h http.Header) (string, bool) {
	vs := h.Values("Authorization")
	if len(vs) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(vs[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}
