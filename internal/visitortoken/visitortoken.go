package visitortoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLen is the longest token Verify reads (bytes).
const MaxLen = 4096

// Sentinel errors of Verify (and of Sign for ErrNoSecret). Returned errors
// wrap them; check with errors.Is.
var (
	// ErrNoSecret: the secret is empty.
	ErrNoSecret = errors.New("no visitor token secret")
	// ErrMalformed: the token is not two base64url parts, too long, or its
	// payload is not the expected JSON with a subject and an expiry.
	ErrMalformed = errors.New("malformed visitor token")
	// ErrSignature: the MAC does not match (tampered token or another
	// secret).
	ErrSignature = errors.New("invalid visitor token signature")
	// ErrExpired: the token's exp is not after now.
	ErrExpired = errors.New("expired visitor token")
)

// Claims are what a token says about the visitor.
type Claims struct {
	// Subject is the host site's user id; required.
	Subject string `json:"sub"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	// Expires is the unix time (seconds) from which the token is refused;
	// required.
	Expires int64 `json:"exp"`
}

var enc = base64.RawURLEncoding

func mac(secret []byte, payload string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// Sign returns the token of c under secret. It is what a host site does;
// chatflow uses it in tests and examples.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", ErrNoSecret
	}
	if err := c.check(); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding visitor token claims: %w", err)
	}
	p := enc.EncodeToString(b)
	return p + "." + enc.EncodeToString(mac(secret, p)), nil
}

// check reports missing or invalid claims as ErrMalformed.
func (c Claims) check() error {
	switch {
	case strings.TrimSpace(c.Subject) == "":
		return fmt.Errorf("%w: sub is empty", ErrMalformed)
	case !utf8.ValidString(c.Subject) || !utf8.ValidString(c.Name) || !utf8.ValidString(c.Email):
		return fmt.Errorf("%w: claims are not valid UTF-8", ErrMalformed)
	case c.Expires <= 0:
		return fmt.Errorf("%w: exp is missing", ErrMalformed)
	}
	return nil
}

// Verify returns the claims of token when its MAC under secret is right
// (compared in constant time) and it has not expired at now. The MAC is
// checked before the payload is parsed, so nothing of an unsigned payload
// is ever read.
func Verify(secret []byte, token string, now time.Time) (Claims, error) {
	if len(secret) == 0 {
		return Claims{}, ErrNoSecret
	}
	if len(token) > MaxLen {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxLen)
	}
	p, m, ok := strings.Cut(token, ".")
	if !ok || p == "" || m == "" || strings.Contains(m, ".") {
		return Claims{}, fmt.Errorf("%w: want payload.signature", ErrMalformed)
	}
	sig, err := enc.DecodeString(m)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: signature is not base64url", ErrMalformed)
	}
	if !hmac.Equal(sig, mac(secret, p)) {
		return Claims{}, ErrSignature
	}
	raw, err := enc.DecodeString(p)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload is not base64url", ErrMalformed)
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: payload is not a JSON object of claims", ErrMalformed)
	}
	if err := c.check(); err != nil {
		return Claims{}, err
	}
	if !now.Before(time.Unix(c.Expires, 0)) {
		return Claims{}, fmt.Errorf("%w: expired at %s", ErrExpired, time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	}
	return c, nil
}
