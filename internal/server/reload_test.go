package server_test

import (
	"net/http"
	"testing"
)

// TestAdminReloadFlows: an admin reloads the flows (the examples load
// again: every flow, no warning); a supervisor may not.
func TestAdminReloadFlows(t *testing.T) {
	e := newStaffEnv(t)
	var out struct {
		Flows    int      `json:"flows"`
		Warnings []string `json:"warnings"`
	}
	e.must(t, http.StatusOK, &out, adminTok, "POST", "/v1/admin/flows/reload", "")
	if want := len(e.app.Executor.Flows().Flows()); out.Flows != want || out.Flows == 0 || len(out.Warnings) != 0 {
		t.Errorf("reload = %+v, want %d flows and no warnings", out, want)
	}
	e.must(t, http.StatusForbidden, nil, superTok, "POST", "/v1/admin/flows/reload", "")
}
