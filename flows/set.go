package flows

import (
	"fmt"
	"slices"
	"strings"
)

// Set is a checked collection of flows: every version of every flow id,
// with one flow id per trigger. It is immutable.
type Set struct {
	versions map[string]map[int]*Flow
	latest   map[string]*Flow
	// trigger lists the flow ids of each trigger in routing order: flows
	// with a When condition by priority then id, the fallback last.
	trigger map[Trigger][]string
}

// NewSet indexes flows, reporting duplicate versions, flows whose versions
// disagree on the trigger, and two fallback flows (no when) for one trigger.
func NewSet(flows []*Flow) (*Set, Problems) {
	s := &Set{versions: map[string]map[int]*Flow{}, latest: map[string]*Flow{}, trigger: map[Trigger][]string{}}
	var probs Problems
	fallback := map[Trigger]string{}
	for _, f := range flows {
		at := Pos{File: f.File, Line: 1, Col: 1}
		vs := s.versions[f.ID]
		if vs == nil {
			vs = map[int]*Flow{}
			s.versions[f.ID] = vs
		}
		if prev, dup := vs[f.Version]; dup {
			probs = append(probs, Problem{Pos: at, Msg: fmt.Sprintf("flow %q version %d is also defined in %s", f.ID, f.Version, prev.File)})
			continue
		}
		if other, ok := fallback[f.Trigger]; ok && other != f.ID && f.When == nil {
			probs = append(probs, Problem{Pos: at, Msg: fmt.Sprintf("trigger %q already has a fallback flow %q (%s): give one of them a when condition", f.Trigger, other, s.latest[other].File)})
			continue
		}
		if l := s.latest[f.ID]; l != nil && l.Trigger != f.Trigger {
			probs = append(probs, Problem{Pos: at, Msg: fmt.Sprintf("flow %q version %d has trigger %q but version %d (%s) has %q", f.ID, f.Version, f.Trigger, l.Version, l.File, l.Trigger)})
			continue
		}
		vs[f.Version] = f
		if f.When == nil {
			fallback[f.Trigger] = f.ID
		}
		if l := s.latest[f.ID]; l == nil || f.Version > l.Version {
			s.latest[f.ID] = f
		}
	}
	for id, f := range s.latest {
		s.trigger[f.Trigger] = append(s.trigger[f.Trigger], id)
	}
	for _, ids := range s.trigger {
		slices.SortFunc(ids, func(a, b string) int {
			fa, fb := s.latest[a], s.latest[b]
			if (fa.When == nil) != (fb.When == nil) {
				if fa.When == nil {
					return 1
				}
				return -1
			}
			if fa.Priority != fb.Priority {
				return fb.Priority - fa.Priority
			}
			return strings.Compare(a, b)
		})
	}
	return s, probs
}

// Latest returns the highest version of a flow.
func (s *Set) Latest(id string) (*Flow, bool) {
	f, ok := s.latest[id]
	return f, ok
}

// Version returns one version of a flow.
func (s *Set) Version(id string, v int) (*Flow, bool) {
	f, ok := s.versions[id][v]
	return f, ok
}

// ForTrigger returns the ids of the flows of a trigger in routing order.
func (s *Set) ForTrigger(t Trigger) []string { return s.trigger[t] }

// Flows returns every loaded flow version, by id then version.
func (s *Set) Flows() []*Flow {
	var out []*Flow
	for _, vs := range s.versions {
		for _, f := range vs {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *Flow) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
	return out
}

// Merge returns a set with the flows of s and next, where next wins for
// (id, version) pairs in both. Old versions stay so that running
// conversations keep their pinned version after a reload.
func (s *Set) Merge(next *Set) (*Set, Problems) {
	all := next.Flows()
	var probs Problems
	for _, f := range s.Flows() {
		nf, ok := next.Version(f.ID, f.Version)
		if !ok {
			all = append(all, f)
			continue
		}
		if f.Digest != "" && nf.Digest != "" && nf.Digest != f.Digest {
			probs = append(probs, Problem{Pos: Pos{File: nf.File, Line: 1, Col: 1},
				Msg: fmt.Sprintf("flow %q changed but its version is still %d: give it version %d, so that running conversations keep the one they started on", f.ID, f.Version, s.latestVersion(f.ID)+1)})
		}
	}
	if probs.HasErrors() {
		return nil, probs
	}
	return NewSet(all)
}

// latestVersion is the highest loaded version of flow id.
func (s *Set) latestVersion(id string) int {
	if f, ok := s.Latest(id); ok {
		return f.Version
	}
	return 0
}
