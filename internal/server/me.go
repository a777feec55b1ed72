package server

import (
	"net/http"

	"github.com/chatflow/chatflow/internal/blocking"
)

// periodJSON is one preset block period the pages offer.
type periodJSON struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// me answers who the caller is, with the lists the agent console and the
// admin portal build their forms from: reason categories, channels,
// preset periods and the known queues.
func (s *Server) me(w http.ResponseWriter, _ *http.Request, p Principal) {
	presets := blocking.Presets()
	periods := make([]periodJSON, len(presets))
	for i, pr := range presets {
		periods[i] = periodJSON{Name: pr.Name, Label: pr.Label}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": p.ID, "name": p.Name, "email": p.Email, "role": string(p.Role),
		"reason_categories": blocking.Categories(),
		"channels":          blocking.Channels(),
		"periods":           periods,
		"queues":            s.queueNames(),
	})
}
