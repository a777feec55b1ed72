package server_test

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The example self-unblock flow's texts (examples/flows/self-unblock.flow.yaml).
const (
	rulesQuestion = "To chat with an agent again, please confirm you will keep the conversation respectful. Do you agree? (yes/no)"
	selfUnblocked = "Thank you. You can type 'agent' to talk to a person again."
)

// blockSecrets are the parts of the stories' block feedback that no
// visitor response may contain.
var blockSecrets = []string{"abusive", "insulted-the-agent-7f3a"}

// chatVisitor is a visitor of one conversation talking to a server over
// HTTP; it keeps every response body to check for leaked reasons.
type chatVisitor struct {
	e      *staffEnv
	id     string
	bodies []string
}

// startVisitor starts an anonymous live-chat conversation on e.
func startVisitor(t *testing.T, e *staffEnv) *chatVisitor {
	t.Helper()
	var start turn
	v := &chatVisitor{e: e}
	v.bodies = append(v.bodies, e.mustVisitor(t, http.StatusCreated, &start, "POST", "/v1/conversations", `{"channel": "live_chat"}`))
	v.id = start.ID
	return v
}

// say posts text and returns the bot's replies.
func (v *chatVisitor) say(t *testing.T, text string) []string {
	t.Helper()
	var tr turn
	v.bodies = append(v.bodies, v.e.mustVisitor(t, http.StatusOK, &tr, "POST", "/v1/conversations/"+v.id+"/messages", `{"text": "`+text+`"}`))
	return tr.Replies
}

// wantReplies fails unless text is answered with exactly want.
func (v *chatVisitor) wantReplies(t *testing.T, text string, want ...string) {
	t.Helper()
	if r := v.say(t, text); !slices.Equal(r, want) {
		t.Fatalf("%q: replies = %q, want %q", text, r, want)
	}
}

// checkNoSecrets reads the transcript too and fails if any visitor
// response shows the block reason or notes.
func (v *chatVisitor) checkNoSecrets(t *testing.T) {
	t.Helper()
	v.bodies = append(v.bodies, v.e.mustVisitor(t, http.StatusOK, nil, "GET", "/v1/conversations/"+v.id+"/messages", ""))
	for _, b := range v.bodies {
		for _, secret := range blockSecrets {
			if strings.Contains(b, secret) {
				t.Errorf("a visitor response reveals the block reason (%q): %s", secret, b)
			}
		}
	}
}

// takeAndBlock: the agent on e takes the next chat of the support queue,
// which must be v's, and disconnects with block feedback.
func takeAndBlock(t *testing.T, e *staffEnv, tok string, v *chatVisitor) {
	t.Helper()
	var took struct{ ID string }
	e.must(t, http.StatusOK, &took, tok, "POST", "/v1/agent/queues/support/take", "")
	if took.ID != v.id {
		t.Fatalf("took %s, want %s", took.ID, v.id)
	}
	var disc struct {
		Blocked bool `json:"blocked"`
	}
	e.must(t, http.StatusOK, &disc, tok, "POST", "/v1/agent/conversations/"+v.id+"/disconnect",
		`{"block": true, "reason_category": "abusive_language", "notes": "insulted-the-agent-7f3a", "minutes": 60}`)
	if !disc.Blocked {
		t.Fatal("the disconnect did not block the visitor")
	}
}

// conversationBlocks lists the conversation blocks of one status on e.
func conversationBlocks(t *testing.T, e *staffEnv, tok, status string) []blockOut {
	t.Helper()
	var l blockList
	e.must(t, http.StatusOK, &l, tok, "GET", "/v1/admin/blocks?kind=conversation&status="+status, "")
	return l.Blocks
}

// wantQueued fails unless v's conversation is the one waiting in the
// support queue, as the agent on e sees it.
func wantQueued(t *testing.T, e *staffEnv, tok string, v *chatVisitor) {
	t.Helper()
	var q struct {
		Waiting []struct {
			ConversationID string `json:"conversation_id"`
		} `json:"waiting"`
	}
	e.must(t, http.StatusOK, &q, tok, "GET", "/v1/agent/queues/support", "")
	if len(q.Waiting) != 1 || q.Waiting[0].ConversationID != v.id {
		t.Errorf("queue = %+v, want only %s", q.Waiting, v.id)
	}
}

// TestEndToEndSelfUnblock is the anonymous visitor's story over loopback
// HTTP with the example flows and configuration: an agent takes the chat
// and blocks the visitor, who is refused neutrally, unblocks themself by
// agreeing to the rules (the self-unblock flow sets LiveChatBlockedUntil
// to null), and is queued again; the block record is ended, and no
// visitor response carries the reason.
func TestEndToEndSelfUnblock(t *testing.T) {
	e := newStaffEnv(t)
	v := startVisitor(t, e)
	v.wantReplies(t, "hello", faq)
	v.wantReplies(t, "I want an agent", queued)
	takeAndBlock(t, e, agentTok, v)

	v.wantReplies(t, "agent please", blocked)
	active := conversationBlocks(t, e, superTok, "active")
	if len(active) != 1 || active[0].ConversationID != v.id || active[0].CreatedBy != "ann@acme.test" {
		t.Fatalf("active conversation blocks = %+v", active)
	}

	e.clk.Advance(time.Minute)
	v.wantReplies(t, "unblock me", rulesQuestion)
	v.wantReplies(t, "yes", selfUnblocked)
	c, err := e.store.GetConversation(t.Context(), v.id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Info.LiveChatBlockedUntil != nil {
		t.Errorf("LiveChatBlockedUntil = %v after the self-unblock, want null", c.Info.LiveChatBlockedUntil)
	}

	v.wantReplies(t, "agent", queued)
	wantQueued(t, e, agentTok, v)
	if l := conversationBlocks(t, e, superTok, "active"); len(l) != 0 {
		t.Errorf("active conversation blocks after the self-unblock = %+v", l)
	}
	ended := conversationBlocks(t, e, superTok, "ended")
	if len(ended) != 1 || ended[0].ID != active[0].ID {
		t.Errorf("ended conversation blocks = %+v, want %s", ended, active[0].ID)
	}
	wantEndedInCSV(t, e, superTok, v)
	v.checkNoSecrets(t)
}

// wantEndedInCSV fails unless the conversations export of e lists only
// v's conversation, with block_status ended.
func wantEndedInCSV(t *testing.T, e *staffEnv, tok string, v *chatVisitor) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(e.must(t, http.StatusOK, nil, tok, "GET", "/v1/admin/conversations.csv", "").body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if st := slices.Index(rows[0], "block_status"); len(rows) != 2 || rows[1][0] != v.id || rows[1][st] != "ended" {
		t.Errorf("conversations.csv = %q, want the conversation with block_status ended", rows)
	}
}
