package privacy_test

import (
	"fmt"
	"net/netip"

	"github.com/chatflow/chatflow/internal/privacy"
)

func Example() {
	// In the service the key comes from CHATFLOW_ENCRYPTION_KEY.
	key, err := privacy.ParseKey("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		panic(err)
	}
	s, err := privacy.New(key)
	if err != nil {
		panic(err)
	}
	ip := netip.MustParseAddr("::ffff:203.0.113.7")
	sealed, _ := s.Seal(privacy.CanonicalIP(ip)) // store this
	lookup := s.HashIP(ip)                       // and index this

	plain, err := s.Open(sealed)
	fmt.Println(plain, err, len(lookup), lookup == s.Hash("203.0.113.7"))
	// Output: 203.0.113.7 <nil> 64 true
}
