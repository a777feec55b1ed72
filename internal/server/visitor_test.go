package server_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/server"
	"github.com/chatflow/chatflow/internal/visitortoken"
)

var hostSecret = []byte("host-site-secret-0123456789abcdef")

// newVisitorEnv is a staffEnv whose server accepts user tokens signed with
// hostSecret.
func newVisitorEnv(t *testing.T) *staffEnv {
	t.Helper()
	e := newStaffEnv(t)
	e.srv = httptest.NewServer(server.New(e.app, nil, server.WithAuth(e.auth), server.WithVisitorTokenSecret(hostSecret)))
	t.Cleanup(e.srv.Close)
	return e
}

func userToken(t *testing.T, e *staffEnv, secret []byte, sub string, ttl time.Duration) string {
	t.Helper()
	tok, err := visitortoken.Sign(secret, visitortoken.Claims{Subject: sub, Name: "Ann Lee", Email: "ann@example.com", Expires: e.clk.Now().Add(ttl).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *staffEnv) conversations(t *testing.T) int {
	t.Helper()
	all, err := e.store.ListConversations(t.Context(), contextstore.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// TestStartWithUserToken: a valid token starts the conversation as that
// authenticated user.
func TestStartWithUserToken(t *testing.T) {
	e := newVisitorEnv(t)
	var tr turn
	e.mustVisitor(t, http.StatusCreated, &tr, "POST", "/v1/conversations", `{"channel": "live_chat", "user_token": "`+userToken(t, e, hostSecret, "u-1", time.Hour)+`"}`)
	c, err := e.store.GetConversation(t.Context(), tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := contextstore.ChatUser{UserID: "u-1", Name: "Ann Lee", Email: "ann@example.com", IsAuthenticated: true}
	if c.User != want {
		t.Errorf("user = %+v, want %+v", c.User, want)
	}
}

// TestUserTokenRefused: nobody can claim a user id without the host's
// secret; expired and malformed tokens, tokens on a server without a
// secret, and a "user" smuggled in the body are refused, and nothing is
// stored.
func TestUserTokenRefused(t *testing.T) {
	e := newVisitorEnv(t)
	good := userToken(t, e, hostSecret, "u-1", time.Hour)
	victim := userToken(t, e, hostSecret, "u-victim", time.Hour)
	// JWTs: header.payload.signature.
	victimPayload := victim[:strings.LastIndex(victim, ".")]
	goodSig := good[strings.LastIndex(good, ".")+1:]
	for _, tc := range []struct{ name, body, detail string }{
		{"signed with a guessed secret", `{"user_token": "` + userToken(t, e, []byte("guessed-secret-0123456789abcdef"), "u-victim", time.Hour) + `"}`, "user_token: not a valid token signed by the host site"},
		{"another user's payload with my signature", `{"user_token": "` + victimPayload + "." + goodSig + `"}`, "user_token: not a valid token signed by the host site"},
		{"unsigned", `{"user_token": "` + victimPayload + `."}`, "user_token: not a valid token signed by the host site"},
		{"expired", `{"user_token": "` + userToken(t, e, hostSecret, "u-1", -time.Minute) + `"}`, "user_token: expired; the host site must sign a fresh one"},
		{"garbage", `{"user_token": "not a token"}`, "user_token: not a valid token signed by the host site"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p problemBody
			e.mustVisitor(t, http.StatusUnauthorized, &p, "POST", "/v1/conversations", tc.body)
			if p.Detail != tc.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tc.detail)
			}
		})
	}
	e.mustVisitor(t, http.StatusBadRequest, nil, "POST", "/v1/conversations", `{"user": {"UserID": "u-victim", "IsAuthenticated": true}}`)
	e.mustVisitor(t, http.StatusUnprocessableEntity, nil, "POST", "/v1/conversations", `{"lang": "not a language!"}`)
	if n := e.conversations(t); n != 0 {
		t.Errorf("%d conversations stored by refused starts", n)
	}

	plain := newStaffEnv(t) // no secret configured
	var p problemBody
	plain.mustVisitor(t, http.StatusUnauthorized, &p, "POST", "/v1/conversations", `{"user_token": "`+good+`"}`)
	if p.Title != "user tokens not accepted" {
		t.Errorf("title = %q", p.Title)
	}
	if n := plain.conversations(t); n != 0 {
		t.Errorf("%d conversations stored without a secret", n)
	}
}

// TestBlockedUserWithToken: a user on the Live Chat Blacklist who starts a
// new conversation with a valid token is refused live chat with the
// neutral text, and no visitor response carries the reason; an anonymous
// visitor is not affected by that user's block.
func TestBlockedUserWithToken(t *testing.T) {
	e := newVisitorEnv(t)
	if _, err := e.app.Blocking.Create(t.Context(), blocking.NewBlock{UserID: "u-9", Period: blocking.Period{Minutes: 60}, ReasonCategory: "abusive_language", Notes: "secret-reason-7f3a", Actor: "sam@acme.test"}); err != nil {
		t.Fatal(err)
	}
	var start, tr turn
	b1 := e.mustVisitor(t, http.StatusCreated, &start, "POST", "/v1/conversations", `{"channel": "live_chat", "user_token": "`+userToken(t, e, hostSecret, "u-9", time.Hour)+`"}`)
	b2 := e.mustVisitor(t, http.StatusOK, &tr, "POST", "/v1/conversations/"+start.ID+"/messages", `{"text": "I want an agent"}`)
	if !slices.Equal(tr.Replies, []string{blocked}) {
		t.Errorf("blocked user: replies = %q, want the neutral refusal", tr.Replies)
	}
	b3 := e.mustVisitor(t, http.StatusOK, nil, "GET", "/v1/conversations/"+start.ID+"/messages", "")
	for _, b := range []string{b1, b2, b3} {
		if strings.Contains(b, "secret-reason") || strings.Contains(b, "abusive") {
			t.Errorf("a visitor response carries the reason: %s", b)
		}
	}
	var q struct{ Waiting []struct{} }
	e.must(t, http.StatusOK, &q, agentTok, "GET", "/v1/agent/queues/support", "")
	if len(q.Waiting) != 0 {
		t.Errorf("the blocked user was queued: %+v", q.Waiting)
	}

	anon := e.visitor(t)
	e.must(t, http.StatusOK, &q, agentTok, "GET", "/v1/agent/queues/support", "")
	if len(q.Waiting) != 1 {
		t.Errorf("anonymous visitor %s not queued: %+v", anon, q.Waiting)
	}
}

// TestStartUnknownChannel: the channel is free text from the visitor; only
// the known channels (blocking.Channels) are accepted, anything else is a
// 422 naming the field, and nothing is stored.
func TestStartUnknownChannel(t *testing.T) {
	e := newStaffEnv(t)
	for _, ch := range []string{"LIVE_CHAT", "livechat", "web", "live_chat ", "<script>", strings.Repeat("x", 300)} {
		t.Run(ch[:min(len(ch), 12)], func(t *testing.T) {
			var p problemBody
			e.mustVisitor(t, http.StatusUnprocessableEntity, &p, "POST", "/v1/conversations", `{"channel": `+strconv.Quote(ch)+`}`)
			want := "unknown channel: one of live_chat, contact_form, call, forum"
			if p.Title != "invalid channel" || len(p.Errors) != 1 || p.Errors[0].Field != "channel" || p.Errors[0].Message != want {
				t.Errorf("problem = %+v, want channel: %s", p, want)
			}
		})
	}
	if n := e.conversations(t); n != 0 {
		t.Errorf("%d conversations stored by refused starts", n)
	}
	for _, ch := range blocking.Channels() {
		e.mustVisitor(t, http.StatusCreated, nil, "POST", "/v1/conversations", `{"channel": "`+ch+`"}`)
	}
}
