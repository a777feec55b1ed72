// Package server is chatflow's HTTP front door. This first cut serves the
// visitor channel API (start a conversation, post a message with an
// idempotency key, read the bot's replies) plus health and readiness
// probes; errors are RFC 9457 problem+json, times UTC RFC 3339. The visitor
// IP comes from the connection, or from X-Forwarded-For only behind
// configured trusted proxies. Block reasons never appear in any response:
// the bot's replies are the flows' neutral texts.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/ipban"
)

// maxBody is the largest request body accepted (64 KiB).
const maxBody = 64 << 10

// Server serves the HTTP API of one App.
type Server struct {
	app     *app.App
	log     *zap.Logger
	trusted []netip.Prefix
	mux     *http.ServeMux
}

// New returns a server for a; trusted are the reverse proxies whose
// X-Forwarded-For is believed.
func New(a *app.App, trusted []netip.Prefix) *Server {
	s := &Server{app: a, log: a.Logger.Named("http"), trusted: trusted, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("POST /v1/conversations", s.startConversation)
	s.mux.HandleFunc("POST /v1/conversations/{id}/messages", s.postMessage)
	s.mux.HandleFunc("GET /v1/conversations/{id}/messages", s.listMessages)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	s.mux.ServeHTTP(w, r)
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, `chatflow is running.

  POST /v1/conversations                 {"channel": "live_chat"}                -> {"id", "replies"}
  POST /v1/conversations/{id}/messages   {"text": "...", "idempotency_key": "..."} -> {"replies"}
  GET  /v1/conversations/{id}/messages                                           -> {"messages": [{"at", "from", "text"}]}
  GET  /healthz, /readyz
`)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.app.Store.Ping(ctx); err != nil {
		problem(w, http.StatusServiceUnavailable, "store unreachable", err.Error())
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
		Channel string `json:"channel"`
	}
	if r.ContentLength != 0 {
		if !decode(w, r, &req) {
			return
		}
	}
	id := newID()
	ev := flows.Event{Type: flows.EventStart, ConversationID: id, Channel: req.Channel, VisitorIP: s.clientIP(r)}
	res, err := s.app.Executor.Handle(r.Context(), ev)
	if err != nil {
		s.turnError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, turnReply{ID: id, Replies: nonNil(res.Replies), Waiting: res.Waiting})
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
	if _, err := s.app.Store.GetConversation(r.Context(), id); errors.Is(err, contextstore.ErrNotFound) {
		problem(w, http.StatusNotFound, "no such conversation", fmt.Sprintf("conversation %q does not exist; start one with POST /v1/conversations", id))
		return
	}
	key := req.IdempotencyKey
	if key == "" {
		key = r.Header.Get("Idempotency-Key")
	}
	res, err := s.app.Executor.Handle(r.Context(), flows.Event{Type: flows.EventMessage, ConversationID: id, Text: req.Text, Key: key, VisitorIP: s.clientIP(r)})
	if err != nil {
		s.turnError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, turnReply{ID: id, Replies: nonNil(res.Replies), Waiting: res.Waiting, Duplicate: res.Duplicate})
}

type message struct {
	At   string `json:"at"`
	From string `json:"from"`
	Text string `json:"text"`
}

// listMessages returns the conversation's recent transcript — the user's,
// the bot's and the agent's messages — so a visitor sees what the agent
// wrote. (A push stream is for a later release.)
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.app.Store.GetConversation(r.Context(), id)
	if errors.Is(err, contextstore.ErrNotFound) {
		problem(w, http.StatusNotFound, "no such conversation", fmt.Sprintf("conversation %q does not exist", id))
		return
	}
	if err != nil {
		s.turnError(w, err)
		return
	}
	out := make([]message, 0, len(c.Transcript))
	for _, m := range c.Transcript {
		if m.From == "system" {
			continue
		}
		out = append(out, message{At: m.At.UTC().Format(time.RFC3339Nano), From: m.From, Text: m.Text})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "messages": out})
}

func (s *Server) turnError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, flows.ErrConversationEnded):
		problem(w, http.StatusConflict, "conversation ended", "this conversation has ended; start a new one")
	case errors.Is(err, contextstore.ErrUnavailable):
		problem(w, http.StatusServiceUnavailable, "store unavailable", "please retry")
	default:
		// Flow errors may name internal details: log them, answer neutrally.
		s.log.Error("turn failed", zap.Error(err))
		problem(w, http.StatusInternalServerError, "turn failed", "the bot could not answer; please retry")
	}
}

func (s *Server) clientIP(r *http.Request) string {
	if a := ipban.ClientIP(r.RemoteAddr, r.Header, s.trusted); a.IsValid() {
		return a.String()
	}
	return ""
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			problem(w, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("the request body must not exceed %d bytes", maxBody))
			return false
		}
		problem(w, http.StatusBadRequest, "invalid JSON body", err.Error())
		return false
	}
	return true
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
