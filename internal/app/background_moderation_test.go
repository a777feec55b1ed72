package app_test

import (
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/moderation"
)

// TestBackgroundModerationModes: two instances on one store; an admin
// switches a rule on the first; the second applies it on its next
// moderation refresh round (not before), in both directions.
func TestBackgroundModerationModes(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	store := memory.New()
	cfg := func() app.Config {
		return app.Config{Moderation: moderation.Config{Rules: []moderation.Rule{
			{ID: "crypto", Action: "block", Words: []string{"airdrop"}, Shadow: true},
		}}}
	}
	one, two := newModApp(t, store, clk, cfg()), newModApp(t, store, clk, cfg())
	ticks := &manualTicks{}
	runBackground(t, two, app.BackgroundOptions{NewTicker: ticks.newTicker})

	for _, shadow := range []bool{false, true} {
		if err := one.Moderation.SetShadow(t.Context(), "crypto", shadow, "ada@acme.test"); err != nil {
			t.Fatal(err)
		}
		if got := one.Moderation.Shadow("crypto"); got != shadow {
			t.Errorf("the switching instance: shadow %v, want %v at once", got, shadow)
		}
		if got := two.Moderation.Shadow("crypto"); got == shadow {
			t.Fatalf("the other instance switched to shadow %v before a refresh round", got)
		}
		ticks.round(t, app.LoopModeration)
		if got := two.Moderation.Shadow("crypto"); got != shadow {
			t.Errorf("the other instance after a refresh round: shadow %v, want %v", got, shadow)
		}
	}
}
