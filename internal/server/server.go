// Package server is chatflow's HTTP front door: the visitor channel API
// (start a conversation — anonymous or with a host-signed user token — post
// messages with idempotency keys, read the transcript, follow a
// server-sent event stream), the staff profile (GET /v1/me: who, role,
// reason categories, channels, periods, queues), the agent API (queues,
// take, the chat view, messages, disconnect with feedback, direct block),
// the admin API (blocks: filter, search, detail, create, renew, edit, lift,
// history, audit, CSV exports; users' blacklist and unblock; conversations
// with block status and transcript; accounts; webhook subscriptions, their
// delivery log and resend), demo mode for local trials
// (WithDemo: in-memory staff tokens and visitor tokens on request), health
// and readiness probes, Prometheus metrics at /metrics, its own OpenAPI 3
// description at /openapi.json, and the browser pages of internal/web
// (/chat, /agent, /admin). Staff routes need a bearer token with a role
// (agent < supervisor < admin); every 403 is audited. Errors are RFC 9457
// problem+json, times UTC RFC 3339. The visitor IP comes from the
// connection, or from X-Forwarded-For only behind configured trusted
// proxies. Block reasons never appear in any visitor response: the bot's
// replies are the flows' neutral texts.
//
// Every request is logged once (logger "http": method, route pattern,
// status, duration, request id, and for a 5xx the error cause — never the
// raw path or the visitor's IP)
// and carries a request id: the client's X-Request-Id when it is a sane
// token, else a generated one, echoed in the X-Request-Id response header.
package server

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/ipban"
	"github.com/chatflow/chatflow/internal/metrics"
	"github.com/chatflow/chatflow/internal/visitortoken"
	"github.com/chatflow/chatflow/internal/web"
)

// maxBody is the largest request body accepted (64 KiB).
const maxBody = 64 << 10

// Server serves the HTTP API of one App.
type Server struct {
	app     *app.App
	log     *zap.Logger
	metrics *metrics.Metrics
	scrape  http.Handler // serves s.metrics
	trusted []netip.Prefix
	mux     *http.ServeMux
	auth    Authenticator // nil: the agent and admin APIs answer 401
	// visitorSecret signs the demo's user tokens.
	visitorSecret []byte
	// tokens verifies user tokens; nil: they are refused.
	tokens      *visitortoken.Verifier
	widget      WidgetOptions // see WithWidget
	eventPoll   time.Duration // see WithEventPoll
	blockedText string        // see WithBlockedText
	demo        []demoStaff   // see WithDemo; nil: demo mode is off
	// closing is closed by CloseStreams: open event streams end.
	closing   chan struct{}
	closeOnce sync.Once
}

// Option configures New.
type Option func(*Server)

// WithLogger sets the logger; the server names it "http". The default (and
// what a nil l keeps) is the App's logger.
func WithLogger(l *zap.Logger) Option {
	return func(s *Server) {
		if l != nil {
			s.log = l.Named("http")
		}
	}
}

// WithMetrics makes the server count on m instead of a new metrics.Metrics
// of its own, e.g. to share m with the executor. New registers the queue
// length and block counters on m, so m must not be given to another Server.
func WithMetrics(m *metrics.Metrics) Option { return func(s *Server) { s.metrics = m } }

// WithVisitorTokenSecret makes POST /v1/conversations accept a user_token
// signed with secret (an HS256 JWT, or during its deprecation period the
// legacy format; see internal/visitortoken): the conversation starts as
// that authenticated user. Without it (or with an empty secret), and
// without WithVisitorTokens, a user_token is refused with 401 and only
// anonymous conversations start. Demo mode signs its tokens with secret.
func WithVisitorTokenSecret(secret []byte) Option {
	return func(s *Server) {
		if len(secret) > 0 {
			s.visitorSecret = secret
			if s.tokens == nil {
				s.tokens = secretVerifier(secret)
			}
		}
	}
}

// route is one endpoint the server registers.
type route struct {
	method, pattern string // pattern is a ServeMux path pattern
	handler         http.HandlerFunc
}

// routes is the one list of the server's endpoints: New registers them,
// Routes reports them, and a test checks that /openapi.json documents
// exactly these.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/{$}", s.index},
		{"GET", "/healthz", s.healthz},
		{"GET", "/readyz", s.ready},
		{"GET", "/metrics", s.scrape.ServeHTTP},
		{"GET", "/openapi.json", s.openAPI},
		{"POST", "/v1/conversations", s.startConversation},
		{"POST", "/v1/conversations/{id}/messages", s.postMessage},
		{"GET", "/v1/conversations/{id}/messages", s.listMessages},
		{"GET", "/v1/conversations/{id}/events", s.conversationEvents},
		{"GET", "/v1/widget", s.widgetInfo},
		{"GET", "/v1/demo", s.demoInfo},
		{"POST", "/v1/demo/visitor-token", s.demoVisitorToken},

		{"GET", "/v1/me", s.require(RoleAgent, "me.get", s.me)},

		{"GET", "/v1/agent/queues", s.require(RoleAgent, "queue.overview", s.agentQueues)},
		{"GET", "/v1/agent/queues/{queue}", s.require(RoleAgent, "queue.list", s.agentQueue)},
		{"GET", "/v1/agent/conversations/{id}", s.require(RoleAgent, "conversation.view", s.agentViewConversation)},
		{"POST", "/v1/agent/queues/{queue}/take", s.require(RoleAgent, "queue.take", s.agentTake)},
		{"POST", "/v1/agent/conversations/{id}/messages", s.require(RoleAgent, "conversation.message", s.agentSay)},
		{"POST", "/v1/agent/conversations/{id}/disconnect", s.require(RoleAgent, "conversation.disconnect", s.agentDisconnect)},
		{"POST", "/v1/agent/conversations/{id}/block", s.require(RoleAgent, "conversation.block", s.agentBlock)},
		{"POST", "/v1/agent/conversations/{id}/warn", s.require(RoleAgent, "conversation.warn", s.agentWarn)},

		{"GET", "/v1/admin/blocks", s.require(RoleSupervisor, "block.list", s.adminListBlocks)},
		{"GET", "/v1/admin/blocks.csv", s.require(RoleSupervisor, "block.export", s.adminBlocksCSV)},
		{"GET", "/v1/admin/conversations.csv", s.require(RoleSupervisor, "conversation.export", s.adminConversationsCSV)},
		{"GET", "/v1/admin/conversations", s.require(RoleSupervisor, "conversation.list", s.adminListConversations)},
		{"GET", "/v1/admin/conversations/{id}", s.require(RoleSupervisor, "conversation.get", s.adminGetConversation)},
		{"GET", "/v1/admin/conversations/{id}/strikes", s.require(RoleSupervisor, "strikes.get", s.adminConversationStrikes)},
		{"POST", "/v1/admin/conversations/{id}/strikes/clear", s.require(RoleSupervisor, "strikes.clear", s.adminClearStrikes)},
		{"POST", "/v1/admin/conversations/{id}/release", s.require(RoleSupervisor, "conversation.release", s.adminRelease)},
		{"GET", "/v1/admin/moderation/rules", s.require(RoleSupervisor, "moderation.rules", s.adminModerationRules)},
		{"POST", "/v1/admin/moderation/rules/{rule}/mode", s.require(RoleAdmin, "moderation.rule_mode", s.adminRuleMode)},
		{"GET", "/v1/admin/blocks/search", s.require(RoleSupervisor, "block.search", s.adminSearchBlocks)},
		{"GET", "/v1/admin/blocks/{id}", s.require(RoleSupervisor, "block.get", s.adminGetBlock)},
		{"POST", "/v1/admin/blocks", s.require(RoleSupervisor, "block.create", s.adminCreateBlock)},
		{"POST", "/v1/admin/blocks/{id}/renew", s.require(RoleSupervisor, "block.renew", s.adminRenewBlock)},
		{"PATCH", "/v1/admin/blocks/{id}", s.require(RoleSupervisor, "block.edit", s.adminEditBlock)},
		{"POST", "/v1/admin/blocks/{id}/lift", s.require(RoleSupervisor, "block.lift", s.adminLiftBlock)},
		{"POST", "/v1/admin/users/{id}/unblock", s.require(RoleSupervisor, "user.unblock", s.adminUnblockUser)},
		{"GET", "/v1/admin/users/{id}", s.require(RoleSupervisor, "user.get", s.adminGetUser)},
		{"GET", "/v1/admin/audit", s.require(RoleSupervisor, "audit.list", s.adminAudit)},
		{"POST", "/v1/admin/flows/reload", s.require(RoleAdmin, "flows.reload", s.adminReloadFlows)},
		{"GET", "/v1/admin/accounts", s.require(RoleAdmin, "account.list", s.adminListAccounts)},
		{"POST", "/v1/admin/accounts", s.require(RoleAdmin, "account.create", s.adminCreateAccount)},
		{"DELETE", "/v1/admin/accounts/{id}", s.require(RoleAdmin, "account.revoke", s.adminRevokeAccount)},
		{"GET", "/v1/admin/webhooks", s.require(RoleAdmin, "webhook.list", s.adminListWebhooks)},
		{"POST", "/v1/admin/webhooks", s.require(RoleAdmin, "webhook.create", s.adminCreateWebhook)},
		{"PATCH", "/v1/admin/webhooks/{id}", s.require(RoleAdmin, "webhook.update", s.adminUpdateWebhook)},
		{"DELETE", "/v1/admin/webhooks/{id}", s.require(RoleAdmin, "webhook.delete", s.adminDeleteWebhook)},
		{"GET", "/v1/admin/webhooks/{id}/deliveries", s.require(RoleAdmin, "webhook.deliveries", s.adminWebhookDeliveries)},
		{"POST", "/v1/admin/webhooks/{id}/deliveries/{webhook_id}/resend", s.require(RoleAdmin, "webhook.resend", s.adminResendWebhook)},
	}
}

// New returns a server for a; trusted are the reverse proxies whose
// X-Forwarded-For is believed.
func New(a *app.App, trusted []netip.Prefix, opts ...Option) *Server {
	s := &Server{app: a, log: a.Logger.Named("http"), trusted: trusted, mux: http.NewServeMux(),
		eventPoll: defaultEventPoll, blockedText: defaultBlockedText, widget: WidgetOptions{Languages: []string{"en"}}, closing: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	if s.metrics == nil {
		s.metrics = metrics.New(s.log)
	}
	s.scrape = s.metrics.Handler()
	s.metrics.WatchQueues(a.Store, s.queueNames)
	s.metrics.WatchAudit(a.Store)
	s.metrics.WatchStore(a.Store)
	for _, rt := range s.routes() {
		s.mux.HandleFunc(rt.method+" "+rt.pattern, rt.handler)
	}
	// The browser pages are not API routes: they are not in routes() nor
	// in the OpenAPI document.
	ui := web.Handler(web.Options{FrameAncestors: s.widget.AllowedOrigins, LogoURL: s.widget.LogoURL})
	for _, p := range web.Paths() {
		s.mux.Handle("GET "+p, ui)
	}
	s.mux.Handle("GET /static/", ui)
	return s
}

// Routes returns "METHOD /path" for every registered endpoint, with paths
// as OpenAPI writes them ("/{$}" is "/").
func (s *Server) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+openAPIPath(rt.pattern))
	}
	return out
}

// CloseStreams ends every open event stream of the server, and every
// stream opened after it, with a final "reconnect" event (and an SSE
// retry hint) that tells the client to connect again — to another
// instance, or to this one once it is back. Register it with
// http.Server.RegisterOnShutdown: Shutdown waits for active connections,
// and a stream is one until it ends. Safe to call more than once.
func (s *Server) CloseStreams() { s.closeOnce.Do(func() { close(s.closing) }) }

// Metrics returns the instruments the server counts on.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// openAPIPath turns a ServeMux path pattern into an OpenAPI path.
func openAPIPath(p string) string { return strings.TrimSuffix(p, "{$}") }

// queueNames are the queues reported by chatflow_queue_length: "default"
// and every literal Queue of a ConnectToHelpdeskAgent step of the loaded
// flows. A queue named by an expression is not known before it is used.
func (s *Server) queueNames() []string {
	names := []string{"default"}
	for _, f := range s.app.Executor.Flows().Flows() {
		for _, st := range f.Steps {
			if st.Action != "ConnectToHelpdeskAgent" || st.Params == nil {
				continue
			}
			if q, ok := st.Params.Prepared["Queue"].(string); ok && !slices.Contains(names, q) {
				names = append(names, q)
			}
		}
	}
	// Queues with working hours of their own are known by the configuration.
	for _, q := range s.app.Hours.Queues() {
		if !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	return names
}

// openAPIDoc is the hand-written OpenAPI 3.1 document of the routes
// (read-only; go:embed needs a package-level variable).
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, `chatflow is running.

  /chat    the visitor chat        /agent   the agent console        /admin   the admin portal

  POST /v1/conversations                 {"channel": "live_chat", "user_token"?} -> {"id", "replies"}
  POST /v1/conversations/{id}/messages   {"text": "...", "idempotency_key": "..."} -> {"replies"}
  GET  /v1/conversations/{id}/messages                                           -> {"messages": [{"at", "from", "text"}]}
  GET  /v1/conversations/{id}/events                                             -> text/event-stream (state, message)
  GET  /healthz, /readyz, /metrics, /openapi.json (the staff APIs under /v1/agent and /v1/admin are described there)
`)
}

// readyProbeID is the conversation /readyz reads (it never exists).
const readyProbeID = "readyz-probe"

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	// A store that reports its parts (a Redis Cluster) is ready while one
	// shard is out: the other shards' turns are served, and pulling every
	// instance out of service would fail them all.
	if hr, ok := s.app.Store.(contextstore.HealthReporter); ok {
		switch h := hr.Health(ctx); h.Status {
		case contextstore.HealthDown:
			problem(w, http.StatusServiceUnavailable, "store unreachable", h.Reason)
		case contextstore.HealthDegraded:
			writeJSON(w, 200, map[string]any{"status": "degraded", "store": h})
		default:
			writeJSON(w, 200, map[string]string{"status": "ready"})
		}
		return
	}
	if err := s.app.Store.Ping(ctx); err != nil {
		noteCause(r, err)
		problem(w, http.StatusServiceUnavailable, "store unreachable", err.Error())
		return
	}
	// A ping proves little: a standalone client on a Cluster node, a
	// read-only replica or a wrong ACL answers PING but fails every turn.
	// Read a conversation key in the store's namespace, as a turn does.
	if _, err := s.app.Store.GetConversation(ctx, readyProbeID); err != nil && !errors.Is(err, contextstore.ErrNotFound) {
		err = fmt.Errorf("reading a conversation as a turn does: %w", err)
		noteCause(r, err)
		problem(w, http.StatusServiceUnavailable, "store cannot serve turns", err.Error())
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

type turnReply struct {
	ID        string   `json:"id"`
	Replies   []string `json:"replies"`
	Waiting   bool     `json:"waiting_for_input"`
	Duplicate bool     `json:"duplicate,omitempty"`
}

func (s *Server) startConversation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Channel   string `json:"channel"`
		UserToken string `json:"user_token"`
		Lang      string `json:"lang"`
	}
	if r.ContentLength != 0 {
		if !decode(w, r, &req) {
			return
		}
	}
	if !validLang(req.Lang) {
		problem(w, http.StatusUnprocessableEntity, "invalid language", "lang: not a language tag such as en, de or pt-BR")
		return
	}
	// The channel is free text from the visitor, stored in the context
	// and matched by blocks: only the known channels are accepted.
	if req.Channel != "" && !slices.Contains(blocking.Channels(), req.Channel) {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid channel", []fieldError{{"channel", "unknown channel: one of " + strings.Join(blocking.Channels(), ", ")}})
		return
	}
	var user *contextstore.ChatUser
	if req.UserToken != "" {
		var ok bool
		if user, ok = s.visitor(r.Context(), w, req.UserToken); !ok {
			return
		}
	}
	id := newID()
	if user == nil && s.checkStart(w, r, id) {
		return
	}
	ev := flows.Event{Type: flows.EventStart, ConversationID: id, Channel: req.Channel, VisitorIP: s.clientIP(r), User: user, Language: req.Lang}
	res, err := s.turn(r.Context(), ev)
	if err != nil {
		s.turnError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, turnReply{ID: id, Replies: nonNil(res.Replies), Waiting: res.Waiting})
}

// visitor verifies a user token and returns the authenticated user it
// names, or answers 401 and returns false. The answer says whether the
// token expired (the host should sign a fresh one) but never why another
// token was refused.
func (s *Server) visitor(ctx context.Context, w http.ResponseWriter, token string) (*contextstore.ChatUser, bool) {
	if s.tokens == nil {
		problem(w, http.StatusUnauthorized, "user tokens not accepted", "this server has no visitor token key; start the conversation without user_token")
		return nil, false
	}
	c, err := s.tokens.Verify(ctx, token, s.app.Clock())
	switch {
	case errors.Is(err, visitortoken.ErrExpired):
		problem(w, http.StatusUnauthorized, "invalid user token", "user_token: expired; the host site must sign a fresh one")
		return nil, false
	case err != nil:
		if ce := s.log.Check(zap.DebugLevel, "user token refused"); ce != nil {
			ce.Write(zap.String("request_id", RequestID(ctx)), zap.Error(err))
		}
		problem(w, http.StatusUnauthorized, "invalid user token", "user_token: not a valid token signed by the host site")
		return nil, false
	}
	if c.Legacy {
		s.log.Warn("deprecated visitor token format: the host should sign a JWT (see the README, Putting the chat on your site)",
			zap.String("request_id", RequestID(ctx)))
	}
	return &contextstore.ChatUser{UserID: c.Subject, Name: c.Name, Email: c.Email, IsAuthenticated: true}, true
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text           string `json:"text"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Text == "" {
		problem(w, http.StatusUnprocessableEntity, "invalid message", "text: must not be empty")
		return
	}
	id := r.PathValue("id")
	key := req.IdempotencyKey
	if key == "" {
		key = r.Header.Get("Idempotency-Key")
	}
	// One store read per turn: the executor's own read reports an
	// unknown conversation.
	res, err := s.turn(r.Context(), flows.Event{Type: flows.EventMessage, ConversationID: id, Text: req.Text, Key: key, VisitorIP: s.clientIP(r), MustExist: true})
	if errors.Is(err, flows.ErrNoConversation) {
		problem(w, http.StatusNotFound, "no such conversation", fmt.Sprintf("conversation %q does not exist; start one with POST /v1/conversations", id))
		return
	}
	if err != nil {
		s.turnError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, turnReply{ID: id, Replies: nonNil(res.Replies), Waiting: res.Waiting, Duplicate: res.Duplicate})
}

type message struct {
	At   string `json:"at"`
	From string `json:"from"`
	Text string `json:"text"`
	// Held marks a message a hold rule keeps from the agent (staff views).
	Held bool `json:"held,omitempty"`
}

// listMessages returns the conversation's recent transcript — the user's,
// the bot's and the agent's messages — so a visitor sees what the agent
// wrote. GET /v1/conversations/{id}/events pushes the agent's messages.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	out := make([]message, 0, len(c.Transcript))
	for _, m := range c.Transcript {
		if m.From == contextstore.FromSystem || m.From == contextstore.FromStaff {
			continue // staff-only lines
		}
		out = append(out, message{At: m.At.UTC().Format(time.RFC3339Nano), From: m.From, Text: m.Text})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "messages": out})
}

// turn runs one turn and counts it.
func (s *Server) turn(ctx context.Context, ev flows.Event) (*flows.TurnResult, error) {
	start := time.Now()
	res, err := s.app.Executor.Handle(ctx, ev)
	took := time.Since(start)
	if errors.Is(err, flows.ErrNoConversation) {
		return res, err // no turn ran: the conversation does not exist
	}
	outcome := metrics.TurnOutcome(res, err)
	s.metrics.ObserveTurn(ev.Type, outcome, took)
	if ce := s.log.Check(zap.DebugLevel, "turn"); ce != nil {
		n := 0
		if res != nil {
			n = len(res.Replies)
		}
		ce.Write(zap.String("request_id", RequestID(ctx)), zap.String("event", string(ev.Type)),
			zap.String("conversation", ev.ConversationID), zap.String("outcome", outcome),
			zap.Int("replies", n), zap.Duration("took", took))
	}
	return res, err
}

func (s *Server) turnError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case limited(w, err):
	case errors.Is(err, flows.ErrConversationEnded):
		problem(w, http.StatusConflict, "conversation ended", "this conversation has ended; start a new one")
	case errors.Is(err, contextstore.ErrUnavailable):
		noteCause(r, err)
		problem(w, http.StatusServiceUnavailable, "store unavailable", "please retry")
	default:
		// Flow errors may name internal details: log them, answer neutrally.
		noteCause(r, err)
		problem(w, http.StatusInternalServerError, "turn failed", "the bot could not answer; please retry")
	}
}

func (s *Server) clientIP(r *http.Request) string {
	if a := ipban.ClientIP(r.RemoteAddr, r.Header, s.trusted); a.IsValid() {
		return a.String()
	}
	return ""
}

// decode reads the request body into v, strictly: exactly one JSON value
// (whitespace around it is fine), no field that v does not have, at most
// maxBody bytes (ServeHTTP limits the body). Anything else is answered
// here — 400 (invalid JSON, an unknown field, trailing data after the
// value) or 413 (too large) problem+json — and decode returns false. Every
// JSON body of the server is read through decode.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		// A second value, or garbage after the first, is an error too: a
		// body is one JSON value, not a stream of them.
		var extra json.RawMessage
		switch err = d.Decode(&extra); {
		case errors.Is(err, io.EOF):
			return true
		case err == nil:
			err = errors.New("trailing data after the JSON value: the body must be exactly one JSON value")
		default:
			if _, ok := errors.AsType[*http.MaxBytesError](err); !ok {
				err = fmt.Errorf("trailing data after the JSON value: %w", err)
			}
		}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		problem(w, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("the request body must not exceed %d bytes", maxBody))
		return false
	}
	problem(w, http.StatusBadRequest, "invalid JSON body", err.Error())
	return false
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
