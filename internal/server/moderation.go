package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/moderation"
)

// limited answers 429 problem+json with Retry-After (whole seconds) when
// err is a rate limit's refusal, and reports whether it did. The detail is
// neutral: it says to slow down, never which limit or what counts.
func limited(w http.ResponseWriter, err error) bool {
	le, ok := errors.AsType[*moderation.LimitError](err)
	if !ok {
		return false
	}
	secs := le.RetryAfterSeconds()
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	problem(w, http.StatusTooManyRequests, "too many requests", fmt.Sprintf("please slow down and try again in %d seconds", secs))
	return true
}

// staffLimited applies the staff limit (per account) and, on a route of one
// conversation under /v1/agent, the agent request limit (per
// conversation); it answers 429 and returns true when one refuses.
func (s *Server) staffLimited(w http.ResponseWriter, r *http.Request, p Principal) bool {
	m := s.app.Moderation
	if m.Off() {
		return false
	}
	if limited(w, m.Allow(r.Context(), moderation.LimitStaff, "staff:"+p.ID)) {
		return true
	}
	if id := r.PathValue("id"); id != "" && r.Method == http.MethodPost && len(r.URL.Path) > 10 && r.URL.Path[:10] == "/v1/agent/" {
		return limited(w, m.Allow(r.Context(), moderation.LimitAgentRequests, moderation.ConversationSubject(id)))
	}
	return false
}

// checkStart applies the new-conversations limit to an anonymous start.
func (s *Server) checkStart(w http.ResponseWriter, r *http.Request, id string) bool {
	err := s.app.Moderation.CheckStart(r.Context(), s.clientIP(r), "start:"+id)
	return limited(w, err)
}

// agentWarn is an agent's warning to the visitor of a chat they hold: the
// bot says the warning (the configured one, or the agent's text) and the
// visitor gets a strike, which may complete an offence on the ladder (an
// automatic block, actor automod:agent-warning). Idempotency-Key makes a
// retry strike once.
func (s *Server) agentWarn(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		Text string `json:"text"`
	}
	if r.ContentLength != 0 && !decode(w, r, &req) {
		return
	}
	if len(req.Text) > 2000 {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid warning", []fieldError{{"text", "longer than 2000 bytes"}})
		return
	}
	c, ok := s.agentConversation(w, r, p, "conversation.warn")
	if !ok {
		return
	}
	cause := idempotencyKey(r, "warn")
	if cause == "" {
		cause = "warn:" + rand.Text()
	}
	cause = c.ID + "/" + cause
	var out moderation.Outcome
	res, err := s.app.Executor.Update(r.Context(), c.ID, func(ctx context.Context, t *flows.Turn) error {
		var err error
		out, err = s.app.Moderation.Warn(ctx, moderation.Message{Conversation: t.Conversation, Text: req.Text, Cause: cause, Now: t.Now,
			Reply: t.Reply, Silence: t.Silence}, staffActor(p))
		return err
	})
	if err != nil {
		s.turnError(w, r, err)
		return
	}
	body := map[string]any{"id": c.ID, "warned": true, "blocked": out.Sanction != nil}
	if out.Sanction != nil {
		body["block_id"] = out.Sanction.ID
	}
	_ = res
	writeJSON(w, http.StatusOK, body)
}

// strikesJSON is one strike as the portal shows it.
type strikeJSON struct {
	At             string            `json:"at"`
	Kind           string            `json:"kind"`
	Rule           string            `json:"rule"`
	ConversationID string            `json:"conversation_id,omitempty"`
	Details        map[string]string `json:"details,omitempty"`
}

func strikesOut(list []*contextstore.Strike) []strikeJSON {
	out := make([]strikeJSON, 0, len(list))
	for _, st := range list {
		out = append(out, strikeJSON{At: utcText(st.At), Kind: st.Kind, Rule: st.Rule, ConversationID: st.ConversationID, Details: st.Details})
	}
	return out
}

// subjectJSON is a subject's standing, strikes and offences. The subject
// of an anonymous visitor is a keyed hash of their address, never the
// address.
type subjectJSON struct {
	Subject  string       `json:"subject"`
	Strikes  int          `json:"strikes"`
	Recent   int          `json:"recent"`
	Offences int          `json:"offences"`
	Next     string       `json:"next_period"`
	History  []strikeJSON `json:"history"`
	Ladder   []strikeJSON `json:"sanctions"`
}

func (s *Server) subjectOut(ctx context.Context, subject string) (subjectJSON, error) {
	st, err := s.app.Moderation.Strikes(ctx, subject)
	if err != nil {
		return subjectJSON{}, err
	}
	return subjectJSON{Subject: subject, Strikes: st.Standing.Strikes, Recent: st.Standing.Recent, Offences: st.Standing.Offences,
		Next: st.Standing.Next.String(), History: strikesOut(st.Strikes), Ladder: strikesOut(st.Offences)}, nil
}

// adminConversationStrikes answers the strikes of a conversation's
// subjects: the visitor (user or keyed IP hash) and the conversation.
func (s *Server) adminConversationStrikes(w http.ResponseWriter, r *http.Request, _ Principal) {
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	out := []subjectJSON{}
	for _, sub := range s.app.Moderation.Subjects(c) {
		js, err := s.subjectOut(r.Context(), sub)
		if err != nil {
			s.serviceError(w, r, "strikes", err)
			return
		}
		out = append(out, js)
	}
	l := s.app.Moderation.Ladder()
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "subjects": out,
		"ladder": map[string]any{"strikes": l.Strikes, "window": time.Duration(l.Window).String(), "periods": l.Periods, "decay": time.Duration(l.Decay).String()}})
}

// adminClearStrikes forgets the strikes of a conversation's subjects (all,
// or the one named by "subject"), audited as automod.strikes.clear.
func (s *Server) adminClearStrikes(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		Subject string `json:"subject"`
		Notes   string `json:"notes"`
	}
	if r.ContentLength != 0 && !decode(w, r, &req) {
		return
	}
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	subjects := s.app.Moderation.Subjects(c)
	if req.Subject != "" {
		found := false
		for _, sub := range subjects {
			found = found || sub == req.Subject
		}
		if !found {
			fieldProblem(w, http.StatusUnprocessableEntity, "invalid subject", []fieldError{{"subject", "not a subject of this conversation"}})
			return
		}
		subjects = []string{req.Subject}
	}
	total := 0
	for _, sub := range subjects {
		n, err := s.app.Moderation.ClearStrikes(r.Context(), sub, staffActor(p), req.Notes)
		if err != nil {
			s.serviceError(w, r, "strikes", err)
			return
		}
		total += n
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "cleared": total})
}

// adminRelease releases a conversation's held messages: the agent sees
// them from now on. Audited as automod.release.
func (s *Server) adminRelease(w http.ResponseWriter, r *http.Request, p Principal) {
	c, ok := s.pathConversation(w, r)
	if !ok {
		return
	}
	released := 0
	_, err := s.app.Executor.Update(r.Context(), c.ID, func(_ context.Context, t *flows.Turn) error {
		released = 0
		for i := range t.Conversation.Transcript {
			if t.Conversation.Transcript[i].Held {
				t.Conversation.Transcript[i].Held = false
				released++
			}
		}
		if released == 0 {
			return flows.ErrUnchanged
		}
		t.Note(fmt.Sprintf("%d held message(s) released by %s", released, staffActor(p)))
		return nil
	})
	if err != nil {
		s.turnError(w, r, err)
		return
	}
	if released > 0 {
		if err := s.app.Store.AppendAudit(r.Context(), &contextstore.AuditEvent{At: s.app.Clock().UTC(), Actor: staffActor(p), Action: moderation.AuditRelease,
			Details: map[string]string{"messages": strconv.Itoa(released)}}); err != nil {
			noteCause(r, err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "released": released})
}

// ruleJSON is a rule with its last 7 days of hits.
type ruleJSON struct {
	ID         string       `json:"id"`
	Action     string       `json:"action"`
	Shadow     bool         `json:"shadow"`
	Words      int          `json:"words"`
	Patterns   int          `json:"patterns"`
	Category   string       `json:"reason_category"`
	Period     string       `json:"period,omitempty"`
	Enforced   int          `json:"hits_enforced"`
	Shadowed   int          `json:"hits_shadow"`
	RecentHits []strikeJSON `json:"recent_hits"`
}

// adminModerationRules lists the rules with their hits over the last 7
// days and the most recent hits (with their conversation).
func (s *Server) adminModerationRules(w http.ResponseWriter, r *http.Request, _ Principal) {
	m := s.app.Moderation
	if err := m.RefreshModes(r.Context()); err != nil {
		s.serviceError(w, r, "moderation", err)
		return
	}
	stats, err := m.Rules(r.Context(), s.app.Clock().Add(-7*24*time.Hour), 20)
	if err != nil {
		s.serviceError(w, r, "moderation", err)
		return
	}
	out := make([]ruleJSON, 0, len(stats))
	for _, st := range stats {
		out = append(out, ruleJSON{ID: st.Rule.ID, Action: st.Rule.Action, Shadow: st.Shadow, Words: len(st.Rule.Words), Patterns: len(st.Rule.Patterns),
			Category: st.Rule.Category(), Period: st.Rule.Period, Enforced: st.Enforced, Shadowed: st.Shadowed, RecentHits: strikesOut(st.Hits)})
	}
	limits := map[string]string{}
	for name, l := range m.Limits() {
		limits[name] = fmt.Sprintf("%d per %s (burst %d)", l.Rate, l.Period, l.Burst)
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": out, "limits": limits, "off": m.Off()})
}

// adminRuleMode switches a rule between shadow and enforce (admins only;
// audited as automod.rule.mode, read back by every instance).
func (s *Server) adminRuleMode(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		Shadow *bool `json:"shadow"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Shadow == nil {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid mode", []fieldError{{"shadow", "required: true (record only) or false (enforce)"}})
		return
	}
	id := r.PathValue("rule")
	err := s.app.Moderation.SetShadow(r.Context(), id, *req.Shadow, staffActor(p))
	if errors.Is(err, moderation.ErrUnknownRule) {
		problem(w, http.StatusNotFound, "no such rule", fmt.Sprintf("rule %q is not configured", id))
		return
	}
	if err != nil {
		s.serviceError(w, r, "moderation", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "shadow": *req.Shadow})
}
