package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/webhooks"
)

// webhookJSON is a subscription as the API shows it: never its secret.
type webhookJSON struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Types     []string `json:"types"`
	Enabled   bool     `json:"enabled"`
	CreatedAt string   `json:"created_at"`
	CreatedBy string   `json:"created_by"`
	UpdatedAt string   `json:"updated_at"`
}

func webhookOut(v *contextstore.WebhookSubscription) webhookJSON {
	return webhookJSON{ID: v.ID, URL: v.URL, Types: nonNil(v.Types), Enabled: v.Enabled,
		CreatedAt: v.CreatedAt.UTC().Format(time.RFC3339Nano), CreatedBy: v.CreatedBy, UpdatedAt: v.UpdatedAt.UTC().Format(time.RFC3339Nano)}
}

// deliveryJSON is one entry of a subscription's delivery log.
type deliveryJSON struct {
	WebhookID   string          `json:"webhook_id"`
	Type        string          `json:"type"`
	Subject     string          `json:"subject"`
	At          string          `json:"at"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"`
	NextAt      *string         `json:"next_at"`
	LastStatus  int             `json:"last_status"`
	LastError   string          `json:"last_error"`
	DeliveredAt *string         `json:"delivered_at"`
	Data        json.RawMessage `json:"data"`
}

func deliveryOut(d contextstore.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{WebhookID: d.EventID, Type: d.Type, Subject: d.Subject, At: d.At.UTC().Format(time.RFC3339Nano),
		State: d.State, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, Data: json.RawMessage(d.Data)}
	if d.State == contextstore.DeliveryPending {
		out.NextAt = timeText(&d.NextAt)
	}
	if !d.DeliveredAt.IsZero() {
		out.DeliveredAt = timeText(&d.DeliveredAt)
	}
	if !json.Valid(out.Data) {
		out.Data = json.RawMessage("null")
	}
	return out
}

// webhookRequest is the body of a create (url required) or an update
// (absent fields are kept); types [] or absent on create means all.
type webhookRequest struct {
	URL     *string   `json:"url"`
	Types   *[]string `json:"types"`
	Enabled *bool     `json:"enabled"`
}

func (q webhookRequest) input() webhooks.SubscriptionInput {
	return webhooks.SubscriptionInput{URL: q.URL, Types: q.Types, Enabled: q.Enabled}
}

func (s *Server) adminListWebhooks(w http.ResponseWriter, r *http.Request, _ Principal) {
	all, err := s.app.Webhooks.List(r.Context())
	if err != nil {
		s.serviceError(w, r, "webhook subscription", err)
		return
	}
	out := make([]webhookJSON, len(all))
	for i, v := range all {
		out[i] = webhookOut(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

func (s *Server) adminCreateWebhook(w http.ResponseWriter, r *http.Request, p Principal) {
	var req webhookRequest
	if !decode(w, r, &req) {
		return
	}
	v, secret, err := s.app.Webhooks.Create(r.Context(), p.Email, req.input())
	if err != nil {
		s.serviceError(w, r, "webhook subscription", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": webhookOut(v), "secret": secret})
}

func (s *Server) adminUpdateWebhook(w http.ResponseWriter, r *http.Request, _ Principal) {
	var req webhookRequest
	if !decode(w, r, &req) {
		return
	}
	v, err := s.app.Webhooks.Update(r.Context(), r.PathValue("id"), req.input())
	if err != nil {
		s.serviceError(w, r, "webhook subscription", err)
		return
	}
	writeJSON(w, http.StatusOK, webhookOut(v))
}

func (s *Server) adminDeleteWebhook(w http.ResponseWriter, r *http.Request, _ Principal) {
	if err := s.app.Webhooks.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.serviceError(w, r, "webhook subscription", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminWebhookDeliveries(w http.ResponseWriter, r *http.Request, _ Principal) {
	q := newQueryParams(r, "limit")
	limit := q.limit()
	if q.answered(w) {
		return
	}
	ds, err := s.app.Webhooks.Deliveries(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		s.serviceError(w, r, "webhook subscription", err)
		return
	}
	out := make([]deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = deliveryOut(d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}

func (s *Server) adminResendWebhook(w http.ResponseWriter, r *http.Request, _ Principal) {
	d, err := s.app.Webhooks.Resend(r.Context(), r.PathValue("id"), r.PathValue("webhook_id"))
	if err != nil {
		s.serviceError(w, r, "webhook delivery", err)
		return
	}
	writeJSON(w, http.StatusAccepted, deliveryOut(d))
}
