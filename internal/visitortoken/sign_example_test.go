package visitortoken_test

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatflow/chatflow/internal/visitortoken"
)

// A host site signs an HS256 JWT for its logged-in user (here with
// golang-jwt, as a Go host would); chatflow verifies it.
func Example() {
	secret := []byte("host-site-secret-0123456789abcdef")
	now := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "u-42", "name": "Ann Lee", "email": "ann@example.com",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString(secret)

	v, _ := visitortoken.New(context.Background(), visitortoken.Options{Secret: secret})
	c, err := v.Verify(context.Background(), tok, now)
	fmt.Println(c.Subject, c.Name, err)
	other, _ := visitortoken.New(context.Background(), visitortoken.Options{Secret: []byte("guessed")})
	_, err = other.Verify(context.Background(), tok, now)
	fmt.Println(err)
	// Output:
	// u-42 Ann Lee <nil>
	// invalid visitor token signature: token signature is invalid: signature is invalid
}
