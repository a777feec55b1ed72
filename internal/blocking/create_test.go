package blocking_test

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/ipban"
)

func TestCreateValidation(t *testing.T) {
	const (
		periodHelp = "use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90"
		cats       = "abusive_language, spam, harassment, fraud, terms_violation, other"
	)
	day := blocking.Period{Minutes: 1440}
	ok := func(nb blocking.NewBlock) blocking.NewBlock {
		if nb.Actor == "" {
			nb.Actor = "admin@acme.test"
		}
		if nb.ReasonCategory == "" && !nb.Allow {
			nb.ReasonCategory = blocking.CategorySpam
		}
		if nb.Period == (blocking.Period{}) {
			nb.Period = day
		}
		return nb
	}
	tests := []struct {
		name    string
		nb      blocking.NewBlock
		want    string
		wantIs  []error
		fields  []string
		noFixup bool
	}{
		{
			name:    "empty",
			nb:      blocking.NewBlock{},
			noFixup: true,
			want: "invalid input: kind: required: set exactly one of user_id, conversation_id, ip or range, or name the kind; " +
				"period: required: " + periodHelp + "; reason_category: required: one of " + cats + "; actor: required: who creates the block",
			fields: []string{"kind", "period", "reason_category", "actor"},
		},
		{
			name: "two subjects without kind",
			nb:   blocking.NewBlock{UserID: "u-1", IP: "203.0.113.7"},
			want: "invalid input: kind: required: set exactly one of user_id, conversation_id, ip or range, or name the kind",
		},
		{
			name: "unknown kind",
			nb:   blocking.NewBlock{Kind: "device", UserID: "u-1"},
			want: `invalid input: kind: unknown kind "device"; use user, conversation, ip or range`,
		},
		{
			name: "bad ip",
			nb:   blocking.NewBlock{IP: "999.1.1.1"},
			want: `invalid input: ip: "999.1.1.1" is not an IP address`,
		},
		{
			name: "network as ip",
			nb:   blocking.NewBlock{Kind: contextstore.KindIP, IP: "203.0.113.0/24"},
			want: `invalid input: ip: "203.0.113.0/24" is not a single IP address; ban a network as a range`,
		},
		{
			name: "ip with zone",
			nb:   blocking.NewBlock{IP: "2001:db8::1%eth0"},
			want: `invalid input: ip: "2001:db8::1%eth0" has an IPv6 zone; zones are local to one host and mean nothing in a ban`,
		},
		{
			name:   "reversed range",
			nb:     blocking.NewBlock{Range: "203.0.113.9-203.0.113.5"},
			want:   `invalid input: range: "203.0.113.9-203.0.113.5": start 203.0.113.9 is after end 203.0.113.5`,
			wantIs: []error{ipban.ErrReversedRange, ipban.ErrInvalidRange},
		},
		{
			name:   "host bits",
			nb:     blocking.NewBlock{Range: "203.0.113.7/24"},
			want:   `invalid input: range: "203.0.113.7/24": host bits set after /24 (did you mean 203.0.113.0/24?)`,
			wantIs: []error{ipban.ErrHostBits},
		},
		{
			name:   "mixed families",
			nb:     blocking.NewBlock{Range: "203.0.113.1-2001:db8::1"},
			want:   `invalid input: range: "203.0.113.1-2001:db8::1": start 203.0.113.1 is IPv4 but end 2001:db8::1 is IPv6`,
			wantIs: []error{ipban.ErrMixedFamily},
		},
		{
			name: "single address as range",
			nb:   blocking.NewBlock{Range: "203.0.113.7/32"},
			want: `invalid input: range: "203.0.113.7/32" is a single address: ban it as an ip, which is stored encrypted`,
		},
		{
			name: "ip and range together",
			nb:   blocking.NewBlock{Kind: contextstore.KindRange, Range: "203.0.113.0/24", IP: "203.0.113.7"},
			want: `invalid input: ip: not allowed on a range ban (ban the address separately)`,
		},
		{
			name: "ip on a user block",
			nb:   blocking.NewBlock{Kind: contextstore.KindUser, UserID: "u-1", IP: "203.0.113.7"},
			want: `invalid input: ip: not allowed on a user block`,
		},
		{
			name: "user block without user",
			nb:   blocking.NewBlock{Kind: contextstore.KindUser},
			want: `invalid input: user_id: required for a user block`,
		},
		{
			name: "allow on a conversation",
			nb:   blocking.NewBlock{ConversationID: "c-1", Allow: true, ReasonCategory: "spam"},
			want: `invalid input: allow: only ip and range entries can be allow entries`,
		},
		{
			name: "unknown channel",
			nb:   blocking.NewBlock{UserID: "u-1", Channels: []string{"live_chat", "sms"}},
			want: `invalid input: channels[1]: unknown channel "sms"; use live_chat, contact_form, call, forum, or no channels for all`,
		},
		{
			name: "unknown category",
			nb:   blocking.NewBlock{UserID: "u-1", ReasonCategory: "rudeness"},
			want: `invalid input: reason_category: unknown category "rudeness"; use one of ` + cats,
		},
		{
			name: "minutes and permanent",
			nb:   blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: 5, Permanent: true}},
			want: `invalid input: period: choose either minutes or permanent, not both`,
		},
		{
			name: "negative minutes",
			nb:   blocking.NewBlock{UserID: "u-1", Period: blocking.Period{Minutes: -5}},
			want: `invalid input: period: -5 minutes is negative; a block lasts at least 1 minute`,
		},
		{
			name: "reason too long",
			nb:   blocking.NewBlock{UserID: "u-1", Reason: strings.Repeat("x", 1001)},
			want: `invalid input: reason: 1001 characters is too long; the limit is 1000`,
		},
		{
			name:   "never-block ip",
			nb:     blocking.NewBlock{IP: "10.1.2.3"},
			want:   `invalid input: ip: 10.1.2.3 is in a never-block network (10.0.0.0/8): a ban on it would have no effect`,
			wantIs: []error{ipban.ErrNeverBlock},
		},
		{
			name:   "never-block ipv6 link-local",
			nb:     blocking.NewBlock{IP: "fe80::1"},
			want:   `invalid input: ip: fe80::1 is in a never-block network (fe80::/10): a ban on it would have no effect`,
			wantIs: []error{ipban.ErrNeverBlock},
		},
		{
			name:   "never-block mapped ipv4 loopback",
			nb:     blocking.NewBlock{IP: "::ffff:127.0.0.1"},
			want:   `invalid input: ip: 127.0.0.1 is in a never-block network (127.0.0.0/8): a ban on it would have no effect`,
			wantIs: []error{ipban.ErrNeverBlock},
		},
		{
			name:   "range inside never-block",
			nb:     blocking.NewBlock{Range: "192.168.1.0/24"},
			want:   `invalid input: range: 192.168.1.0/24 lies inside never-block network 192.168.0.0/16: a ban on it would have no effect`,
			wantIs: []error{ipban.ErrNeverBlock},
		},
		{
			name:   "range covering never-block",
			nb:     blocking.NewBlock{Range: "100.0.0.0/8"},
			want:   `invalid input: range: 100.0.0.0/8 covers never-block network 100.64.0.0/10, whose addresses would stay unbanned: ban the ranges around it, or change the never-block configuration`,
			wantIs: []error{ipban.ErrNeverBlock},
		},
		{
			name: "all problems at once",
			nb: blocking.NewBlock{
				Kind: contextstore.KindIP, IP: "not-an-ip", Channels: []string{"sms"},
				Period: blocking.Period{Minutes: -1}, ReasonCategory: "rudeness",
			},
			noFixup: true,
			want: `invalid input: ip: "not-an-ip" is not a single IP address; ban a network as a range; ` +
				`channels[0]: unknown channel "sms"; use live_chat, contact_form, call, forum, or no channels for all; ` +
				`period: -1 minutes is negative; a block lasts at least 1 minute; ` +
				`reason_category: unknown category "rudeness"; use one of ` + cats + `; ` +
				`actor: required: who creates the block`,
			fields: []string{"ip", "channels[0]", "period", "reason_category", "actor"},
		},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nb := tc.nb
			if !tc.noFixup {
				nb = ok(nb)
			}
			b, err := e.svc.Create(t.Context(), nb)
			if b != nil {
				t.Errorf("got block %+v", b)
			}
			if errText(err) != tc.want {
				t.Fatalf("error:\n got %s\nwant %s", errText(err), tc.want)
			}
			var ve *blocking.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, blocking.ErrInvalid) {
				t.Fatalf("error %T is not a *ValidationError wrapping ErrInvalid", err)
			}
			for _, target := range tc.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("error does not wrap %v", target)
				}
			}
			if tc.fields != nil {
				var got []string
				for _, p := range ve.Problems {
					got = append(got, p.Field)
				}
				if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
					t.Errorf("fields = %v, want %v", got, tc.fields)
				}
			}
		})
	}
	left, err := e.store.ListBlocks(t.Context(), contextstore.BlockQuery{})
	if err != nil || len(left) != 0 {
		t.Fatalf("refused creates stored %d blocks (%v)", len(left), err)
	}
	evs, _ := e.store.ListAudit(t.Context(), contextstore.AuditQuery{})
	if len(evs) != 0 {
		t.Fatalf("refused creates wrote %d audit events", len(evs))
	}
}

func TestCreateNeverBlockConfig(t *testing.T) {
	t.Run("allow entries may be anywhere", func(t *testing.T) {
		e := newEnv(t)
		e.create(t, blocking.NewBlock{Range: "10.0.0.0/8", Allow: true})
	})
	t.Run("protection turned off", func(t *testing.T) {
		e := newEnv(t, func(o *blocking.Options) { o.NeverBlock = []netip.Prefix{} })
		b := e.create(t, blocking.NewBlock{IP: "10.1.2.3"})
		if d := e.check(t, nil, ipSub("10.1.2.3")); !d.Blocked || d.BlockID != b.ID {
			t.Fatalf("decision %+v, want blocked by %s", d, b.ID)
		}
	})
	t.Run("custom list replaces the defaults", func(t *testing.T) {
		e := newEnv(t, func(o *blocking.Options) { o.NeverBlock = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")} })
		e.create(t, blocking.NewBlock{IP: "10.1.2.3"})
		_, err := e.svc.Create(t.Context(), blocking.NewBlock{IP: "198.51.100.9", ReasonCategory: "spam", Period: blocking.Period{Minutes: 60}, Actor: "a"})
		want := `invalid input: ip: 198.51.100.9 is in a never-block network (198.51.100.0/24): a ban on it would have no effect`
		if errText(err) != want {
			t.Fatalf("got %v, want %s", err, want)
		}
	})
}

func TestCreateRefusesDuplicate(t *testing.T) {
	e := newEnv(t)
	first := e.create(t, blocking.NewBlock{IP: "203.0.113.7", Period: blocking.Period{Minutes: 60}})
	_, err := e.svc.Create(t.Context(), blocking.NewBlock{IP: "::ffff:203.0.113.7", ReasonCategory: "spam", Period: blocking.Period{Minutes: 60}, Actor: "b@acme.test"})
	want := `invalid input: ip: already blocked by block ` + first.ID + ` (until 2026-01-05T11:00:00Z); renew or edit that one`
	if errText(err) != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	// Another channel set is another entry; so is the same subject once the
	// first one ended.
	e.create(t, blocking.NewBlock{IP: "203.0.113.7", Channels: []string{"forum"}})
	e.clk.Advance(61 * 60e9)
	e.create(t, blocking.NewBlock{IP: "203.0.113.7", Period: blocking.Period{Minutes: 60}})
	// Ranges compare by canonical form.
	r := e.create(t, blocking.NewBlock{Range: "203.0.113.0-203.0.113.255"})
	_, err = e.svc.Create(t.Context(), blocking.NewBlock{Range: "203.0.113.0/24", ReasonCategory: "spam", Period: blocking.Period{Permanent: true}, Actor: "b"})
	want = `invalid input: range: already blocked by block ` + r.ID + ` (until permanent); renew or edit that one`
	if errText(err) != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestCreateKindsAndAudit(t *testing.T) {
	e := newEnv(t)
	b := e.create(t, blocking.NewBlock{
		UserID: "u-1", Channels: []string{"forum", "live_chat", "forum"}, Period: blocking.Period{Minutes: 90},
		ReasonCategory: blocking.CategoryHarassment, Reason: "threats", Notes: "see ticket 12", Actor: " ann@acme.test ",
	})
	if b.Kind != contextstore.KindUser || b.UserID != "u-1" || b.CreatedBy != "ann@acme.test" ||
		strings.Join(b.Channels, ",") != "forum,live_chat" || b.Reason != "threats" || b.Notes != "see ticket 12" || b.Version != 1 {
		t.Fatalf("stored %+v", b)
	}
	if len(b.ID) != 24 {
		t.Errorf("id %q is not 24 hex digits", b.ID)
	}
	evs, err := e.svc.Audit(t.Context(), contextstore.AuditQuery{BlockID: b.ID})
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit: %v, %v", evs, err)
	}
	ev := evs[0]
	if ev.Action != blocking.ActionCreate || ev.Actor != "ann@acme.test" || !ev.At.Equal(t0) || ev.Subject != "" ||
		ev.Details["until"] != "2026-01-05T11:30:00Z" || ev.Details["period"] != "90m" ||
		ev.Details["channels"] != "forum,live_chat" || ev.Details["category"] != "harassment" || ev.Details["kind"] != "user" {
		t.Fatalf("audit event %+v", ev)
	}
	for k, v := range ev.Details {
		if strings.Contains(v, "u-1") || strings.Contains(v, "threats") || strings.Contains(v, "ticket") {
			t.Errorf("audit detail %s=%q holds personal data", k, v)
		}
	}
	r := e.create(t, blocking.NewBlock{Range: " 2001:db8::/32 "})
	if r.Kind != contextstore.KindRange || r.Range != "2001:db8::/32" {
		t.Fatalf("range stored as %+v", r)
	}
	evs, _ = e.svc.Audit(t.Context(), contextstore.AuditQuery{BlockID: r.ID})
	if len(evs) != 1 || evs[0].Subject != "2001:db8::/32" {
		t.Fatalf("range audit %+v", evs)
	}
}

// TestIDsSortByCreation: ids of one Service strictly increase even when
// the clock stands still, and follow the clock.
func TestIDsSortByCreation(t *testing.T) {
	e := newEnv(t)
	var prev string
	for i := range 50 {
		if i%10 == 0 {
			e.clk.Advance(1e9)
		}
		b := e.create(t, blocking.NewBlock{UserID: "u-" + strconv.Itoa(i), Period: blocking.Period{Minutes: 1 + i}})
		if b.ID <= prev {
			t.Fatalf("id %s after %s", b.ID, prev)
		}
		prev = b.ID
	}
}

// TestValidateStoresNothing: Validate reports the same problems as Create
// and writes nothing, for bad and for good input.
func TestValidateStoresNothing(t *testing.T) {
	env := newEnv(t)
	bad := blocking.NewBlock{Kind: contextstore.KindIP, IP: "not-an-ip", Period: blocking.Period{Minutes: 60}, Actor: "admin@acme.test"}
	verr := env.svc.Validate(t.Context(), bad)
	_, cerr := env.svc.Create(t.Context(), bad)
	if verr == nil || cerr == nil || verr.Error() != cerr.Error() {
		t.Fatalf("Validate = %v, Create = %v; want the same validation error", verr, cerr)
	}
	good := blocking.NewBlock{Kind: contextstore.KindUser, UserID: "u-1", Period: blocking.Period{Minutes: 60}, ReasonCategory: "spam", Actor: "admin@acme.test"}
	if err := env.svc.Validate(t.Context(), good); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	if list, err := env.store.ListBlocks(t.Context(), contextstore.BlockQuery{}); err != nil || len(list) != 0 {
		t.Fatalf("Validate stored something: %d blocks, %v", len(list), err)
	}
}
