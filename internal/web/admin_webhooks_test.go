package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/internal/blocking"
)

// TestAdminWebhooks: an admin subscribes an endpoint in the portal, sees
// the secret once and the subscription in the list; its delivery log
// shows a block's event; a supervisor is told that admins manage them.
func TestAdminWebhooks(t *testing.T) {
	e := newUI(t)
	ctx := e.desktop()
	e.avSignIn(ctx, "admin", "#webhooks", "#webhook-create")
	e.fill(ctx, "#webhook-url", "https://hooks.example.com/chatflow")
	e.click(ctx, `#webhook-create input[value="block.created"]`)
	e.click(ctx, "#webhook-submit")
	e.waitVisible(ctx, "#webhook-secret-value")
	if s := e.text(ctx, "#webhook-secret-value"); !strings.HasPrefix(s, "whsec_") {
		t.Errorf("secret %q", s)
	}
	e.waitVisible(ctx, "#webhooks-table tbody tr")
	if row := e.text(ctx, "#webhooks-table tbody tr"); !strings.Contains(row, "hooks.example.com") || !strings.Contains(row, "block.created") || !strings.Contains(row, "Enabled") {
		t.Errorf("row %q", row)
	}
	subs, err := e.app.Webhooks.List(t.Context())
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions %v, %v", subs, err)
	}
	if _, err := e.app.Blocking.Create(t.Context(), blocking.NewBlock{UserID: "u-7", Actor: adminEmail, ReasonCategory: blocking.CategorySpam, Period: blocking.Period{Minutes: 60}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Webhooks.Relay(t.Context(), 100); err != nil {
		t.Fatal(err)
	}
	e.click(ctx, "#webhooks-table tbody tr a")
	e.waitJS(ctx, "the delivery log lists the block's event", fmt.Sprintf(
		`location.hash === %q && !!document.querySelector("#deliveries-table tbody tr") && document.querySelector("#deliveries-table tbody tr").textContent.includes("block.created")`,
		"#webhook/"+subs[0].ID))

	other := e.desktop()
	e.avSignIn(other, "supervisor", "#webhooks", "#webhooks-admin-only")
}
