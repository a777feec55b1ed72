package visitortoken_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatflow/chatflow/internal/visitortoken"
)

var (
	secret = []byte("host-site-secret-0123456789abcdef")
	now    = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
)

func hs(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func verifier(t *testing.T, o visitortoken.Options) *visitortoken.Verifier {
	t.Helper()
	v, err := visitortoken.New(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// hostSign signs a raw payload in the deprecated pre-JWT format, as a host
// did from the format alone.
func hostSign(secret, payload []byte) string {
	p := base64.RawURLEncoding.EncodeToString(payload)
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func TestVerifyHS256(t *testing.T) {
	exp := now.Add(time.Hour).Unix()
	good := jwt.MapClaims{"sub": "u-1", "name": "Ann Lee", "email": "ann@example.com", "iat": now.Unix(), "exp": exp}
	with := func(k string, v any) jwt.MapClaims { return set(good, k, v) }
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, good).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, good).SignedString(secret)
	other, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good).SignedString([]byte("another-secret"))
	for _, tc := range []struct {
		name  string
		token string
		opts  visitortoken.Options
		want  error
	}{
		{name: "valid", token: hs(t, good)},
		{name: "valid without iat", token: hs(t, with("iat", nil))},
		{name: "wrong secret", token: other, want: visitortoken.ErrSignature},
		{name: "alg none", token: none, want: visitortoken.ErrSignature},
		{name: "HS512 is not accepted", token: hs512, want: visitortoken.ErrSignature},
		{name: "expired", token: hs(t, with("exp", now.Add(-time.Minute).Unix())), want: visitortoken.ErrExpired},
		{name: "expired within the leeway", token: hs(t, with("exp", now.Add(-10*time.Second).Unix()))},
		{name: "no exp", token: hs(t, with("exp", nil)), want: visitortoken.ErrMalformed},
		{name: "no sub", token: hs(t, with("sub", nil)), want: visitortoken.ErrMalformed},
		{name: "nbf in the future", token: hs(t, with("nbf", now.Add(time.Minute).Unix())), want: visitortoken.ErrNotYetValid},
		{name: "nbf within the leeway", token: hs(t, with("nbf", now.Add(10*time.Second).Unix()))},
		{name: "iat in the future", token: hs(t, with("iat", now.Add(time.Hour).Unix())), want: visitortoken.ErrNotYetValid},
		{name: "lives longer than the cap", token: hs(t, with("exp", now.Add(25*time.Hour).Unix())), want: visitortoken.ErrLifetime},
		{name: "no iat, exp too far away", token: hs(t, set(with("iat", nil), "exp", now.Add(48*time.Hour).Unix())), want: visitortoken.ErrLifetime},
		{name: "a cap of its own", token: hs(t, good), opts: visitortoken.Options{MaxLifetime: 30 * time.Minute}, want: visitortoken.ErrLifetime},
		{name: "audience matches", token: hs(t, with("aud", "chat.acme.test")), opts: visitortoken.Options{Audience: "chat.acme.test"}},
		{name: "audience in a list", token: hs(t, with("aud", []string{"x", "chat.acme.test"})), opts: visitortoken.Options{Audience: "chat.acme.test"}},
		{name: "audience missing", token: hs(t, good), opts: visitortoken.Options{Audience: "chat.acme.test"}, want: visitortoken.ErrAudience},
		{name: "other audience", token: hs(t, with("aud", "evil.test")), opts: visitortoken.Options{Audience: "chat.acme.test"}, want: visitortoken.ErrAudience},
		{name: "garbage", token: "a.b.c", want: visitortoken.ErrMalformed},
		{name: "too long", token: strings.Repeat("a", visitortoken.MaxLen+1), want: visitortoken.ErrMalformed},
		{name: "legacy not accepted", token: legacy(t), want: visitortoken.ErrMalformed},
		{name: "legacy accepted", token: legacy(t), opts: visitortoken.Options{Legacy: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.Secret = secret
			c, err := verifier(t, o).Verify(t.Context(), tc.token, now)
			if tc.want == nil {
				if err != nil || c.Subject != "u-1" {
					t.Fatalf("Verify = %+v, %v; want u-1", c, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
		})
	}
}

// set returns a copy of c with k set to v (deleted when v is nil).
func set(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func legacy(t *testing.T) string {
	t.Helper()
	tok, err := visitortoken.SignLegacy(secret, visitortoken.Claims{Subject: "u-1", Name: "Ann Lee", Expires: now.Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLegacy: the deprecated format keeps its checks while it is accepted.
func TestLegacy(t *testing.T) {
	var seen []string
	v := verifier(t, visitortoken.Options{Secret: secret, Legacy: true, OnLegacy: func(sub string) { seen = append(seen, sub) }})
	c, err := v.Verify(t.Context(), legacy(t), now)
	if err != nil || !c.Legacy || c.Name != "Ann Lee" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	if len(seen) != 1 || seen[0] != "u-1" {
		t.Errorf("OnLegacy saw %v", seen)
	}
	for _, tc := range []struct {
		name, token string
		want        error
	}{
		{"tampered", hostSign([]byte("other"), []byte(`{"sub":"u-1","exp":9999999999}`)), visitortoken.ErrSignature},
		{"expired", hostSign(secret, []byte(`{"sub":"u-1","exp":1}`)), visitortoken.ErrExpired},
		{"no exp", hostSign(secret, []byte(`{"sub":"u-1"}`)), visitortoken.ErrMalformed},
		{"not JSON", hostSign(secret, []byte(`nope`)), visitortoken.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.Verify(t.Context(), tc.token, now); !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyPublicKeys(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	eder, _ := x509.MarshalPKIXPublicKey(&ek.PublicKey)
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: eder})...)
	keys, err := visitortoken.ParsePublicKeys(pemData)
	if err != nil || len(keys) != 2 {
		t.Fatalf("ParsePublicKeys = %d keys, %v", len(keys), err)
	}
	v := verifier(t, visitortoken.Options{PublicKeys: keys})
	c := visitortoken.Claims{Subject: "u-7", Expires: now.Add(time.Hour).Unix(), IssuedAt: now.Unix()}
	rs, _ := visitortoken.SignWith(jwt.SigningMethodRS256, rk, "", c)
	es, _ := visitortoken.SignWith(jwt.SigningMethodES256, ek, "", c)
	for name, tok := range map[string]string{"RS256": rs, "ES256": es} {
		if got, err := v.Verify(t.Context(), tok, now); err != nil || got.Subject != "u-7" {
			t.Errorf("%s: Verify = %+v, %v", name, got, err)
		}
	}
	// No secret: an HS256 token (e.g. signed with the public key as the
	// HMAC secret, the classic confusion attack) is refused.
	confused, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u-7", "exp": c.Expires}).SignedString(der)
	if _, err := v.Verify(t.Context(), confused, now); !errors.Is(err, visitortoken.ErrSignature) {
		t.Errorf("HS256 with the public key as secret: %v", err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged, _ := visitortoken.SignWith(jwt.SigningMethodRS256, other, "", c)
	if _, err := v.Verify(t.Context(), forged, now); !errors.Is(err, visitortoken.ErrSignature) {
		t.Errorf("RS256 of another key: %v", err)
	}
}

// TestVerifyJWKS fetches the keys from a loopback JWKS server, refetches on
// an unknown kid (rotation), and not more than once a minute.
func TestVerifyJWKS(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	var rotated atomic.Bool
	var fetches atomic.Int32
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	pad := func(n *big.Int) []byte { return n.FillBytes(make([]byte, 32)) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		keys := []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "x": b64(pad(k1.X)), "y": b64(pad(k1.Y))}}
		if rotated.Load() {
			keys = append(keys, map[string]string{"kty": "RSA", "kid": "k2", "n": b64(k2.N.Bytes()), "e": b64(big.NewInt(int64(k2.E)).Bytes())})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	ts := httptest.NewUnstartedServer(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)

	v := verifier(t, visitortoken.Options{JWKSURL: ts.URL + "/jwks.json"})
	c := visitortoken.Claims{Subject: "u-9", Expires: now.Add(time.Hour).Unix()}
	t1, _ := visitortoken.SignWith(jwt.SigningMethodES256, k1, "k1", c)
	if got, err := v.Verify(t.Context(), t1, now); err != nil || got.Subject != "u-9" {
		t.Fatalf("k1: %+v, %v", got, err)
	}
	// Rotation: k2 is unknown until the set is fetched again. The first
	// fetch was just now, so the refetch waits for the minimum interval.
	rotated.Store(true)
	t2, _ := visitortoken.SignWith(jwt.SigningMethodRS256, k2, "k2", c)
	if _, err := v.Verify(t.Context(), t2, now); !errors.Is(err, visitortoken.ErrSignature) {
		t.Fatalf("k2 before the refetch interval: %v", err)
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1 (no refetch within a minute)", n)
	}
	if _, err := visitortoken.New(t.Context(), visitortoken.Options{JWKSURL: ts.URL + "/missing"}); err == nil {
		t.Error("New with a JWKS URL that answers 404 succeeded")
	}
	v2 := verifier(t, visitortoken.Options{JWKSURL: ts.URL + "/jwks.json"})
	if got, err := v2.Verify(t.Context(), t2, now); err != nil || got.Subject != "u-9" {
		t.Fatalf("k2 after rotation: %+v, %v", got, err)
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := visitortoken.New(t.Context(), visitortoken.Options{}); !errors.Is(err, visitortoken.ErrNoKey) {
		t.Errorf("New without keys: %v", err)
	}
	if _, err := visitortoken.Sign(nil, visitortoken.Claims{Subject: "u", Expires: 1}); !errors.Is(err, visitortoken.ErrNoKey) {
		t.Errorf("Sign without secret: %v", err)
	}
	if _, err := visitortoken.Sign(secret, visitortoken.Claims{Expires: 1}); !errors.Is(err, visitortoken.ErrMalformed) {
		t.Errorf("Sign without sub: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	tok, _ := visitortoken.Sign(secret, visitortoken.Claims{Subject: "u-1", Expires: now.Add(time.Hour).Unix()})
	f.Add(tok)
	f.Add(hostSign(secret, []byte(`{"sub":"u-1","exp":9999999999}`)))
	f.Add("a.b")
	f.Add("")
	v, err := visitortoken.New(f.Context(), visitortoken.Options{Secret: secret, Legacy: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := v.Verify(t.Context(), s, now)
		if err == nil && c.Subject == "" {
			t.Fatalf("accepted %q as %+v", s, c)
		}
	})
}
