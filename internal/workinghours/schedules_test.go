package workinghours_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/workinghours"
)

// TestSchedulesPerQueue: a queue with a calendar of its own is open by it,
// in its own time zone and across a DST change; the others follow the
// default; a bad queue calendar is reported with its key.
func TestSchedulesPerQueue(t *testing.T) {
	office := workinghours.Config{TimeZone: "Europe/Bucharest", Weekly: workinghours.Weekly{
		Saturday: []string{"09:00-17:00"}, Sunday: []string{"09:00-17:00"}, Monday: []string{"09:00-17:00"},
	}}
	s, err := workinghours.NewSchedules(workinghours.Config{}, map[string]workinghours.Config{"support": office})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		queue string
		at    string
		open  bool
	}{
		// Saturday 28 March 2026: EET (UTC+2); 09:00 local is 07:00 UTC.
		{"support", "2026-03-28T06:59:00Z", false},
		{"support", "2026-03-28T07:00:00Z", true},
		{"support", "2026-03-28T14:59:00Z", true},
		{"support", "2026-03-28T15:00:00Z", false},
		// Sunday 29 March: clocks go forward at 03:00; 09:00 local is
		// now 06:00 UTC (EEST, UTC+3).
		{"support", "2026-03-29T05:59:00Z", false},
		{"support", "2026-03-29T06:00:00Z", true},
		{"support", "2026-03-29T13:59:00Z", true},
		{"support", "2026-03-29T14:00:00Z", false},
		// A queue without a calendar follows the default: always open.
		{"default", "2026-03-29T02:00:00Z", true},
		{"sales", "2026-03-28T23:00:00Z", true},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := s.IsOpen(tc.queue, at); got != tc.open {
			t.Errorf("%s at %s: open %v, want %v", tc.queue, tc.at, got, tc.open)
		}
	}
	if got := s.Queues(); len(got) != 1 || got[0] != "support" {
		t.Errorf("Queues() = %q", got)
	}
	var nilSchedules *workinghours.Schedules
	if !nilSchedules.IsOpen("support", time.Now()) {
		t.Error("nil schedules are not always open")
	}
	_, err = workinghours.NewSchedules(workinghours.Config{}, map[string]workinghours.Config{
		"sales": {Weekly: workinghours.Weekly{Friday: []string{"25:00-26:00"}}},
	})
	if !errors.Is(err, workinghours.ErrInvalidConfig) || !strings.Contains(err.Error(), "queues.sales.working_hours: ") {
		t.Errorf("bad queue calendar: %v", err)
	}
}
