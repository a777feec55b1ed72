package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/queue"
)

// Role is a staff member's role (auth.Role): RoleAgent < RoleSupervisor
// < RoleAdmin.
type Role = auth.Role

// The roles, weakest first.
const (
	RoleAgent      = auth.RoleAgent
	RoleSupervisor = auth.RoleSupervisor
	RoleAdmin      = auth.RoleAdmin
)

// Principal is the authenticated staff member behind a request
// (auth.Principal).
type Principal = auth.Principal

// Sentinel errors of an Authenticator, those of internal/auth.
var (
	// ErrUnauthenticated: the bearer token is missing or unknown.
	ErrUnauthenticated = auth.ErrUnauthenticated
	// ErrForbidden: the principal's role is too low.
	ErrForbidden = auth.ErrForbidden
)

// Authenticator checks the bearer tokens of the agent and admin APIs and
// records denials; *auth.Service implements it, and tests use a fake.
type Authenticator interface {
	// Authenticate returns the principal of a bearer token, or an error
	// wrapping ErrUnauthenticated.
	Authenticate(ctx context.Context, bearer string) (Principal, error)
	// Deny records an audit event ("auth.deny") for a refused request.
	Deny(ctx context.Context, p Principal, action, target string)
}

var _ Authenticator = (*auth.Service)(nil)

// WithAuth enables the agent and admin APIs with a as the token checker.
// Without it those routes answer 401.
func WithAuth(a Authenticator) Option { return func(s *Server) { s.auth = a } }

// staffHandler is a handler of the agent or admin API.
type staffHandler func(w http.ResponseWriter, r *http.Request, p Principal)

// require wraps h: the request needs a bearer token of a principal whose
// role is at least min, else 401 or 403 (the 403 is recorded with Deny,
// naming action and the target from the path).
func (s *Server) require(min Role, action string, h staffHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if !p.Role.AtLeast(min) {
			s.deny(w, r, p, action, min)
			return
		}
		if s.staffLimited(w, r, p) {
			return
		}
		h(w, r, p)
	}
}

// authenticate answers 401 and returns false when the request carries no
// valid bearer token.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	if s.auth == nil && len(s.demo) == 0 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chatflow"`)
		problem(w, http.StatusUnauthorized, "authentication required", "staff authentication is not configured on this server")
		return Principal{}, false
	}
	tok, ok := auth.BearerToken(r.Header)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chatflow"`)
		problem(w, http.StatusUnauthorized, "authentication required", "send Authorization: Bearer <token>")
		return Principal{}, false
	}
	if p, ok := s.demoPrincipal(tok); ok {
		return p, true
	}
	var p Principal
	err := ErrUnauthenticated
	if s.auth != nil {
		p, err = s.auth.Authenticate(r.Context(), tok)
	}
	if err != nil && !errors.Is(err, ErrUnauthenticated) {
		// The token could not be checked: not the client's fault.
		s.serviceError(w, r, "authentication", err)
		return Principal{}, false
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chatflow", error="invalid_token"`)
		problem(w, http.StatusUnauthorized, "authentication required", "the bearer token is not valid")
		return Principal{}, false
	}
	return p, true
}

// deny answers 403 and records the denial.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, p Principal, action string, min Role) {
	// The target names a block or a queue, never a user or a
	// conversation: the audit log is append-only and must not outlive the
	// retention of personal data.
	var target string
	switch {
	case strings.HasPrefix(action, "block."):
		target = r.PathValue("id")
	case strings.HasPrefix(action, "queue."):
		target = r.PathValue("queue")
	case strings.HasPrefix(action, "account."):
		target = r.PathValue("id") // a staff account, not a visitor
	}
	if s.auth != nil {
		s.auth.Deny(r.Context(), p, action, target)
	}
	problem(w, http.StatusForbidden, "forbidden", fmt.Sprintf("%s needs the %s role; you are %s", action, min, p.Role))
}

// fieldError is one entry of a problem's errors array.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// fieldProblem answers status with an errors array naming every field.
func fieldProblem(w http.ResponseWriter, status int, title string, errs []fieldError) {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Field + ": " + e.Message
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": title, "status": status,
		"detail": strings.Join(parts, "; "), "errors": errs,
	})
}

// serviceError answers an error of the blocking or helpdesk service:
// validation 422 with the field problems, unknown id 404, state conflicts
// 409, an unreachable store 503, anything else 500 (logged, not shown).
func (s *Server) serviceError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if ve, ok := errors.AsType[*blocking.ValidationError](err); ok {
		errs := make([]fieldError, len(ve.Problems))
		for i, p := range ve.Problems {
			errs[i] = fieldError{Field: p.Field, Message: p.Message}
		}
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid "+what, errs)
		return
	}
	switch {
	case errors.Is(err, contextstore.ErrNotFound):
		problem(w, http.StatusNotFound, "no such "+what, err.Error())
	case errors.Is(err, blocking.ErrNotActive), errors.Is(err, blocking.ErrLifted), errors.Is(err, blocking.ErrPurged):
		problem(w, http.StatusConflict, what+" cannot be changed", err.Error())
	case errors.Is(err, contextstore.ErrUnavailable):
		noteCause(r, err)
		problem(w, http.StatusServiceUnavailable, "store unavailable", "please retry")
	default:
		noteCause(r, err)
		problem(w, http.StatusInternalServerError, what+" failed", "an internal error occurred; please retry")
	}
}

// queueEntry is one waiting conversation of the agent's queue view.
type queueEntry struct {
	ConversationID string `json:"conversation_id"`
	EnqueuedAt     string `json:"enqueued_at"`
	WaitingSeconds int64  `json:"waiting_seconds"`
}

func (s *Server) agentQueue(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := r.PathValue("queue")
	list, err := s.app.Queue.Waiting(r.Context(), q)
	if err != nil {
		s.serviceError(w, r, "queue", fmt.Errorf("listing queue %q: %w", q, err))
		return
	}
	now := s.app.Clock()
	out := make([]queueEntry, len(list))
	for i, e := range list {
		out[i] = queueEntry{
			ConversationID: e.ConversationID,
			EnqueuedAt:     e.EnqueuedAt.UTC().Format(time.RFC3339),
			WaitingSeconds: max(0, int64(now.Sub(e.EnqueuedAt)/time.Second)),
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"queue": q, "waiting": out})
}

// transcript is a conversation's messages as an agent sees them (system
// lines included).
// transcript is what agents see: held messages (a hold rule) are left out
// until a supervisor releases them.
func transcript(c *contextstore.Conversation) []message {
	out := make([]message, 0, len(c.Transcript))
	for _, m := range c.Transcript {
		if m.Held {
			continue
		}
		out = append(out, message{At: m.At.UTC().Format(time.RFC3339Nano), From: m.From, Text: m.Text})
	}
	return out
}

// staffTranscript is the supervisor's whole transcript, held lines marked.
func staffTranscript(c *contextstore.Conversation) []message {
	out := make([]message, 0, len(c.Transcript))
	for _, m := range c.Transcript {
		out = append(out, message{At: m.At.UTC().Format(time.RFC3339Nano), From: m.From, Text: m.Text, Held: m.Held})
	}
	return out
}

func (s *Server) agentTake(w http.ResponseWriter, r *http.Request, p Principal) {
	q := r.PathValue("queue")
	c, err := s.app.Desk.Take(r.Context(), q, staffActor(p))
	if errors.Is(err, queue.ErrEmpty) {
		problem(w, http.StatusNotFound, "queue empty", fmt.Sprintf("no conversation is waiting in queue %q", q))
		return
	}
	if err != nil {
		s.serviceError(w, r, "conversation", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "queue": q, "messages": transcript(c)})
}

// pathConversation loads the conversation named by the path's {id}, or
// answers 404 (unknown id) or the store's error and returns false.
func (s *Server) pathConversation(w http.ResponseWriter, r *http.Request) (*contextstore.Conversation, bool) {
	id := r.PathValue("id")
	c, err := s.app.Store.GetConversation(r.Context(), id)
	if errors.Is(err, contextstore.ErrNotFound) {
		problem(w, http.StatusNotFound, "no such conversation", fmt.Sprintf("conversation %q does not exist", id))
		return nil, false
	}
	if err != nil {
		s.serviceError(w, r, "conversation", err)
		return nil, false
	}
	return c, true
}

// agentConversation loads the conversation of the path and checks that
// p is the agent connected to it; it answers the error otherwise.
func (s *Server) agentConversation(w http.ResponseWriter, r *http.Request, p Principal, action string) (*contextstore.Conversation, bool) {
	c, ok := s.pathConversation(w, r)
	if !ok {
		return nil, false
	}
	if !c.Helpdesk.AgentConnected {
		problem(w, http.StatusConflict, "no agent connected", fmt.Sprintf("conversation %q has no agent connected; take it from its queue first", c.ID))
		return nil, false
	}
	if !holds(c, p) {
		s.deny(w, r, p, action, RoleSupervisor)
		return nil, false
	}
	return c, true
}

// holds reports whether p may act on c's chat: the agent connected to it,
// or any supervisor or admin. A plain agent may not act on a chat another
// agent holds, nor on one nobody took.
func holds(c *contextstore.Conversation, p Principal) bool {
	if p.Role.AtLeast(RoleSupervisor) {
		return true
	}
	return c.Helpdesk.AgentConnected && c.Helpdesk.AgentEmail != "" && c.Helpdesk.AgentEmail == staffActor(p)
}

// heldUntilSanctioned reports whether p is the agent whose chat with c a
// sanction ended (the agent is kept on the conversation for that).
func heldUntilSanctioned(c *contextstore.Conversation, p Principal) bool {
	return !c.Helpdesk.AgentConnected && len(c.Sanctions) > 0 && c.Helpdesk.AgentEmail != "" && c.Helpdesk.AgentEmail == staffActor(p)
}

// idempotencyKey is the client's Idempotency-Key header, scoped to what the
// request does, or "" when there is none: a retried staff request with the
// same key finds the block its first run made.
func idempotencyKey(r *http.Request, scope string) string {
	k := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if k == "" || len(k) > 200 {
		return ""
	}
	return scope + ":" + k
}

func (s *Server) agentSay(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		Text string `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid message", []fieldError{{"text", "required: must not be empty"}})
		return
	}
	c, ok := s.agentConversation(w, r, p, "conversation.message")
	if !ok {
		return
	}
	if err := s.app.Desk.Say(r.Context(), c.ID, req.Text); err != nil {
		s.turnError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "sent": true})
}

// disconnectRequest is the agent's feedback when leaving a chat.
type disconnectRequest struct {
	Block          bool   `json:"block"`
	ReasonCategory string `json:"reason_category"`
	Notes          string `json:"notes"`
	Minutes        int    `json:"minutes"`
	// Period is the block length in ParsePeriod syntax (1h, 1d, 1w, 7d,
	// 1m, permanent, 90); not together with Minutes; ignored without Block.
	Period string `json:"period"`
	Spam   bool   `json:"spam"`
	Rating int    `json:"rating"`
}

// problems returns the parsed period (zero when none is given) and the
// field errors of the request.
func (d disconnectRequest) problems() (blocking.Period, []fieldError) {
	var errs []fieldError
	var per blocking.Period
	if d.Period != "" {
		var perrs []fieldError
		per, perrs = periodProblems(d.Period)
		errs = append(errs, perrs...)
		if d.Minutes != 0 {
			errs = append(errs, fieldError{"period", "give either period or minutes, not both"})
		}
	}
	if d.Block && !slices.Contains(blocking.Categories(), d.ReasonCategory) {
		errs = append(errs, fieldError{"reason_category", fmt.Sprintf("required with block: one of %s", strings.Join(blocking.Categories(), ", "))})
	}
	if d.Minutes < 0 || d.Minutes > blocking.MaxMinutes {
		errs = append(errs, fieldError{"minutes", fmt.Sprintf("%d is out of range 0..%d (0: the flow's default)", d.Minutes, blocking.MaxMinutes)})
	}
	if d.Rating < 0 || d.Rating > 5 {
		errs = append(errs, fieldError{"rating", fmt.Sprintf("%d is out of range 0..5", d.Rating)})
	}
	if len(d.Notes) > 4000 {
		errs = append(errs, fieldError{"notes", "longer than 4000 bytes"})
	}
	return per, errs
}

func (s *Server) agentDisconnect(w http.ResponseWriter, r *http.Request, p Principal) {
	var req disconnectRequest
	if !decode(w, r, &req) {
		return
	}
	per, errs := req.problems()
	if len(errs) > 0 {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid feedback", errs)
		return
	}
	c, ok := s.agentConversation(w, r, p, "conversation.disconnect")
	if !ok {
		return
	}
	minutes := req.Minutes
	if req.Block && req.Period != "" && !per.Permanent {
		minutes = per.Minutes
	}
	before := len(c.Sanctions)
	res, err := s.app.Desk.Disconnect(r.Context(), c.ID, idempotencyKey(r, "disconnect"), contextstore.AgentFeedback{
		AgentEmail: staffActor(p), Block: req.Block, ReasonCategory: req.ReasonCategory, Notes: req.Notes,
		BlockIntervalMinutes: minutes, Permanent: req.Block && per.Permanent, MarkSpam: req.Spam, Rating: req.Rating,
	})
	if err != nil {
		s.turnError(w, r, err)
		return
	}
	out := map[string]any{"id": c.ID, "replies": nonNil(res.Replies)}
	// The sanction this turn applied, if its flow blocked (a duplicate
	// answers from the record: then the conversation's latest).
	after := res.Conversation.Sanctions
	if n := len(after); n > 0 && (n > before || res.Duplicate) && req.Block {
		out["block_id"] = after[n-1]
	}
	d, err := s.app.Blocking.DecideConversation(r.Context(), res.Conversation, blocking.ChannelLiveChat)
	if err != nil {
		s.serviceError(w, r, "block", err)
		return
	}
	out["blocked"] = d.Blocked
	writeJSON(w, http.StatusOK, out)
}

// agentBlockRequest is an agent's direct block of the current customer.
type agentBlockRequest struct {
	Target         string `json:"target"`
	Period         string `json:"period"`
	ReasonCategory string `json:"reason_category"`
	Notes          string `json:"notes"`
}

func (s *Server) agentBlock(w http.ResponseWriter, r *http.Request, p Principal) {
	var req agentBlockRequest
	if !decode(w, r, &req) {
		return
	}
	var errs []fieldError
	per, err := blocking.ParsePeriod(req.Period)
	if ve, ok := errors.AsType[*blocking.ValidationError](err); ok {
		for _, fp := range ve.Problems {
			errs = append(errs, fieldError{fp.Field, fp.Message})
		}
	}
	switch req.Target {
	case "user", "conversation", "ip":
	default:
		errs = append(errs, fieldError{"target", fmt.Sprintf("%q is not a target; use user, conversation or ip", req.Target)})
	}
	if len(errs) > 0 {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid block", errs)
		return
	}
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	if !holds(c, p) && !heldUntilSanctioned(c, p) {
		// A plain agent blocks only the customer of a chat they hold (or
		// held until a sanction ended it: a retry of their own block).
		s.deny(w, r, p, "conversation.block", RoleSupervisor)
		return
	}
	nb := blocking.NewBlock{
		Kind: contextstore.BlockKind(req.Target), ConversationID: c.ID, Period: per,
		ReasonCategory: req.ReasonCategory, Notes: req.Notes, Actor: staffActor(p),
		Source: contextstore.SourceAgent, Cause: idempotencyKey(r, "block:"+c.ID),
	}
	switch req.Target {
	case "user":
		if !c.User.IsAuthenticated || c.User.UserID == "" {
			fieldProblem(w, http.StatusUnprocessableEntity, "invalid block", []fieldError{{"target", "the customer is anonymous: block the conversation or the ip"}})
			return
		}
		nb.UserID = c.User.UserID
	case "ip":
		ip := s.app.Blocking.VisitorIP(c)
		if !ip.IsValid() {
			fieldProblem(w, http.StatusUnprocessableEntity, "invalid block", []fieldError{{"target", "the conversation has no visitor ip"}})
			return
		}
		// Opened only to be sealed again in the block record: it is not
		// answered to a plain agent (below) and not logged.
		nb.IP = ip.String()
		if c.User.IsAuthenticated {
			nb.UserID = c.User.UserID
		}
	}
	o, err := s.app.Desk.Block(r.Context(), nb)
	if !s.stored(w, r, "block", o.Block, err) {
		return
	}
	v, err := s.app.Blocking.Get(r.Context(), o.Block.ID)
	if err != nil {
		s.serviceError(w, r, "block", err)
		return
	}
	out := blockOut(v)
	if !p.Role.AtLeast(RoleSupervisor) {
		out.IP = "" // a plain agent never sees a visitor's IP
	}
	status := http.StatusCreated
	if !o.Created {
		status = http.StatusOK // a retry found the block its first run made
	}
	writeJSON(w, status, out)
}

// stored answers err unless it only says that a follow-up of a saved
// change failed (blocking.ErrIncomplete with the block), which is logged.
func (s *Server) stored(w http.ResponseWriter, r *http.Request, what string, b *contextstore.Block, err error) bool {
	if err == nil {
		return true
	}
	if b != nil && errors.Is(err, blocking.ErrIncomplete) {
		s.log.Warn("follow-up of a block change failed", zap.String("request_id", RequestID(r.Context())), zap.String("block", b.ID), zap.Error(err))
		return true
	}
	s.serviceError(w, r, what, err)
	return false
}
