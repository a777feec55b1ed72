package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

// KeySize is the length in bytes of a master key.
const KeySize = 32

// EnvKey is the environment variable the service reads the master key from,
// in a form ParseKey accepts.
const EnvKey = "CHATFLOW_ENCRYPTION_KEY"

// formatV1 is the first byte of every sealed value.
const formatV1 = 0x01

// headerSize is the format byte plus the key id byte.
const headerSize = 2

// Sub-key derivation labels (HKDF-SHA256 info strings). Changing them
// changes every derived key: never do.
const (
	infoEncrypt = "chatflow/privacy/v1/aes-256-gcm"
	infoHash    = "chatflow/privacy/v1/hmac-sha256"
	infoKeyID   = "chatflow/privacy/v1/key-id"
)

// Sealer encrypts values at rest (Seal, Open) and computes keyed hashes for
// exact lookup (Hash). It holds a current key and optionally old keys:
// Seal and Hash use the current key; Open accepts values sealed with any of
// them. A Sealer is safe for concurrent use. Its String and GoString methods
// never print key material.
type Sealer struct {
	current keySet
	old     []keySet
}

// keySet is what is derived from one master key.
type keySet struct {
	id      byte
	aead    cipher.AEAD
	hashKey []byte
}

// New returns a Sealer whose current master key is current; old keys, if
// any, are kept only to Open values sealed before a rotation and for
// Hashes. Every key must be exactly KeySize bytes (else an error wrapping
// ErrKeySize, naming which key). From each master key three independent
// values are derived with HKDF-SHA256: the AES-256-GCM key, the HMAC-SHA256
// key of Hash, and a one-byte key id stored in each sealed value, so the
// hash key is never the encryption key and neither is the master key.
func New(current []byte, old ...[]byte) (*Sealer, error) {
	cur, err := derive(current)
	if err != nil {
		return nil, fmt.Errorf("current key: %w", err)
	}
	s := &Sealer{current: cur}
	for i, k := range old {
		ks, err := derive(k)
		if err != nil {
			return nil, fmt.Errorf("old key %d: %w", i, err)
		}
		s.old = append(s.old, ks)
	}
	return s, nil
}

func derive(master []byte) (keySet, error) {
	if len(master) != KeySize {
		return keySet{}, fmt.Errorf("got %d bytes: %w", len(master), ErrKeySize)
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, infoEncrypt, 32)
	if err != nil {
		return keySet{}, fmt.Errorf("deriving encryption key: %w", err)
	}
	hashKey, err := hkdf.Key(sha256.New, master, nil, infoHash, 32)
	if err != nil {
		return keySet{}, fmt.Errorf("deriving hash key: %w", err)
	}
	id, err := hkdf.Key(sha256.New, master, nil, infoKeyID, 1)
	if err != nil {
		return keySet{}, fmt.Errorf("deriving key id: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return keySet{}, fmt.Errorf("creating cipher: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return keySet{}, fmt.Errorf("creating gcm: %w", err)
	}
	return keySet{id: id[0], aead: aead, hashKey: hashKey}, nil
}

// Seal encrypts plaintext with AES-256-GCM under the current key. The result
// is: format byte (1), key id byte, 12-byte random nonce, ciphertext, 16-byte
// tag; the first two bytes are authenticated too. Sealing the same plaintext
// twice gives different bytes (use Hash to look values up). The error is
// reserved for future formats; it is nil today. A key must not seal more
// than 2^32 values (random nonces): rotate long before.
func (s *Sealer) Seal(plaintext string) ([]byte, error) {
	k := &s.current
	header := []byte{formatV1, k.id}
	out := make([]byte, headerSize, headerSize+len(plaintext)+k.aead.Overhead())
	copy(out, header)
	return k.aead.Seal(out, nil, []byte(plaintext), header), nil
}

// Open decrypts a value produced by Seal with the current or an old key.
// Errors wrap ErrMalformed (not a sealed value), ErrUnknownKey (its key id
// matches no key held) or ErrDecrypt (tampered with, or a foreign key with
// the same id).
func (s *Sealer) Open(sealed []byte) (string, error) {
	if len(sealed) < headerSize+s.current.aead.Overhead() {
		return "", fmt.Errorf("opening sealed value: %d bytes is too short: %w", len(sealed), ErrMalformed)
	}
	if sealed[0] != formatV1 {
		return "", fmt.Errorf("opening sealed value: format version %d: %w", sealed[0], ErrMalformed)
	}
	header, body := sealed[:headerSize], sealed[headerSize:]
	tried := false
	for _, k := range s.keys() {
		if k.id != header[1] {
			continue
		}
		tried = true
		if pt, err := k.aead.Open(nil, nil, body, header); err == nil {
			return string(pt), nil
		}
	}
	if !tried {
		return "", fmt.Errorf("opening sealed value: key id %#02x: %w", header[1], ErrUnknownKey)
	}
	return "", fmt.Errorf("opening sealed value: %w", ErrDecrypt)
}

// IsCurrent reports whether sealed carries the current key's id, that is,
// a re-encryption job after a key rotation can skip it. It does not
// authenticate the value.
func (s *Sealer) IsCurrent(sealed []byte) bool {
	return len(sealed) >= headerSize && sealed[0] == formatV1 && sealed[1] == s.current.id
}

func (s *Sealer) keys() []*keySet {
	ks := make([]*keySet, 0, 1+len(s.old))
	ks = append(ks, &s.current)
	for i := range s.old {
		ks = append(ks, &s.old[i])
	}
	return ks
}

// Hash returns the keyed hash of s under the current key:
// HMAC-SHA256 with the derived hash key, as 64 lowercase hex digits. It is
// deterministic for a given master key, so it serves exact lookups (store
// Hash(ip) next to Seal(ip) and query by the hash). Hex rather than base64
// because case-insensitive database collations would fold base64 values
// together. Callers must pass canonical input; for addresses use HashIP.
func (s *Sealer) Hash(v string) string { return s.current.hash(v) }

// Hashes returns the hashes of v under the current key first, then under
// each old key: during a key rotation, look a value up by any of them until
// stored hashes are recomputed.
func (s *Sealer) Hashes(v string) []string {
	out := make([]string, 0, 1+len(s.old))
	for _, k := range s.keys() {
		out = append(out, k.hash(v))
	}
	return out
}

// HashIP is Hash of the canonical form of addr: IPv4-mapped IPv6 unmapped,
// zone dropped, RFC 5952 text; so ::ffff:203.0.113.7 and 203.0.113.7 hash
// alike. It returns "" for the zero Addr.
func (s *Sealer) HashIP(addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	return s.Hash(CanonicalIP(addr))
}

// CanonicalIP returns the text form of addr used for hashing and sealing:
// unmapped, without zone, RFC 5952. It is "" for the zero Addr.
func CanonicalIP(addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	return addr.Unmap().WithZone("").String()
}

func (k *keySet) hash(v string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

// String describes s without key material.
func (s *Sealer) String() string {
	return fmt.Sprintf("privacy.Sealer{key id %#02x, %d old keys}", s.current.id, len(s.old))
}

// GoString is String, so %#v does not print keys either.
func (s *Sealer) GoString() string { return s.String() }

// ParseKey decodes a master key from configuration or the environment
// (EnvKey): 64 hex digits, or base64 (standard or URL alphabet, padded or
// not) of 32 bytes; surrounding white space is ignored. Generate one with
// NewKey and EncodeKey, or `openssl rand -base64 32`. Errors wrap
// ErrKeyEncoding or ErrKeySize and never echo the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("parsing encryption key: empty: %w", ErrKeyEncoding)
	}
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	decoded := -1
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		k, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(k) == KeySize {
			return k, nil
		}
		decoded = len(k)
	}
	if decoded >= 0 {
		return nil, fmt.Errorf("parsing encryption key: decodes to %d bytes: %w", decoded, ErrKeySize)
	}
	return nil, fmt.Errorf("parsing encryption key: %w", ErrKeyEncoding)
}

// NewKey returns a fresh random master key of KeySize bytes.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k) // never fails since Go 1.24
	return k
}

// EncodeKey returns k in standard padded base64, a form ParseKey accepts.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }
