package visitortoken

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// jwksMinRefresh is the shortest time between two fetches of the JWKS (a
// flood of tokens with made-up key ids must not become a flood of fetches).
const jwksMinRefresh = time.Minute

// jwks holds the keys of a JWK Set URL, refetched when a token names an
// unknown key id.
type jwks struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	byKID   map[string]crypto.PublicKey
	all     []crypto.PublicKey
	fetched time.Time
}

// keys returns the key with id kid (refetching the set once when it is
// unknown), or every key when kid is "".
func (j *jwks) keys(ctx context.Context, kid string) []crypto.PublicKey {
	j.mu.Lock()
	defer j.mu.Unlock()
	if kid == "" {
		return j.all
	}
	if k, ok := j.byKID[kid]; ok {
		return []crypto.PublicKey{k}
	}
	if time.Since(j.fetched) < jwksMinRefresh {
		return nil
	}
	j.mu.Unlock()
	_ = j.fetch(ctx) // a failed refresh keeps the old keys
	j.mu.Lock()
	if k, ok := j.byKID[kid]; ok {
		return []crypto.PublicKey{k}
	}
	return nil
}

// fetch reads the set and replaces the keys. Keys of other types (oct,
// OKP) and other uses (enc) are skipped.
func (j *jwks) fetch(ctx context.Context) error {
	j.mu.Lock()
	j.fetched = time.Now()
	j.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fmt.Errorf("jwks %s: %w", j.url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching jwks %s: status %d", j.url, resp.StatusCode)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("jwks %s: %w", j.url, err)
	}
	byKID := map[string]crypto.PublicKey{}
	var all []crypto.PublicKey
	for _, k := range set.Keys {
		pk, err := k.publicKey()
		if err != nil {
			continue
		}
		all = append(all, pk)
		if k.KID != "" {
			byKID[k.KID] = pk
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("jwks %s: %w", j.url, errors.New("no RSA or P-256 signing key"))
	}
	j.mu.Lock()
	j.byKID, j.all = byKID, all
	j.mu.Unlock()
	return nil
}

// jwk is one key of a JWK Set (RFC 7517), RSA or EC.
type jwk struct {
	KTY string `json:"kty"`
	KID string `json:"kid"`
	Use string `json:"use"`
	CRV string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (k jwk) publicKey() (crypto.PublicKey, error) {
	if k.Use != "" && k.Use != "sig" {
		return nil, errors.New("not a signing key")
	}
	num := func(s string) (*big.Int, error) {
		b, err := enc.DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil, errors.New("bad base64url number")
		}
		return new(big.Int).SetBytes(b), nil
	}
	switch k.KTY {
	case "RSA":
		n, err := num(k.N)
		if err != nil {
			return nil, err
		}
		e, err := num(k.E)
		if err != nil || !e.IsInt64() {
			return nil, errors.New("bad exponent")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		if k.CRV != "P-256" {
			return nil, errors.New("not P-256")
		}
		x, err1 := enc.DecodeString(k.X)
		y, err2 := enc.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad P-256 coordinates")
		}
		// ParseUncompressedPublicKey checks that the point is on the curve.
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	}
	return nil, errors.New("unsupported key type")
}
