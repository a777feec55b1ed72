package ipban_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/chatflow/chatflow/internal/ipban"
)

func ExampleTable_Lookup() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tab, err := ipban.NewTable([]ipban.Entry{
		{ID: "office", Range: ipban.MustParseRange("203.0.113.0/24")},
		{ID: "partner", Range: ipban.MustParseRange("203.0.113.128/25"), Allow: true},
		{ID: "chat-troll", Range: ipban.MustParseRange("198.51.100.5 - 198.51.100.9"), Channels: []string{"chat"}},
	})
	if err != nil {
		panic(err)
	}
	var h ipban.Holder
	h.Store(tab)

	for _, q := range []struct{ addr, channel string }{
		{"203.0.113.7", "chat"},
		{"203.0.113.200", "chat"},
		{"198.51.100.6", "chat"},
		{"198.51.100.6", "forum"},
		{"10.0.0.1", "chat"},
	} {
		e, banned := h.Load().Lookup(netip.MustParseAddr(q.addr), q.channel, now)
		fmt.Printf("%s on %s: banned=%v by %q\n", q.addr, q.channel, banned, e.ID)
	}
	// Output:
	// 203.0.113.7 on chat: banned=true by "office"
	// 203.0.113.200 on chat: banned=false by "partner"
	// 198.51.100.6 on chat: banned=true by "chat-troll"
	// 198.51.100.6 on forum: banned=false by ""
	// 10.0.0.1 on chat: banned=false by ""
}

func ExampleRange_Prefixes() {
	r, err := ipban.ParseRange("10.0.0.5 - 10.0.0.9")
	if err != nil {
		panic(err)
	}
	fmt.Println(r, r.Prefixes())
	_, err = ipban.ParseRange("10.0.0.9-10.0.0.5")
	fmt.Println(err)
	// Output:
	// 10.0.0.5-10.0.0.9 [10.0.0.5/32 10.0.0.6/31 10.0.0.8/31]
	// invalid ip range "10.0.0.9-10.0.0.5": start 10.0.0.9 is after end 10.0.0.5
}
