package workinghours

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Schedules are the calendars of the helpdesk's queues: each queue may
// have its own (time zone, weekly hours, holidays); a queue without one
// uses the default calendar (the configuration's working_hours, itself
// open around the clock when empty: DRUID's backwards-compatible 24/7).
// Schedules are immutable and safe for concurrent use.
type Schedules struct {
	def    *Calendar
	queues map[string]*Calendar
}

// NewSchedules validates the default calendar and each queue's, reporting
// every problem at once, each prefixed with the queue's key
// (queues.support.working_hours: …).
func NewSchedules(def Config, queues map[string]Config) (*Schedules, error) {
	d, err := New(def)
	if err != nil {
		return nil, fmt.Errorf("working_hours: %w", err)
	}
	s := &Schedules{def: d, queues: map[string]*Calendar{}}
	var errs []string
	for _, name := range slices.Sorted(maps.Keys(queues)) {
		c, err := New(queues[name])
		if err != nil {
			errs = append(errs, fmt.Sprintf("queues.%s.working_hours: %v", name, err))
			continue
		}
		s.queues[name] = c
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(errs, "; "))
	}
	return s, nil
}

// For returns the calendar of queue: its own, else the default.
func (s *Schedules) For(queue string) *Calendar {
	if c, ok := s.queues[queue]; ok {
		return c
	}
	return s.def
}

// IsOpen reports whether queue is open at t (its own calendar, else the
// default). A nil *Schedules is always open.
func (s *Schedules) IsOpen(queue string, t time.Time) bool {
	if s == nil {
		return true
	}
	return s.For(queue).IsOpen(t)
}

// Queues returns the names of the queues with a calendar of their own,
// sorted.
func (s *Schedules) Queues() []string {
	return slices.Sorted(maps.Keys(s.queues))
}
