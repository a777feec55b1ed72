package visitortoken_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/chatflow/chatflow/internal/visitortoken"
)

// hostSign signs a raw payload as a host site in any language would, from
// the format alone (no use of Sign).
func hostSign(secret, payload []byte) string {
	p := base64.RawURLEncoding.EncodeToString(payload)
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// A host site signs a token for its logged-in user; chatflow verifies it.
func Example() {
	secret := []byte("host-site-secret-0123456789abcdef")
	now := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	tok := hostSign(secret, []byte(`{"sub":"u-42","name":"Ann Lee","email":"ann@example.com","exp":1767610800}`))
	c, err := visitortoken.Verify(secret, tok, now)
	fmt.Println(c.Subject, c.Name, err)
	_, err = visitortoken.Verify([]byte("guessed"), tok, now)
	fmt.Println(err)
	// Output:
	// u-42 Ann Lee <nil>
	// invalid visitor token signature
}
