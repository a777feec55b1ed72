package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts a secret in the specification's text form.
const SecretPrefix = "whsec_"

// Errors of Verify and ParseSecret.
var (
	// ErrSignature means no signature of the request matches.
	ErrSignature = errors.New("webhooks: no matching signature")
	// ErrTimestamp means the timestamp is missing, malformed or outside
	// the tolerance (a replayed or delayed request).
	ErrTimestamp = errors.New("webhooks: timestamp outside the tolerance")
	// ErrSecret means a secret is not "whsec_" followed by base64.
	ErrSecret = errors.New("webhooks: malformed secret")
)

// ParseSecret decodes a secret in the form "whsec_<base64>" (the prefix
// is optional).
func ParseSecret(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || len(raw) < 16 {
		return nil, fmt.Errorf("%w: want %s followed by at least 16 bytes in base64", ErrSecret, SecretPrefix)
	}
	return raw, nil
}

// FormatSecret is the text form of a secret ("whsec_<base64>").
func FormatSecret(secret []byte) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(secret)
}

// Sign returns the webhook-signature header value of a message:
// "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>".
func Sign(secret []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, ts.Unix(), body))
}

func mac(secret []byte, id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received message as a receiver would: the timestamp
// header must be within tolerance of now, and one of the space-separated
// "v1,<sig>" entries of the signature header must match (several are sent
// while a secret is rotated). It compares in constant time.
func Verify(secret []byte, id, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	unix, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not Unix seconds", ErrTimestamp, timestamp)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s off", ErrTimestamp, d.Round(time.Second))
	}
	want := mac(secret, id, unix, body)
	for _, part := range strings.Fields(signature) {
		v, sig, ok := strings.Cut(part, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
