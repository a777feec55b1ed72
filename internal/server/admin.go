package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
)

// Page sizes of the admin lists.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// blockJSON is a block as the admin API shows it. Times are UTC RFC 3339;
// until is null for a permanent block.
type blockJSON struct {
	ID              string   `json:"id"`
	Kind            string   `json:"kind"`
	Status          string   `json:"status"`
	UserID          string   `json:"user_id,omitempty"`
	ConversationID  string   `json:"conversation_id,omitempty"`
	IP              string   `json:"ip,omitempty"`
	Range           string   `json:"range,omitempty"`
	Allow           bool     `json:"allow"`
	Channels        []string `json:"channels"`
	ReasonCategory  string   `json:"reason_category,omitempty"`
	Reason          string   `json:"reason,omitempty"`
	Notes           string   `json:"notes,omitempty"`
	CreatedAt       string   `json:"created_at"`
	CreatedBy       string   `json:"created_by,omitempty"`
	Until           *string  `json:"until"`
	TimeLeftSeconds *int64   `json:"time_left_seconds,omitempty"`
	EndedAt         *string  `json:"ended_at,omitempty"`
	LiftedAt        *string  `json:"lifted_at,omitempty"`
	LiftedBy        string   `json:"lifted_by,omitempty"`
	LiftNotes       string   `json:"lift_notes,omitempty"`
	HitCount        int64    `json:"hit_count"`
	Purged          bool     `json:"purged"`
}

func timeText(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func blockOut(v *blocking.View) blockJSON {
	b := v.Block
	out := blockJSON{
		ID: b.ID, Kind: string(b.Kind), Status: string(v.Status), UserID: b.UserID, ConversationID: b.ConversationID,
		IP: v.IP, Range: b.Range, Allow: b.Allow, Channels: nonNil(b.Channels), ReasonCategory: b.ReasonCategory,
		Reason: b.Reason, Notes: b.Notes, CreatedAt: b.CreatedAt.UTC().Format(time.RFC3339), CreatedBy: b.CreatedBy,
		Until: timeText(b.Until), EndedAt: timeText(v.EndedAt), LiftedAt: timeText(b.LiftedAt),
		LiftedBy: b.LiftedBy, LiftNotes: b.LiftNotes, HitCount: b.HitCount, Purged: b.Purged,
	}
	if v.TimeLeft != nil {
		secs := int64(*v.TimeLeft / time.Second)
		out.TimeLeftSeconds = &secs
	}
	return out
}

func blocksOut(vs []*blocking.View) []blockJSON {
	out := make([]blockJSON, len(vs))
	for i, v := range vs {
		out[i] = blockOut(v)
	}
	return out
}

// queryParams reads the query string, refusing unknown parameters so a
// misspelt filter is not silently ignored.
type queryParams struct {
	v    url.Values
	errs []fieldError
}

func newQueryParams(r *http.Request, known ...string) *queryParams {
	q := &queryParams{v: r.URL.Query()}
	for k := range q.v {
		if !slices.Contains(known, k) {
			q.errs = append(q.errs, fieldError{k, "unknown query parameter; use one of " + strings.Join(known, ", ")})
		}
	}
	slices.SortFunc(q.errs, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
	return q
}

func (q *queryParams) str(name string) string { return strings.TrimSpace(q.v.Get(name)) }

func (q *queryParams) oneOf(name string, allowed ...string) string {
	s := q.str(name)
	if s != "" && !slices.Contains(allowed, s) {
		q.errs = append(q.errs, fieldError{name, fmt.Sprintf("%q is not one of %s", s, strings.Join(allowed, ", "))})
	}
	return s
}

func (q *queryParams) at(name string) time.Time {
	s := q.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		q.errs = append(q.errs, fieldError{name, fmt.Sprintf("%q is not an RFC 3339 time such as 2026-01-05T10:00:00Z", s)})
	}
	return t
}

func (q *queryParams) limit() int {
	s := q.str("limit")
	if s == "" {
		return defaultLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		q.errs = append(q.errs, fieldError{"limit", fmt.Sprintf("%q is not a number in 1..%d", s, maxLimit)})
	}
	return n
}

// answered writes the 400 for bad query parameters and reports whether it did.
func (q *queryParams) answered(w http.ResponseWriter) bool {
	if len(q.errs) == 0 {
		return false
	}
	fieldProblem(w, http.StatusBadRequest, "invalid query", q.errs)
	return true
}

// blockFilterParams returns the filters of the block list and its CSV export.
func blockFilterParams() []string {
	return []string{"status", "reason_category", "created_from", "created_to", "created_by", "channel", "kind"}
}

func blockQuery(q *queryParams) contextstore.BlockQuery {
	bq := contextstore.BlockQuery{
		Status:         contextstore.BlockStatus(q.oneOf("status", "active", "ended")),
		ReasonCategory: q.oneOf("reason_category", blocking.Categories()...),
		CreatedFrom:    q.at("created_from"),
		CreatedTo:      q.at("created_to"),
		CreatedBy:      q.str("created_by"),
		Channel:        q.oneOf("channel", blocking.Channels()...),
	}
	if k := q.oneOf("kind", "user", "conversation", "ip", "range"); k != "" {
		bq.Kinds = []contextstore.BlockKind{contextstore.BlockKind(k)}
	}
	return bq
}

func (s *Server) adminListBlocks(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := newQueryParams(r, append(blockFilterParams(), "limit", "after")...)
	bq := blockQuery(q)
	limit := q.limit()
	if q.answered(w) {
		return
	}
	bq.Limit, bq.After = limit+1, q.str("after")
	list, err := s.app.Blocking.List(r.Context(), bq)
	if err != nil {
		s.serviceError(w, r, "block", err)
		return
	}
	out := map[string]any{}
	if len(list) > limit {
		list = list[:limit]
		out["next"] = list[limit-1].Block.ID
	}
	out["blocks"] = blocksOut(list)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminSearchBlocks(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := newQueryParams(r, "q")
	term := q.str("q")
	if term == "" {
		q.errs = append(q.errs, fieldError{"q", "required: a user id, conversation id, block id, IP address or range"})
	}
	if q.answered(w) {
		return
	}
	list, err := s.app.Blocking.Search(r.Context(), term)
	if err != nil {
		s.serviceError(w, r, "block", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocks": blocksOut(list)})
}

func (s *Server) adminGetBlock(w http.ResponseWriter, r *http.Request, _ Principal) {
	v, err := s.app.Blocking.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.serviceError(w, r, "block", err)
		return
	}
	writeJSON(w, http.StatusOK, blockOut(v))
}

// createBlockRequest is an admin's new user, conversation, IP or range ban.
type createBlockRequest struct {
	Kind           string   `json:"kind"`
	UserID         string   `json:"user_id"`
	ConversationID string   `json:"conversation_id"`
	IP             string   `json:"ip"`
	Range          string   `json:"range"`
	Allow          bool     `json:"allow"`
	Channels       []string `json:"channels"`
	Period         string   `json:"period"`
	ReasonCategory string   `json:"reason_category"`
	Reason         string   `json:"reason"`
	Notes          string   `json:"notes"`
}

// periodProblems parses a period field, returning its problems.
func periodProblems(s string) (blocking.Period, []fieldError) {
	p, err := blocking.ParsePeriod(s)
	if ve, ok := errors.AsType[*blocking.ValidationError](err); ok {
		errs := make([]fieldError, len(ve.Problems))
		for i, fp := range ve.Problems {
			errs[i] = fieldError{fp.Field, fp.Message}
		}
		return p, errs
	}
	return p, nil
}

func (s *Server) adminCreateBlock(w http.ResponseWriter, r *http.Request, p Principal) {
	var req createBlockRequest
	if !decode(w, r, &req) {
		return
	}
	if (req.Kind == string(contextstore.KindRange) || strings.TrimSpace(req.Range) != "") && !p.Role.AtLeast(RoleAdmin) {
		s.deny(w, r, p, "block.create.range", RoleAdmin)
		return
	}
	per, errs := periodProblems(req.Period)
	nb := blocking.NewBlock{
		Kind: contextstore.BlockKind(req.Kind), UserID: req.UserID, ConversationID: req.ConversationID,
		IP: req.IP, Range: req.Range, Allow: req.Allow, Channels: req.Channels, Period: per,
		ReasonCategory: req.ReasonCategory, Reason: req.Reason, Notes: req.Notes, Actor: staffActor(p),
		Source: contextstore.SourceAdmin, Cause: idempotencyKey(r, "admin-block"),
	}
	if len(errs) > 0 {
		// Report the other fields' problems too: validate with a valid period.
		nb.Period = blocking.Period{Minutes: 1}
		if ve, ok := errors.AsType[*blocking.ValidationError](s.app.Blocking.Validate(r.Context(), nb)); ok {
			for _, fp := range ve.Problems {
				errs = append(errs, fieldError{fp.Field, fp.Message})
			}
		}
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid block", errs)
		return
	}
	o, err := s.app.Sanctions.Block(r.Context(), nb)
	if !s.stored(w, r, "block", o.Block, err) {
		return
	}
	status := http.StatusCreated
	if !o.Created {
		status = http.StatusOK // a retry with the same Idempotency-Key
	}
	s.writeBlock(w, r, status, o.Block.ID)
}

func (s *Server) writeBlock(w http.ResponseWriter, r *http.Request, status int, id string) {
	v, err := s.app.Blocking.Get(r.Context(), id)
	if err != nil {
		s.serviceError(w, r, "block", err)
		return
	}
	writeJSON(w, status, blockOut(v))
}

func (s *Server) adminRenewBlock(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		Period string `json:"period"`
		Notes  string `json:"notes"`
	}
	if !decode(w, r, &req) {
		return
	}
	per, errs := periodProblems(req.Period)
	if len(errs) > 0 {
		fieldProblem(w, http.StatusUnprocessableEntity, "invalid renewal", errs)
		return
	}
	b, err := s.app.Sanctions.Renew(r.Context(), r.PathValue("id"), per, staffActor(p), req.Notes)
	if !s.stored(w, r, "block", b, err) {
		return
	}
	s.writeBlock(w, r, http.StatusOK, b.ID)
}

func (s *Server) adminEditBlock(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		ReasonCategory *string   `json:"reason_category"`
		Reason         *string   `json:"reason"`
		Notes          *string   `json:"notes"`
		Channels       *[]string `json:"channels"`
		Until          *string   `json:"until"`
	}
	if !decode(w, r, &req) {
		return
	}
	e := blocking.Edit{ReasonCategory: req.ReasonCategory, Reason: req.Reason, Notes: req.Notes, Channels: req.Channels}
	if req.Until != nil {
		if *req.Until == "permanent" {
			e.Permanent = true
		} else {
			u, err := time.Parse(time.RFC3339, *req.Until)
			if err != nil {
				fieldProblem(w, http.StatusUnprocessableEntity, "invalid edit", []fieldError{{"until", fmt.Sprintf("%q is neither an RFC 3339 time nor \"permanent\"", *req.Until)}})
				return
			}
			e.Until = &u
		}
	}
	b, err := s.app.Sanctions.Edit(r.Context(), r.PathValue("id"), e, staffActor(p))
	if !s.stored(w, r, "block", b, err) {
		return
	}
	s.writeBlock(w, r, http.StatusOK, b.ID)
}

func (s *Server) adminLiftBlock(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		Notes string `json:"notes"`
	}
	if !decode(w, r, &req) {
		return
	}
	b, err := s.app.Sanctions.Lift(r.Context(), r.PathValue("id"), staffActor(p), req.Notes)
	if !s.stored(w, r, "block", b, err) {
		return
	}
	s.writeBlock(w, r, http.StatusOK, b.ID)
}

func (s *Server) adminUnblockUser(w http.ResponseWriter, r *http.Request, p Principal) {
	var req struct {
		Notes string `json:"notes"`
	}
	if !decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	n, err := s.app.Sanctions.UnblockUser(r.Context(), id, staffActor(p), req.Notes)
	if err != nil && !errors.Is(err, blocking.ErrIncomplete) {
		s.serviceError(w, r, "user", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user_id": id, "lifted": n})
}

// activityJSON is a user's ChatActivityData.
type activityJSON struct {
	LiveChatBlockedUntil       *string `json:"live_chat_blocked_until"`
	LiveChatBlockedReason      string  `json:"live_chat_blocked_reason"`
	LiveChatBlockedAt          *string `json:"live_chat_blocked_at"`
	LiveChatBlockedByAgentName string  `json:"live_chat_blocked_by_agent_name"`
}

func (s *Server) adminGetUser(w http.ResponseWriter, r *http.Request, _ Principal) {
	id := r.PathValue("id")
	list, err := s.app.Blocking.List(r.Context(), contextstore.BlockQuery{Kinds: []contextstore.BlockKind{contextstore.KindUser}, UserID: id})
	if err != nil {
		s.serviceError(w, r, "user", err)
		return
	}
	var act *activityJSON
	switch d, err := s.app.Store.GetActivity(r.Context(), id); {
	case err == nil:
		act = &activityJSON{
			LiveChatBlockedUntil: timeText(d.LiveChatBlockedUntil), LiveChatBlockedReason: d.LiveChatBlockedReason,
			LiveChatBlockedAt: timeText(d.LiveChatBlockedAt), LiveChatBlockedByAgentName: d.LiveChatBlockedByAgentName,
		}
	case !errors.Is(err, contextstore.ErrNotFound):
		s.serviceError(w, r, "user", err)
		return
	}
	if len(list) == 0 && act == nil {
		problem(w, http.StatusNotFound, "no such user", fmt.Sprintf("user %q has no blocks and no chat activity data", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user_id": id, "blacklist": blocksOut(list), "chat_activity_data": act})
}

// auditJSON is one audit event.
type auditJSON struct {
	ID      string            `json:"id"`
	At      string            `json:"at"`
	Actor   string            `json:"actor"`
	Action  string            `json:"action"`
	BlockID string            `json:"block_id,omitempty"`
	Subject string            `json:"subject,omitempty"`
	Details map[string]string `json:"details"`
}

// adminReloadFlows loads the flow directory again: the whole new set is
// validated first and refused (422, every problem with its place, the old
// set kept) if anything is wrong; running conversations stay on their
// version.
func (s *Server) adminReloadFlows(w http.ResponseWriter, r *http.Request, p Principal) {
	n, warns, err := s.app.ReloadFlows()
	if le, ok := errors.AsType[*flows.LoadError](err); ok {
		errs := make([]fieldError, 0, len(le.Problems))
		for _, pr := range le.Problems {
			if pr.Severity == flows.SeverityError {
				errs = append(errs, fieldError{Field: pr.Pos.String(), Message: pr.Msg})
			}
		}
		s.log.Warn("flow reload refused", zap.String("request_id", RequestID(r.Context())), zap.String("actor", staffActor(p)), zap.Int("errors", len(errs)))
		fieldProblem(w, http.StatusUnprocessableEntity, "flows not reloaded", errs)
		return
	}
	if err != nil {
		s.serviceError(w, r, "flow reload", err)
		return
	}
	out := make([]string, len(warns))
	for i, pr := range warns {
		out[i] = pr.String()
	}
	s.log.Info("flows reloaded by staff", zap.String("request_id", RequestID(r.Context())), zap.String("actor", staffActor(p)), zap.Int("flows", n))
	writeJSON(w, http.StatusOK, map[string]any{"flows": n, "warnings": out})
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := newQueryParams(r, "block_id", "actor", "action", "from", "to", "limit", "after")
	aq := contextstore.AuditQuery{
		BlockID: q.str("block_id"), Actor: q.str("actor"), Action: q.str("action"),
		From: q.at("from"), To: q.at("to"), After: q.str("after"),
	}
	limit := q.limit()
	if q.answered(w) {
		return
	}
	aq.Limit = limit + 1
	evs, err := s.app.Blocking.Audit(r.Context(), aq)
	if err != nil {
		s.serviceError(w, r, "audit", err)
		return
	}
	out := map[string]any{}
	if len(evs) > limit {
		evs = evs[:limit]
		out["next"] = evs[limit-1].ID
	}
	list := make([]auditJSON, len(evs))
	for i, e := range evs {
		d := e.Details
		if d == nil {
			d = map[string]string{}
		}
		list[i] = auditJSON{ID: e.ID, At: e.At.UTC().Format(time.RFC3339), Actor: e.Actor, Action: e.Action, BlockID: e.BlockID, Subject: e.Subject, Details: d}
	}
	out["events"] = list
	writeJSON(w, http.StatusOK, out)
}

// csvHeader returns the header row of GET /v1/admin/blocks.csv.
func csvHeader() []string {
	return []string{
		"id", "kind", "status", "user_id", "conversation_id", "ip", "range", "allow", "channels",
		"reason_category", "reason", "notes", "created_at", "created_by", "until", "ended_at",
		"lifted_by", "lift_notes", "hit_count",
	}
}

// adminBlocksCSV streams every block matching the list's filters as CSV,
// a page of maxLimit at a time, flushing after each page.
func (s *Server) adminBlocksCSV(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := newQueryParams(r, blockFilterParams()...)
	bq := blockQuery(q)
	if q.answered(w) {
		return
	}
	bq.Limit = maxLimit
	first, err := s.app.Blocking.List(r.Context(), bq)
	if err != nil {
		s.serviceError(w, r, "block", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="blocks.csv"`)
	cw := newCSVWriter(w)
	_ = cw.Write(csvHeader())
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for page := first; ; {
		for _, v := range page {
			b := blockOut(v)
			until := str(b.Until)
			if b.Until == nil {
				until = "permanent"
			}
			_ = cw.Write([]string{
				b.ID, b.Kind, b.Status, b.UserID, b.ConversationID, b.IP, b.Range, strconv.FormatBool(b.Allow),
				strings.Join(b.Channels, " "), b.ReasonCategory, b.Reason, b.Notes, b.CreatedAt, b.CreatedBy,
				until, str(b.EndedAt), b.LiftedBy, b.LiftNotes, strconv.FormatInt(b.HitCount, 10),
			})
		}
		cw.Flush()
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if len(page) < maxLimit || cw.Error() != nil {
			return
		}
		bq.After = page[len(page)-1].Block.ID
		if page, err = s.app.Blocking.List(r.Context(), bq); err != nil {
			// The status is sent: end the stream short; the log says why.
			s.log.Error("csv export cut short", zap.String("request_id", RequestID(r.Context())), zap.Error(err))
			return
		}
	}
}
