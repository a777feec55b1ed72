package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/chatflow/chatflow/internal/visitortoken"
)

// DemoStaff is one staff member of demo mode (chatflow serve --demo): its
// bearer token is recognized in memory and never stored.
type DemoStaff struct {
	Role               Role
	Name, Email, Token string
}

// demoStaff is a DemoStaff with the hash its token is compared by.
type demoStaff struct {
	DemoStaff
	sum [sha256.Size]byte
}

// WithDemo turns demo mode on: staff authentication first recognizes the
// tokens of staff (constant-time, in memory) as the principals
// {ID: "demo-"+role, Name, Email, Role}, then falls back to the
// Authenticator of WithAuth; GET /v1/demo lists them and POST
// /v1/demo/visitor-token signs user tokens for trials. Entries with an
// empty token are ignored. Without WithDemo (or with no usable entry)
// both demo routes answer 404 and authentication is unchanged. Demo mode
// hands out admin tokens to anyone who can reach the server: it is for
// local trials only.
func WithDemo(staff []DemoStaff) Option {
	return func(s *Server) {
		s.demo = nil
		for _, d := range staff {
			if d.Token == "" {
				continue
			}
			s.demo = append(s.demo, demoStaff{DemoStaff: d, sum: sha256.Sum256([]byte(d.Token))})
		}
	}
}

// demoPrincipal returns the demo staff member whose token is tok. Every
// entry is compared (constant-time on the tokens' hashes), so the time
// taken does not tell which one matched.
func (s *Server) demoPrincipal(tok string) (Principal, bool) {
	if len(s.demo) == 0 {
		return Principal{}, false
	}
	sum := sha256.Sum256([]byte(tok))
	var p Principal
	found := false
	for _, d := range s.demo {
		if subtle.ConstantTimeCompare(sum[:], d.sum[:]) == 1 && !found {
			p, found = Principal{ID: "demo-" + string(d.Role), Name: d.Name, Email: d.Email, Role: d.Role}, true
		}
	}
	return p, found
}

// demoOff answers 404 when demo mode is off and reports whether it did.
func (s *Server) demoOff(w http.ResponseWriter) bool {
	if len(s.demo) > 0 {
		return false
	}
	problem(w, http.StatusNotFound, "demo mode is off", "this server was not started with chatflow serve --demo")
	return true
}

// demoStaffJSON is a demo staff member as GET /v1/demo shows it.
type demoStaffJSON struct {
	Role  string `json:"role"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Token string `json:"token"`
}

// demoInfo lists the demo staff and their tokens, so the pages can offer
// a one-click sign-in.
func (s *Server) demoInfo(w http.ResponseWriter, _ *http.Request) {
	if s.demoOff(w) {
		return
	}
	staff := make([]demoStaffJSON, len(s.demo))
	for i, d := range s.demo {
		staff[i] = demoStaffJSON{Role: string(d.Role), Name: d.Name, Email: d.Email, Token: d.Token}
	}
	writeJSON(w, http.StatusOK, map[string]any{"staff": staff, "visitor_tokens": s.visitorSecret != nil})
}

// demoUserID is what a demo visitor may call itself.
var demoUserID = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// demoTokenTTL is how long a demo user token is valid.
const demoTokenTTL = time.Hour

// demoVisitorToken signs a user token for a made-up user with the
// server's visitor secret, as a host site would, so a trial can start an
// authenticated conversation.
func (s *Server) demoVisitorToken(w http.ResponseWriter, r *http.Request) {
	if s.demoOff(w) {
		return
	}
	if s.visitorSecret == nil {
		problem(w, http.StatusNotFound, "no visitor token secret", "this server has no visitor token secret; only anonymous conversations start")
		return
	}
	var req struct {
		UserID string `json:"user_id"`
		Name   string `json:"name"`
		Email  string `json:"email"`
	}
	if !decode(w, r, &req) {
		return
	}
	var errs []fieldError
	if !demoUserID.MatchString(req.UserID) {
		errs = append(errs, fieldError{"user_id", "required: 1 to 64 of the characters A-Z a-z 0-9 . _ @ -"})
	}
	if len(req.Name) > 200 {
		errs = append(errs, fieldError{"name", "longer than 200 bytes"})
	}
	if len(req.Email) > 254 {
		errs = append(errs, fieldError{"email", "longer than 254 bytes"})
	}
	if len(errs) > 0 {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid demo user", errs)
		return
	}
	tok, err := visitortoken.Sign(s.visitorSecret, visitortoken.Claims{
		Subject: req.UserID, Name: req.Name, Email: req.Email,
		Expires: s.app.Clock().Add(demoTokenTTL).Unix(),
	})
	if err != nil {
		// Name or email is not valid UTF-8 (JSON decoding replaces bad
		// bytes, so this is unexpected).
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid demo user", []fieldError{{"name", fmt.Sprintf("cannot be signed: %v", err)}})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"user_token": tok})
}
