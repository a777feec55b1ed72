package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/auth"
)

// staffLines counts the transcript's staff-only lines.
func staffLines(c *contextstore.Conversation) (n int) {
	for _, m := range c.Transcript {
		if m.From == contextstore.FromStaff {
			n++
		}
	}
	return n
}

// visitorSees returns the visitor's transcript text and state.
func (e *staffEnv) visitorSees(t *testing.T, id string) (string, string) {
	t.Helper()
	var msgs struct {
		Messages []struct{ From, Text string } `json:"messages"`
	}
	e.mustVisitor(t, http.StatusOK, &msgs, "GET", "/v1/conversations/"+id+"/messages", "")
	var lines []string
	for _, m := range msgs.Messages {
		lines = append(lines, m.From+": "+m.Text)
	}
	var view struct {
		State string `json:"state"`
	}
	e.must(t, http.StatusOK, &view, superTok, "GET", "/v1/agent/conversations/"+id, "")
	return strings.Join(lines, "\n"), view.State
}

// TestDirectAgentBlockEndsTheChat: an agent's direct block ends the live
// chat at once (no more agent messages, no survey), the visitor sees only
// the neutral text, the transcript has one staff line, and a retry with
// the same Idempotency-Key finds the same block.
func TestDirectAgentBlockEndsTheChat(t *testing.T) {
	e := newStaffEnv(t, netip.MustParsePrefix("127.0.0.0/8"))
	id := e.visitorFrom(t, "203.0.113.10")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/messages", `{"text": "hello"}`)
	block := func(want int) blockOut {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v1/agent/conversations/"+id+"/block",
			strings.NewReader(`{"target": "ip", "period": "1d", "reason_category": "harassment", "notes": "secret-note"}`))
		req.Header.Set("Authorization", "Bearer "+agentTok)
		req.Header.Set("Idempotency-Key", "blk-1")
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b blockOut
		decodeBody(t, res, want, &b)
		return b
	}
	b := block(http.StatusCreated)
	if b.Kind != "ip" || b.IP != "" {
		t.Errorf("block = %+v: want an ip ban whose address a plain agent does not see", b)
	}
	c := e.stored(t, id)
	if c.Helpdesk.AgentConnected || c.Helpdesk.InQueue || !c.Info.Blocked || staffLines(c) != 1 {
		t.Fatalf("after the block: helpdesk %+v, info %+v, %d staff lines", c.Helpdesk, c.Info, staffLines(c))
	}
	// The chat has ended: the agent can neither write nor disconnect into
	// a survey.
	e.must(t, http.StatusConflict, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/messages", `{"text": "still there?"}`)
	e.must(t, http.StatusConflict, nil, agentTok, "POST", "/v1/agent/conversations/"+id+"/disconnect", `{"rating": 5}`)
	text, state := e.visitorSees(t, id)
	if state != "blocked" {
		t.Errorf("visitor state %q, want blocked", state)
	}
	for _, secret := range []string{"harassment", "secret-note", "blocked by", "rate"} {
		if strings.Contains(text, secret) {
			t.Errorf("the visitor sees %q:\n%s", secret, text)
		}
	}
	if !strings.Contains(text, "bot: This chat has ended. Thank you for contacting Acme.") {
		t.Errorf("the visitor did not get the neutral text:\n%s", text)
	}
	// A retry of the same request is the same block, applied once.
	if again := block(http.StatusOK); again.ID != b.ID {
		t.Errorf("retry made block %s, want %s", again.ID, b.ID)
	}
	var list struct {
		Blocks []blockOut `json:"blocks"`
	}
	e.must(t, http.StatusOK, &list, superTok, "GET", "/v1/admin/blocks?status=active", "")
	if len(list.Blocks) != 1 {
		t.Errorf("%d active blocks, want 1", len(list.Blocks))
	}
	if c := e.stored(t, id); staffLines(c) != 1 {
		t.Errorf("%d staff lines after the retry, want 1", staffLines(c))
	}
}

// TestAgentBlockOnlyTheirOwnChat: a plain agent may block only a chat they
// hold: not one another agent holds, nor one nobody took; a supervisor
// may block any. The refusals are audited.
func TestAgentBlockOnlyTheirOwnChat(t *testing.T) {
	e := newStaffEnv(t)
	e.auth.tokens["tok-bob"] = auth.Principal{ID: "u9", Email: "bob@acme.test", Role: auth.RoleAgent}
	untaken := e.visitor(t)
	e.must(t, http.StatusForbidden, nil, agentTok, "POST", "/v1/agent/conversations/"+untaken+"/block", `{"target": "conversation", "period": "1h", "reason_category": "spam"}`)
	held := e.visitor(t)
	// ann takes the oldest (untaken), then held.
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	e.must(t, http.StatusForbidden, nil, "tok-bob", "POST", "/v1/agent/conversations/"+held+"/block", `{"target": "ip", "period": "permanent", "reason_category": "spam"}`)
	e.must(t, http.StatusForbidden, nil, "tok-bob", "GET", "/v1/agent/conversations/"+held, "")
	if c := e.stored(t, held); !c.Helpdesk.AgentConnected || c.Info.Blocked {
		t.Fatalf("a refused block changed the chat: %+v %+v", c.Helpdesk, c.Info)
	}
	e.must(t, http.StatusCreated, nil, agentTok, "POST", "/v1/agent/conversations/"+held+"/block", `{"target": "conversation", "period": "1h", "reason_category": "spam"}`)
	e.must(t, http.StatusCreated, nil, superTok, "POST", "/v1/agent/conversations/"+untaken+"/block", `{"target": "conversation", "period": "1h", "reason_category": "spam"}`)
	if d := e.auth.denials(); len(d) != 3 {
		t.Errorf("denials %q, want 3", d)
	}
}

// TestRangeBanEndsRunningChats: a supervisor's range ban ends the running
// chats from that range at once — the one with an agent and the one
// waiting in the queue — and leaves the others alone.
func TestRangeBanEndsRunningChats(t *testing.T) {
	e := newStaffEnv(t, netip.MustParsePrefix("127.0.0.0/8"))
	chatting := e.visitorFrom(t, "203.0.113.10")
	waiting := e.visitorFrom(t, "203.0.113.11")
	outside := e.visitorFrom(t, "198.51.100.10")
	e.must(t, http.StatusOK, nil, agentTok, "POST", "/v1/agent/queues/support/take", "")
	e.must(t, http.StatusCreated, nil, adminTok, "POST", "/v1/admin/blocks", `{"kind": "range", "range": "203.0.113.0/24", "period": "1w", "reason_category": "spam"}`)
	for _, id := range []string{chatting, waiting} {
		c := e.stored(t, id)
		if c.Helpdesk.AgentConnected || c.Helpdesk.InQueue || !c.Info.Blocked || staffLines(c) != 1 {
			t.Errorf("%s after the ban: helpdesk %+v, info %+v, %d staff lines", id, c.Helpdesk, c.Info, staffLines(c))
		}
		if _, state := e.visitorSees(t, id); state != "blocked" {
			t.Errorf("%s: state %q, want blocked", id, state)
		}
	}
	var q struct {
		Waiting []struct {
			ID string `json:"conversation_id"`
		} `json:"waiting"`
	}
	e.must(t, http.StatusOK, &q, agentTok, "GET", "/v1/agent/queues/support", "")
	if len(q.Waiting) != 1 || q.Waiting[0].ID != outside {
		t.Errorf("queue %+v, want only %s", q.Waiting, outside)
	}
	if c := e.stored(t, outside); c.Info.Blocked || staffLines(c) != 0 {
		t.Errorf("a visitor outside the range was touched: %+v", c.Info)
	}
}

// TestBootstrapAdminBans: the bootstrap admin (no email) can create and
// lift a range ban; the audit log names it by its stable id.
func TestBootstrapAdminBans(t *testing.T) {
	e, _ := newAccountsEnv(t, bootTok)
	var b blockOut
	e.must(t, http.StatusCreated, &b, bootTok, "POST", "/v1/admin/blocks", `{"kind": "range", "range": "198.51.100.0/24", "period": "1d", "reason_category": "spam"}`)
	if b.CreatedBy != "bootstrap-admin" {
		t.Errorf("created_by %q, want bootstrap-admin", b.CreatedBy)
	}
	e.must(t, http.StatusOK, nil, bootTok, "POST", "/v1/admin/blocks/"+b.ID+"/lift", `{"notes": "test"}`)
	var audit struct {
		Events []struct {
			Actor  string `json:"actor"`
			Action string `json:"action"`
		} `json:"events"`
	}
	e.must(t, http.StatusOK, &audit, bootTok, "GET", "/v1/admin/audit?block_id="+b.ID, "")
	if len(audit.Events) != 2 || audit.Events[0].Actor != "bootstrap-admin" || audit.Events[1].Actor != "bootstrap-admin" {
		t.Errorf("audit %+v, want block.create and block.lift by bootstrap-admin", audit.Events)
	}
}

// TestIdempotencyWindowIsTime: a message retried after a hundred others,
// within the window, is answered from the record; after the window it
// runs again.
func TestIdempotencyWindowIsTime(t *testing.T) {
	e := newStaffEnv(t)
	var tr turn
	e.mustVisitor(t, http.StatusCreated, &tr, "POST", "/v1/conversations", `{"channel": "live_chat"}`)
	send := func(key string) turn {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v1/conversations/"+tr.ID+"/messages", strings.NewReader(`{"text": "hello"}`))
		req.Header.Set("Idempotency-Key", key)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out turn
		decodeBody(t, res, http.StatusOK, &out)
		// The visitor types at the pace the default message limit allows.
		e.clk.Advance(3 * time.Second)
		return out
	}
	send("first")
	for i := range 100 {
		send(fmt.Sprintf("k-%d", i))
	}
	if r := send("first"); !r.Duplicate {
		t.Errorf("a retry after 100 messages ran again")
	}
	e.clk.Advance(25 * time.Hour)
	if r := send("first"); r.Duplicate {
		t.Errorf("a key older than the window (24 h) was still remembered")
	}
}

// decodeBody checks res's status and decodes its JSON body into v.
func decodeBody(t *testing.T, res *http.Response, want int, v any) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("status %d, want %d", res.StatusCode, want)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
