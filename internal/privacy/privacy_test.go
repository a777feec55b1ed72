package privacy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustNew(t *testing.T, cur []byte, old ...[]byte) *Sealer {
	t.Helper()
	s, err := New(cur, old...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := mustNew(t, key(1))
	for _, pt := range []string{"", "203.0.113.7", "2001:db8::1", "ünïcødé ✓", strings.Repeat("x", 1<<16)} {
		ct, err := s.Seal(pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != 2+12+len(pt)+16 {
			t.Errorf("len(Seal(%d bytes)) = %d", len(pt), len(ct))
		}
		if pt != "" && bytes.Contains(ct, []byte(pt)) {
			t.Error("plaintext visible in sealed value")
		}
		got, err := s.Open(ct)
		if err != nil || got != pt {
			t.Errorf("Open(Seal(%.20q)) = %.20q, %v", pt, got, err)
		}
		if !s.IsCurrent(ct) {
			t.Error("IsCurrent = false for a fresh value")
		}
	}
	a, _ := s.Seal("203.0.113.7")
	b, _ := s.Seal("203.0.113.7")
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are equal: nonce not random")
	}
}

func TestOpenTampered(t *testing.T) {
	s := mustNew(t, key(1))
	ct, _ := s.Seal("203.0.113.7")
	for i := range ct {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(ct)
			bad[i] ^= bit
			_, err := s.Open(bad)
			var want error
			switch i {
			case 0:
				want = ErrMalformed
			case 1:
				want = ErrUnknownKey
			default:
				want = ErrDecrypt
			}
			if !errors.Is(err, want) {
				t.Errorf("byte %d ^ %#x: err = %v, want %v", i, bit, err, want)
			}
		}
	}
	for n := range 2 + 12 + 16 {
		if _, err := s.Open(ct[:n]); !errors.Is(err, ErrMalformed) {
			t.Errorf("truncated to %d: err = %v", n, err)
		}
	}
	if _, err := s.Open(ct[:len(ct)-1]); !errors.Is(err, ErrDecrypt) {
		t.Errorf("one byte short: %v", err)
	}
	if _, err := s.Open(append(bytes.Clone(ct), 0)); !errors.Is(err, ErrDecrypt) {
		t.Errorf("one byte extra: %v", err)
	}
	_, err := s.Open([]byte{1, 2, 3})
	if err == nil || err.Error() != "opening sealed value: 3 bytes is too short: malformed sealed value" {
		t.Errorf("short: %v", err)
	}
}

func TestWrongKey(t *testing.T) {
	a, b := mustNew(t, key(1)), mustNew(t, key(2))
	ct, _ := a.Seal("203.0.113.7")
	_, err := b.Open(ct)
	if !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Open with another key: %v", err)
	}
	// A foreign key whose id collides with ours still fails authentication.
	forged := bytes.Clone(ct)
	forged[1] = b.current.id
	if _, err := b.Open(forged); !errors.Is(err, ErrDecrypt) {
		t.Errorf("colliding key id: %v, want ErrDecrypt", err)
	}
	if b.IsCurrent(ct) && a.current.id != b.current.id {
		t.Error("IsCurrent true for a foreign value")
	}
}

func TestKeyRotation(t *testing.T) {
	oldS := mustNew(t, key(1))
	ctOld, _ := oldS.Seal("198.51.100.1")
	rotated := mustNew(t, key(2), key(1))
	got, err := rotated.Open(ctOld)
	if err != nil || got != "198.51.100.1" {
		t.Fatalf("Open old value after rotation = %q, %v", got, err)
	}
	if rotated.IsCurrent(ctOld) {
		t.Error("old value reported as current")
	}
	ctNew, _ := rotated.Seal("198.51.100.1")
	if !rotated.IsCurrent(ctNew) {
		t.Error("new value not current")
	}
	if _, err := oldS.Open(ctNew); err == nil {
		t.Error("old sealer opened a value sealed with the new key")
	}
	if got, err := mustNew(t, key(2)).Open(ctOld); err == nil {
		t.Errorf("old key dropped but value still opens: %q", got)
	}
	hs := rotated.Hashes("198.51.100.1")
	if len(hs) != 2 || hs[0] != rotated.Hash("198.51.100.1") || hs[1] != oldS.Hash("198.51.100.1") {
		t.Errorf("Hashes = %v", hs)
	}
}

func TestHash(t *testing.T) {
	s := mustNew(t, key(1))
	h := s.Hash("203.0.113.7")
	if len(h) != 64 || strings.ToLower(h) != h {
		t.Fatalf("Hash = %q, want 64 lowercase hex digits", h)
	}
	if again := mustNew(t, key(1)).Hash("203.0.113.7"); again != h {
		t.Error("Hash not deterministic across Sealers with the same key")
	}
	if s.Hash("203.0.113.8") == h {
		t.Error("different inputs hash alike")
	}
	if mustNew(t, key(2)).Hash("203.0.113.7") == h {
		t.Error("different keys hash alike")
	}
	// Golden value, computed independently (RFC 5869 HKDF-SHA256, empty
	// salt, then HMAC-SHA256): changing the derivation would orphan every
	// stored hash.
	const golden = "9e82575998f7a1ca520f7c1606565a4e692e6826e1ada6211474290e0b5fa80e"
	if h != golden {
		t.Errorf("Hash = %s, want golden %s: the derivation changed", h, golden)
	}

	if s.HashIP(netip.MustParseAddr("::ffff:203.0.113.7")) != h || s.HashIP(netip.MustParseAddr("203.0.113.7")) != h {
		t.Error("HashIP does not canonicalize mapped addresses")
	}
	v6 := s.Hash("2001:db8::1")
	if s.HashIP(netip.MustParseAddr("2001:0DB8:0::1%eth0")) != v6 {
		t.Error("HashIP does not canonicalize IPv6 text and zone")
	}
	if s.HashIP(netip.Addr{}) != "" || CanonicalIP(netip.Addr{}) != "" {
		t.Error("zero Addr should hash to empty")
	}
}

func TestKeySeparation(t *testing.T) {
	master := key(7)
	s := mustNew(t, master)
	plain := hmac.New(sha256.New, master)
	plain.Write([]byte("203.0.113.7"))
	if s.Hash("203.0.113.7") == hex.EncodeToString(plain.Sum(nil)) {
		t.Error("hash key is the master key")
	}
	if bytes.Equal(s.current.hashKey, master) {
		t.Error("hash key equals the master key")
	}
	// The encryption key, derived under another label, must differ from the
	// hash key: a Sealer keyed with the hash key as master would otherwise
	// share material. Compare the derivations directly.
	enc, err := derivedEncKey(master)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(enc, s.current.hashKey) || bytes.Equal(enc, master) {
		t.Error("encryption key equals the hash key or the master key")
	}
}

func TestNewBadKeys(t *testing.T) {
	tests := []struct {
		name    string
		cur     []byte
		old     [][]byte
		wantErr string
	}{
		{name: "nil", cur: nil, wantErr: "current key: got 0 bytes: encryption key must be 32 bytes"},
		{name: "short", cur: make([]byte, 16), wantErr: "current key: got 16 bytes: encryption key must be 32 bytes"},
		{name: "long", cur: make([]byte, 33), wantErr: "current key: got 33 bytes: encryption key must be 32 bytes"},
		{name: "bad old", cur: key(1), old: [][]byte{key(2), make([]byte, 24)}, wantErr: "old key 1: got 24 bytes: encryption key must be 32 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cur, tc.old...)
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrKeySize) || s != nil {
				t.Errorf("New = %v, %v; want error %q", s, err, tc.wantErr)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	k := []byte("0123456789abcdef0123456789ABCDEF")
	tests := []struct {
		name, in, wantErr string
	}{
		{name: "hex", in: hex.EncodeToString(k)},
		{name: "hex upper with spaces", in: "  " + strings.ToUpper(hex.EncodeToString(k)) + "\n"},
		{name: "base64 std", in: base64.StdEncoding.EncodeToString(k)},
		{name: "base64 raw", in: base64.RawStdEncoding.EncodeToString(k)},
		{name: "base64 url", in: base64.URLEncoding.EncodeToString(k)},
		{name: "base64 raw url", in: base64.RawURLEncoding.EncodeToString(k)},
		{name: "empty", in: " ", wantErr: "parsing encryption key: empty: encryption key is neither hex nor base64"},
		{name: "garbage", in: "not a key!", wantErr: "parsing encryption key: encryption key is neither hex nor base64"},
		{name: "short base64", in: base64.StdEncoding.EncodeToString(k[:16]), wantErr: "parsing encryption key: decodes to 16 bytes: encryption key must be 32 bytes"},
		{name: "short hex", in: hex.EncodeToString(k[:16]), wantErr: "parsing encryption key: decodes to 24 bytes: encryption key must be 32 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ParseKey = %x, %v; want error %q", got, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), strings.TrimSpace(tc.in)) && strings.TrimSpace(tc.in) != "" {
					t.Error("error echoes the key")
				}
				return
			}
			if err != nil || !bytes.Equal(got, k) {
				t.Errorf("ParseKey = %x, %v; want %x", got, err, k)
			}
		})
	}
	nk := NewKey()
	if len(nk) != KeySize || bytes.Equal(nk, NewKey()) {
		t.Error("NewKey not random 32 bytes")
	}
	back, err := ParseKey(EncodeKey(nk))
	if err != nil || !bytes.Equal(back, nk) {
		t.Errorf("ParseKey(EncodeKey) = %x, %v", back, err)
	}
}

func TestSealerDoesNotPrintKeys(t *testing.T) {
	s := mustNew(t, key(0xAB), key(0xCD))
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, s)
		if strings.Contains(strings.ToLower(out), "abab") || strings.Contains(out, "[171 171") || !strings.Contains(out, "1 old keys") {
			t.Errorf("%s prints %q", f, out)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := mustNew(t, key(3))
	done := make(chan error)
	for i := range 8 {
		go func() {
			for j := range 200 {
				pt := fmt.Sprintf("10.0.%d.%d", i, j)
				ct, _ := s.Seal(pt)
				got, err := s.Open(ct)
				if h1, h2 := s.Hash(pt), s.Hash(pt); err != nil || got != pt || h1 != h2 {
					done <- fmt.Errorf("round trip %q = %q, %v", pt, got, err)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
