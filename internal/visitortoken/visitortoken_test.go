package visitortoken_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/visitortoken"
)

var (
	secret = []byte("host-site-secret-0123456789abcdef")
	now    = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
)

func sign(t *testing.T, c visitortoken.Claims) string {
	t.Helper()
	tok, err := visitortoken.Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerify(t *testing.T) {
	valid := visitortoken.Claims{Subject: "u-1", Name: "Ann Lee", Email: "ann@example.com", Expires: now.Add(time.Hour).Unix()}
	good := sign(t, valid)
	p, m, _ := strings.Cut(good, ".")
	other := sign(t, visitortoken.Claims{Subject: "u-2", Expires: valid.Expires})
	p2, _, _ := strings.Cut(other, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		name, token string
		secret      []byte
		want        error
		wantText    string
	}{
		{name: "valid", token: good, secret: secret},
		{name: "tampered payload", token: p2 + "." + m, secret: secret, want: visitortoken.ErrSignature, wantText: "invalid visitor token signature"},
		{name: "tampered signature", token: p + "." + b64([]byte(strings.Repeat("x", 32))), secret: secret, want: visitortoken.ErrSignature, wantText: "invalid visitor token signature"},
		{name: "wrong secret", token: good, secret: []byte("another-secret-0123456789abcdef"), want: visitortoken.ErrSignature, wantText: "invalid visitor token signature"},
		{name: "no secret", token: good, want: visitortoken.ErrNoSecret, wantText: "no visitor token secret"},
		{name: "expired", token: sign(t, visitortoken.Claims{Subject: "u-1", Expires: now.Unix()}), secret: secret, want: visitortoken.ErrExpired, wantText: "expired visitor token: expired at 2026-01-05T10:00:00Z"},
		{name: "empty", token: "", secret: secret, want: visitortoken.ErrMalformed, wantText: "malformed visitor token: want payload.signature"},
		{name: "one part", token: p, secret: secret, want: visitortoken.ErrMalformed, wantText: "malformed visitor token: want payload.signature"},
		{name: "three parts", token: good + "." + m, secret: secret, want: visitortoken.ErrMalformed, wantText: "malformed visitor token: want payload.signature"},
		{name: "signature not base64url", token: p + ".a+b/", secret: secret, want: visitortoken.ErrMalformed, wantText: "malformed visitor token: signature is not base64url"},
		{name: "too long", token: strings.Repeat("a", visitortoken.MaxLen) + ".b", secret: secret, want: visitortoken.ErrMalformed, wantText: "malformed visitor token: longer than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := visitortoken.Verify(tc.secret, tc.token, now)
			if tc.want == nil {
				if err != nil || c != valid {
					t.Fatalf("Verify = %+v, %v; want %+v", c, err, valid)
				}
				return
			}
			if !errors.Is(err, tc.want) || err.Error() != tc.wantText {
				t.Fatalf("Verify error = %v, want %q (wrapping %v)", err, tc.wantText, tc.want)
			}
		})
	}
}

// TestVerifySignedBadClaims: a correctly signed payload that is not the
// claims Verify needs is still refused.
func TestVerifySignedBadClaims(t *testing.T) {
	for _, tc := range []struct{ name, payload, want string }{
		{"not JSON", `nope`, "malformed visitor token: payload is not a JSON object of claims"},
		{"no sub", `{"exp": 9999999999}`, "malformed visitor token: sub is empty"},
		{"no exp", `{"sub": "u-1"}`, "malformed visitor token: exp is missing"},
		{"exp a string", `{"sub": "u-1", "exp": "soon"}`, "malformed visitor token: payload is not a JSON object of claims"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := hostSign(secret, []byte(tc.payload))
			if _, err := visitortoken.Verify(secret, tok, now); !errors.Is(err, visitortoken.ErrMalformed) || err.Error() != tc.want {
				t.Fatalf("Verify error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	if _, err := visitortoken.Sign(nil, visitortoken.Claims{Subject: "u", Expires: 1}); !errors.Is(err, visitortoken.ErrNoSecret) {
		t.Errorf("Sign without secret: %v", err)
	}
	if _, err := visitortoken.Sign(secret, visitortoken.Claims{Expires: 1}); !errors.Is(err, visitortoken.ErrMalformed) {
		t.Errorf("Sign without sub: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	tok, _ := visitortoken.Sign(secret, visitortoken.Claims{Subject: "u-1", Expires: now.Add(time.Hour).Unix()})
	f.Add(tok)
	f.Add("a.b")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := visitortoken.Verify(secret, s, now)
		if err == nil && (c.Subject == "" || s != tok && !strings.Contains(s, ".")) {
			t.Fatalf("accepted %q as %+v", s, c)
		}
	})
}
