package visitortoken

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// MaxLen is the longest token Verify reads (bytes).
const MaxLen = 4096

// Defaults of Options.
const (
	// DefaultMaxLifetime is the longest a token may be valid (exp - iat).
	DefaultMaxLifetime = 24 * time.Hour
	// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
	DefaultLeeway = 30 * time.Second
)

// Sentinel errors of Verify, New and Sign. Returned errors wrap them;
// check with errors.Is.
var (
	// ErrNoKey: the verifier has no key for the token's algorithm (no
	// secret for HS256, no public key for RS256/ES256), or Sign has no
	// secret.
	ErrNoKey = errors.New("no visitor token key")
	// ErrMalformed: not a JWT (nor, when accepted, a legacy token), too
	// long, or its claims lack sub or exp.
	ErrMalformed = errors.New("malformed visitor token")
	// ErrSignature: the signature does not match (tampered token, another
	// key, or an algorithm that is not accepted).
	ErrSignature = errors.New("invalid visitor token signature")
	// ErrExpired: exp has passed (beyond the leeway).
	ErrExpired = errors.New("expired visitor token")
	// ErrNotYetValid: nbf or iat lies in the future (beyond the leeway).
	ErrNotYetValid = errors.New("visitor token not valid yet")
	// ErrLifetime: exp lies further after iat (or now) than MaxLifetime.
	ErrLifetime = errors.New("visitor token lives too long")
	// ErrAudience: aud does not contain the configured audience.
	ErrAudience = errors.New("visitor token for another audience")
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
	// IssuedAt is the unix time the token was made; optional (0: none).
	IssuedAt int64 `json:"iat,omitempty"`
	// Audience is the aud claim Sign writes; optional.
	Audience string `json:"aud,omitempty"`
	// Legacy is set by Verify when the token had the deprecated pre-JWT
	// format.
	Legacy bool `json:"-"`
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

// Options configure New. At least one of Secret, PublicKeys and JWKSURL is
// required.
type Options struct {
	// Secret verifies HS256 tokens (and legacy ones when Legacy is set).
	Secret []byte
	// PublicKeys verify RS256 (*rsa.PublicKey) and ES256 (*ecdsa.PublicKey
	// on P-256) tokens; see ParsePublicKeys for PEM.
	PublicKeys []crypto.PublicKey
	// JWKSURL is where the host publishes its public keys (a JWK Set).
	// New fetches it; a token whose kid is unknown refetches it (at most
	// once a minute).
	JWKSURL string
	// HTTPClient fetches JWKSURL; default a client with a 10s timeout.
	HTTPClient *http.Client
	// Audience, when set, must be in the token's aud.
	Audience string
	// MaxLifetime caps exp - iat and exp - now; default DefaultMaxLifetime.
	MaxLifetime time.Duration
	// Leeway is the clock skew allowed; default DefaultLeeway.
	Leeway time.Duration
	// Legacy accepts the deprecated pre-JWT format signed with Secret.
	Legacy bool
	// OnLegacy, when set, is called for each legacy token verified.
	OnLegacy func(subject string)
}

// Verifier verifies visitor tokens. It is safe for concurrent use.
type Verifier struct {
	o       Options
	methods []string
	jwks    *jwks
}

// New returns a verifier for o. With a JWKSURL it fetches the keys now, so
// a wrong URL fails start-up instead of the first signed-in visitor.
func New(ctx context.Context, o Options) (*Verifier, error) {
	if len(o.Secret) == 0 && len(o.PublicKeys) == 0 && o.JWKSURL == "" {
		return nil, fmt.Errorf("%w: give a secret, public keys or a JWKS URL", ErrNoKey)
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = DefaultMaxLifetime
	}
	if o.Leeway <= 0 {
		o.Leeway = DefaultLeeway
	}
	if o.Legacy && len(o.Secret) == 0 {
		return nil, fmt.Errorf("%w: legacy tokens need the secret", ErrNoKey)
	}
	v := &Verifier{o: o}
	if len(o.Secret) > 0 {
		v.methods = append(v.methods, "HS256")
	}
	for _, k := range o.PublicKeys {
		switch k := k.(type) {
		case *rsa.PublicKey:
			v.methods = append(v.methods, "RS256")
		case *ecdsa.PublicKey:
			if k.Curve.Params().Name != "P-256" {
				return nil, fmt.Errorf("visitor token public key: ES256 needs a P-256 key, not %s", k.Curve.Params().Name)
			}
			v.methods = append(v.methods, "ES256")
		default:
			return nil, fmt.Errorf("visitor token public key: %T is neither RSA nor ECDSA", k)
		}
	}
	if o.JWKSURL != "" {
		client := o.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 10 * time.Second}
		}
		v.jwks = &jwks{url: o.JWKSURL, client: client}
		if err := v.jwks.fetch(ctx); err != nil {
			return nil, err
		}
		v.methods = append(v.methods, "RS256", "ES256")
	}
	slices.Sort(v.methods)
	v.methods = slices.Compact(v.methods)
	return v, nil
}

// jwtClaims decodes the claims of a JWT.
type jwtClaims struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	jwt.RegisteredClaims
}

// Verify returns the claims of token when it is valid at now.
func (v *Verifier) Verify(ctx context.Context, token string, now time.Time) (Claims, error) {
	if len(token) > MaxLen {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxLen)
	}
	if strings.Count(token, ".") == 1 && v.o.Legacy {
		c, err := verifyLegacy(v.o.Secret, token, now)
		if err == nil && v.o.OnLegacy != nil {
			v.o.OnLegacy(c.Subject)
		}
		return c, err
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods), jwt.WithLeeway(v.o.Leeway), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if v.o.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.o.Audience))
	}
	var jc jwtClaims
	_, err := jwt.NewParser(opts...).ParseWithClaims(token, &jc, func(t *jwt.Token) (any, error) { return v.key(ctx, t) })
	if err != nil {
		if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && v.o.Audience != "" && len(jc.Audience) == 0 && jc.ExpiresAt != nil {
			return Claims{}, fmt.Errorf("%w: aud is missing", ErrAudience)
		}
		return Claims{}, translate(err)
	}
	c := Claims{Subject: jc.Subject, Name: jc.Name, Email: jc.Email, Expires: jc.ExpiresAt.Unix()}
	if jc.IssuedAt != nil {
		c.IssuedAt = jc.IssuedAt.Unix()
	}
	if err := c.check(); err != nil {
		return Claims{}, err
	}
	exp := jc.ExpiresAt.Time
	if jc.IssuedAt != nil && exp.Sub(jc.IssuedAt.Time) > v.o.MaxLifetime {
		return Claims{}, fmt.Errorf("%w: exp is %s after iat, more than %s", ErrLifetime, exp.Sub(jc.IssuedAt.Time), v.o.MaxLifetime)
	}
	if exp.Sub(now) > v.o.MaxLifetime+v.o.Leeway {
		return Claims{}, fmt.Errorf("%w: exp is more than %s away", ErrLifetime, v.o.MaxLifetime)
	}
	return c, nil
}

// key finds the verification key of t.
func (v *Verifier) key(ctx context.Context, t *jwt.Token) (any, error) {
	switch t.Method.Alg() {
	case "HS256":
		if len(v.o.Secret) == 0 {
			return nil, ErrNoKey
		}
		return v.o.Secret, nil
	case "RS256", "ES256":
		var keys []jwt.VerificationKey
		for _, k := range v.o.PublicKeys {
			if fits(t.Method.Alg(), k) {
				keys = append(keys, k)
			}
		}
		if v.jwks != nil {
			kid, _ := t.Header["kid"].(string)
			for _, k := range v.jwks.keys(ctx, kid) {
				if fits(t.Method.Alg(), k) {
					keys = append(keys, k)
				}
			}
		}
		if len(keys) == 0 {
			return nil, ErrNoKey
		}
		return jwt.VerificationKeySet{Keys: keys}, nil
	}
	return nil, ErrNoKey
}

func fits(alg string, k crypto.PublicKey) bool {
	switch k.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256"
	}
	return false
}

// translate maps the errors of jwt to the sentinels of this package.
func translate(err error) error {
	switch {
	case errors.Is(err, ErrNoKey):
		return fmt.Errorf("%w: no key for the token's algorithm or key id", ErrSignature)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fmt.Errorf("%w: %v", ErrAudience, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return fmt.Errorf("%w: %v", ErrExpired, err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return fmt.Errorf("%w: %v", ErrNotYetValid, err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenInvalidClaims):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// Signature mismatch, an algorithm that is not accepted, an
	// unverifiable token.
	return fmt.Errorf("%w: %v", ErrSignature, err)
}

// Sign returns an HS256 JWT of c under secret. It is what a host site does;
// chatflow uses it in demo mode, tests and examples.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", ErrNoKey
	}
	if err := c.check(); err != nil {
		return "", err
	}
	return sign(jwt.SigningMethodHS256, secret, c)
}

// SignWith returns a JWT of c signed by key with method (RS256 with an
// *rsa.PrivateKey, ES256 with an *ecdsa.PrivateKey), with kid in the
// header when not "". For tests and examples.
func SignWith(method jwt.SigningMethod, key crypto.PrivateKey, kid string, c Claims) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(method, mapClaims(c))
	if kid != "" {
		t.Header["kid"] = kid
	}
	return t.SignedString(key)
}

func sign(method jwt.SigningMethod, key any, c Claims) (string, error) {
	return jwt.NewWithClaims(method, mapClaims(c)).SignedString(key)
}

func mapClaims(c Claims) jwt.MapClaims {
	m := jwt.MapClaims{"sub": c.Subject, "exp": c.Expires}
	if c.Name != "" {
		m["name"] = c.Name
	}
	if c.Email != "" {
		m["email"] = c.Email
	}
	if c.IssuedAt != 0 {
		m["iat"] = c.IssuedAt
	}
	if c.Audience != "" {
		m["aud"] = c.Audience
	}
	return m
}

// ParsePublicKeys reads the PEM blocks of data: PUBLIC KEY (PKIX, RSA or
// ECDSA), RSA PUBLIC KEY (PKCS #1) or CERTIFICATE.
func ParsePublicKeys(data []byte) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		var k any
		var err error
		switch b.Type {
		case "PUBLIC KEY":
			k, err = x509.ParsePKIXPublicKey(b.Bytes)
		case "RSA PUBLIC KEY":
			k, err = x509.ParsePKCS1PublicKey(b.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(b.Bytes); err == nil {
				k = cert.PublicKey
			}
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parsing the %s block: %w", b.Type, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE block in the PEM data")
	}
	return keys, nil
}

// ---- the deprecated pre-JWT format ------------------------------------------

var enc = base64.RawURLEncoding

func mac(secret []byte, payload string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// SignLegacy returns the token of c in the deprecated pre-JWT format
// (payload.mac). For tests of the deprecation period only.
//
// Deprecated: hosts sign JWTs; see Sign.
func SignLegacy(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", ErrNoKey
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

// verifyLegacy checks a pre-JWT token: the MAC first (in constant time),
// so nothing of an unsigned payload is read, then the claims.
func verifyLegacy(secret []byte, token string, now time.Time) (Claims, error) {
	p, m, ok := strings.Cut(token, ".")
	if !ok || p == "" || m == "" {
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
	c.Legacy = true
	c.Audience = ""
	return c, nil
}
