package server_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// TestAdminConversationsCSV: the export lists every conversation with its
// block status and reason, quoted per RFC 4180, and filters on blocked.
func TestAdminConversationsCSV(t *testing.T) {
	e := newStaffEnv(t)
	blockedID := e.visitor(t)
	var other turn
	e.mustVisitor(t, http.StatusCreated, &other, "POST", "/v1/conversations", `{"channel": "live_chat"}`)

	var took struct{ ID string }
	e.must(t, http.StatusOK, &took, agentTok, "POST", "/v1/agent/queues/support/take", "")
	if took.ID != blockedID {
		t.Fatalf("took %s, want %s", took.ID, blockedID)
	}
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+blockedID+"/disconnect",
		`{"block": true, "reason_category": "abusive_language", "notes": "n", "minutes": 60}`)
	var found blockList
	e.must(t, http.StatusOK, &found, superTok, "GET", "/v1/admin/blocks?kind=conversation", "")
	if len(found.Blocks) != 1 {
		t.Fatalf("conversation blocks = %+v", found.Blocks)
	}
	const tricky = "said \"you're useless\", then\nleft"
	e.must(t, http.StatusOK, nil, superTok, "PATCH", "/v1/admin/blocks/"+found.Blocks[0].ID, `{"reason": "said \"you're useless\", then\nleft"}`)

	read := func(query string) [][]string {
		t.Helper()
		r := e.must(t, http.StatusOK, nil, superTok, "GET", "/v1/admin/conversations.csv"+query, "")
		if !strings.HasPrefix(r.ctype, "text/csv") {
			t.Errorf("Content-Type %q", r.ctype)
		}
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v\n%s", query, err, r.body)
		}
		want := []string{"id", "channel", "started_at", "updated_at", "authenticated", "user_id", "blocked", "marked_spam",
			"live_chat_blocked_until", "block_status", "block_reason_category", "block_reason"}
		if len(rows) == 0 || !slices.Equal(rows[0], want) {
			t.Fatalf("header = %q", rows)
		}
		return rows
	}
	rows := read("")
	if len(rows) != 3 {
		t.Fatalf("rows = %q", rows)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	byID := map[string][]string{}
	for _, row := range rows[1:] {
		byID[row[0]] = row
	}
	b, o := byID[blockedID], byID[other.ID]
	if b == nil || o == nil {
		t.Fatalf("rows = %q", rows)
	}
	for name, want := range map[string]string{
		"channel": "live_chat", "started_at": "2026-01-05T10:00:00Z", "authenticated": "false", "blocked": "true",
		"block_status": "active", "block_reason_category": "abusive_language", "block_reason": tricky,
	} {
		if got := b[col(name)]; got != want {
			t.Errorf("blocked row %s = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{"blocked": "false", "block_status": "none", "block_reason": "", "live_chat_blocked_until": ""} {
		if got := o[col(name)]; got != want {
			t.Errorf("other row %s = %q, want %q", name, got, want)
		}
	}
	if rows := read("?blocked=true"); len(rows) != 2 || rows[1][0] != blockedID {
		t.Errorf("blocked=true: %q", rows)
	}
	if rows := read("?blocked=false"); len(rows) != 2 || rows[1][0] != other.ID {
		t.Errorf("blocked=false: %q", rows)
	}
	e.must(t, http.StatusBadRequest, nil, superTok, "GET", "/v1/admin/conversations.csv?blocked=maybe", "")
	e.must(t, http.StatusBadRequest, nil, superTok, "GET", "/v1/admin/conversations.csv?status=active", "")
	e.must(t, http.StatusForbidden, nil, agentTok, "GET", "/v1/admin/conversations.csv", "")
	if d := e.auth.denials(); !slices.Contains(d, "ann@acme.test conversation.export ") {
		t.Errorf("denials = %q", d)
	}
	e.must(t, http.StatusUnauthorized, nil, "", "GET", "/v1/admin/conversations.csv", "")
}

// TestAdminConversationsCSVPages: the export streams past one page of the
// store, and an anonymous visitor's LiveChatBlockedUntil alone (no block
// record) gives the status: active while it is in the future, ended after.
func TestAdminConversationsCSVPages(t *testing.T) {
	e := newStaffEnv(t)
	const n = 501 // one more than a page
	now := e.clk.Now()
	until := now.Add(time.Hour)
	for i := range n {
		c := &contextstore.Conversation{ID: fmt.Sprintf("c-%04d", i), CreatedAt: now, UpdatedAt: now}
		c.Info.Channel, c.Info.StartedAt = "live_chat", now
		if i == 7 {
			c.Info.LiveChatBlockedUntil = &until
		}
		if err := e.store.PutConversation(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	read := func() [][]string {
		t.Helper()
		rows, err := csv.NewReader(strings.NewReader(e.must(t, http.StatusOK, nil, superTok, "GET", "/v1/admin/conversations.csv", "").body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n+1 {
			t.Fatalf("%d rows, want a header and %d conversations", len(rows), n)
		}
		return rows
	}
	rows := read()
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		if seen[row[0]] {
			t.Fatalf("conversation %s exported twice", row[0])
		}
		seen[row[0]] = true
	}
	st, u := slices.Index(rows[0], "block_status"), slices.Index(rows[0], "live_chat_blocked_until")
	if rows[8][0] != "c-0007" || rows[8][st] != "active" || rows[8][u] != "2026-01-05T11:00:00Z" || rows[9][st] != "none" {
		t.Errorf("rows 8, 9 = %q, %q", rows[8], rows[9])
	}
	e.clk.Advance(2 * time.Hour)
	if rows := read(); rows[8][st] != "ended" {
		t.Errorf("after the block's end: row 8 = %q", rows[8])
	}
}
