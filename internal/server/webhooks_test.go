package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/internal/blocking"
)

// TestAdminWebhooks: an admin subscribes an endpoint (the secret shown
// once), lists and changes it, reads its delivery log after a block,
// resends a delivery and deletes it; a supervisor may not (403); bad
// input is 422 naming the fields; unknown ids are 404. Every answer
// matches /openapi.json.
func TestAdminWebhooks(t *testing.T) {
	e := newStaffEnv(t)
	e.must(t, http.StatusForbidden, nil, superTok, "GET", "/v1/admin/webhooks", "")
	r := e.must(t, http.StatusUnprocessableEntity, nil, adminTok, "POST", "/v1/admin/webhooks", `{"url": "ftp://x", "types": ["block.created", "nope"]}`)
	if !strings.Contains(r.body, `"url"`) || !strings.Contains(r.body, "types[1]") {
		t.Errorf("422 body %s, want url and types[1] named", r.body)
	}
	var created struct {
		Webhook struct {
			ID      string   `json:"id"`
			Types   []string `json:"types"`
			Enabled bool     `json:"enabled"`
		} `json:"webhook"`
		Secret string `json:"secret"`
	}
	r = e.must(t, http.StatusCreated, &created, adminTok, "POST", "/v1/admin/webhooks", `{"url": "https://hooks.example.com/chatflow", "types": ["block.created"]}`)
	if !strings.HasPrefix(created.Secret, "whsec_") || !created.Webhook.Enabled || created.Webhook.Types[0] != "block.created" {
		t.Fatalf("created %s", r.body)
	}
	id := created.Webhook.ID
	r = e.must(t, http.StatusOK, nil, adminTok, "GET", "/v1/admin/webhooks", "")
	if strings.Contains(r.body, created.Secret) || strings.Contains(r.body, "secret") || !strings.Contains(r.body, id) {
		t.Errorf("the list shows the secret or misses the subscription: %s", r.body)
	}
	e.must(t, http.StatusOK, nil, adminTok, "PATCH", "/v1/admin/webhooks/"+id, `{"types": []}`)
	e.must(t, http.StatusNotFound, nil, adminTok, "PATCH", "/v1/admin/webhooks/whs_nope", `{"enabled": false}`)

	if _, err := e.app.Blocking.Create(t.Context(), blocking.NewBlock{UserID: "u-9", Actor: "ada@acme.test", ReasonCategory: blocking.CategorySpam, Period: blocking.Period{Minutes: 60}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Webhooks.Relay(t.Context(), 100); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Deliveries []struct {
			WebhookID string `json:"webhook_id"`
			Type      string `json:"type"`
			State     string `json:"state"`
		} `json:"deliveries"`
	}
	e.must(t, http.StatusOK, &log, adminTok, "GET", "/v1/admin/webhooks/"+id+"/deliveries?limit=10", "")
	if len(log.Deliveries) == 0 || log.Deliveries[len(log.Deliveries)-1].Type != "block.created" || log.Deliveries[0].State != "pending" {
		t.Fatalf("deliveries %+v", log.Deliveries)
	}
	e.must(t, http.StatusBadRequest, nil, adminTok, "GET", "/v1/admin/webhooks/"+id+"/deliveries?limit=0", "")
	e.must(t, http.StatusAccepted, nil, adminTok, "POST", "/v1/admin/webhooks/"+id+"/deliveries/"+log.Deliveries[0].WebhookID+"/resend", "")
	e.must(t, http.StatusNotFound, nil, adminTok, "POST", "/v1/admin/webhooks/"+id+"/deliveries/nope/resend", "")
	e.must(t, http.StatusNoContent, nil, adminTok, "DELETE", "/v1/admin/webhooks/"+id, "")
	e.must(t, http.StatusNotFound, nil, adminTok, "DELETE", "/v1/admin/webhooks/"+id, "")
	e.must(t, http.StatusNotFound, nil, adminTok, "GET", "/v1/admin/webhooks/"+id+"/deliveries", "")
}
