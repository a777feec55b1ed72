package storetest

import (
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// fixtureAudit is the audit log of the query tests, in append order.
func fixtureAudit() []*contextstore.AuditEvent {
	m := time.Minute
	return []*contextstore.AuditEvent{
		{At: t0, Actor: "ann", Action: "block.create", BlockID: "b1", Subject: "u1", Details: map[string]string{"minutes": "1440"}},
		{At: t0.Add(m), Actor: "bob", Action: "block.create", BlockID: "b2", Subject: "203.0.113.0/24"},
		{At: t0.Add(2 * m), Actor: "ann", Action: "block.lift", BlockID: "b1", Subject: "u1", Details: map[string]string{"notes": "appeal accepted 👍"}},
		{At: t0.Add(3 * m), Actor: "system", Action: "block.expire", BlockID: "b2"},
		{At: t0.Add(4 * m), Actor: "flow", Action: "block.lift", BlockID: "b3", Subject: "c9"},
	}
}

func mustAppend(t *testing.T, s contextstore.Store, e *contextstore.AuditEvent) {
	t.Helper()
	noErr(t, "AppendAudit", s.AppendAudit(t.Context(), e))
}

func mustListAudit(t *testing.T, s contextstore.Store, q contextstore.AuditQuery) []*contextstore.AuditEvent {
	t.Helper()
	out, err := s.ListAudit(t.Context(), q)
	noErr(t, "ListAudit", err)
	return out
}

func testAudit(t *testing.T, newStore func(t *testing.T) contextstore.Store) {
	t.Run("AppendAssignsIncreasingIDs", func(t *testing.T) {
		s := newStore(t)
		events := fixtureAudit()
		var got []string
		for _, e := range events {
			mustAppend(t, s, e)
			if e.ID == "" {
				t.Fatal("AppendAudit left the ID empty")
			}
			got = append(got, e.ID)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("assigned IDs do not increase in append order: %q", got)
			}
		}
		listed := mustListAudit(t, s, contextstore.AuditQuery{})
		sameIDs(t, "audit log", got, ids(listed, auditID))
		for i, want := range fixtureAudit() {
			want.ID = got[i]
			requireEqual(t, "listed event "+want.ID, want, listed[i])
		}
	})

	t.Run("SameTimeKeepsAppendOrder", func(t *testing.T) {
		s := newStore(t)
		var got []string
		for _, actor := range []string{"e", "d", "c", "b", "a"} {
			e := &contextstore.AuditEvent{At: t0, Actor: actor, Action: "block.create"}
			mustAppend(t, s, e)
			got = append(got, e.ID)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("IDs of events appended at the same time do not increase: %q", got)
			}
		}
		listed := mustListAudit(t, s, contextstore.AuditQuery{})
		sameIDs(t, "actors in list order", []string{"e", "d", "c", "b", "a"},
			ids(listed, func(e *contextstore.AuditEvent) string { return e.Actor }))
	})

	t.Run("KeepsCallerIDs", func(t *testing.T) {
		s := newStore(t)
		first := &contextstore.AuditEvent{ID: "evt-b", At: t0, Actor: "ann", Action: "x"}
		mustAppend(t, s, first)
		if first.ID != "evt-b" {
			t.Fatalf("AppendAudit replaced the caller's ID with %q", first.ID)
		}
		mustAppend(t, s, &contextstore.AuditEvent{ID: "evt-a", At: t0, Actor: "bob", Action: "x"})
		// An event is never dropped: the same ID twice keeps both, in
		// append order.
		mustAppend(t, s, &contextstore.AuditEvent{ID: "evt-b", At: t0, Actor: "cid", Action: "x"})
		listed := mustListAudit(t, s, contextstore.AuditQuery{})
		sameIDs(t, "audit IDs", []string{"evt-a", "evt-b", "evt-b"}, ids(listed, auditID))
		sameIDs(t, "audit actors", []string{"bob", "ann", "cid"},
			ids(listed, func(e *contextstore.AuditEvent) string { return e.Actor }))
	})

	t.Run("Filters", func(t *testing.T) {
		s := newStore(t)
		var id []string
		for _, e := range fixtureAudit() {
			mustAppend(t, s, e)
			id = append(id, e.ID)
		}
		m := time.Minute
		cases := []struct {
			name string
			q    contextstore.AuditQuery
			want []string
		}{
			{"All", contextstore.AuditQuery{}, id},
			{"BlockID", contextstore.AuditQuery{BlockID: "b1"}, []string{id[0], id[2]}},
			{"Actor", contextstore.AuditQuery{Actor: "ann"}, []string{id[0], id[2]}},
			{"Action", contextstore.AuditQuery{Action: "block.lift"}, []string{id[2], id[4]}},
			{"ActorAndAction", contextstore.AuditQuery{Actor: "ann", Action: "block.lift"}, []string{id[2]}},
			{"FromInclusive", contextstore.AuditQuery{From: t0.Add(2 * m)}, []string{id[2], id[3], id[4]}},
			{"ToExclusive", contextstore.AuditQuery{To: t0.Add(2 * m)}, []string{id[0], id[1]}},
			{"FromTo", contextstore.AuditQuery{From: t0.Add(m), To: t0.Add(3 * m)}, []string{id[1], id[2]}},
			{"BlockIDAndFrom", contextstore.AuditQuery{BlockID: "b2", From: t0.Add(2 * m)}, []string{id[3]}},
			{"NoMatch", contextstore.AuditQuery{BlockID: "b9"}, nil},
			{"Limit", contextstore.AuditQuery{Limit: 2}, []string{id[0], id[1]}},
			{"After", contextstore.AuditQuery{After: id[2]}, []string{id[3], id[4]}},
			{"AfterLast", contextstore.AuditQuery{After: id[4]}, nil},
			{"AfterWithLimitAndFilter", contextstore.AuditQuery{After: id[0], Limit: 1, Actor: "ann"}, []string{id[2]}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				sameIDs(t, "ListAudit", tc.want, ids(mustListAudit(t, s, tc.q), auditID))
			})
		}
		t.Run("Pagination", func(t *testing.T) {
			var seen []string
			after := ""
			for range 10 {
				page := mustListAudit(t, s, contextstore.AuditQuery{Limit: 2, After: after})
				if len(page) == 0 {
					break
				}
				if len(page) > 2 {
					t.Fatalf("page of %d events with Limit 2", len(page))
				}
				seen = append(seen, ids(page, auditID)...)
				after = page[len(page)-1].ID
			}
			sameIDs(t, "events paged by 2", id, seen)
		})
	})

	t.Run("IndependentCopies", func(t *testing.T) {
		s := newStore(t)
		e := fixtureAudit()[0]
		mustAppend(t, s, e)
		want := fixtureAudit()[0]
		want.ID = e.ID
		e.Details["minutes"] = "changed"
		e.Actor = "changed"
		listed := mustListAudit(t, s, contextstore.AuditQuery{})
		if len(listed) != 1 {
			t.Fatalf("ListAudit returned %d events, want 1", len(listed))
		}
		requireEqual(t, "event after mutating the appended value", want, listed[0])
		listed[0].Details["minutes"] = "changed"
		listed[0].Details["added"] = "x"
		requireEqual(t, "event after mutating a listed copy", want, mustListAudit(t, s, contextstore.AuditQuery{})[0])
	})
}
