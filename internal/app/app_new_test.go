package app_test

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/ipban"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/workinghours"
)

func newApp(t *testing.T, cfg app.Config) (*app.App, error) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	return app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Config: cfg})
}

func TestNewWiresTheExamples(t *testing.T) {
	a, err := newApp(t, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(a.Executor.Flows().Flows()); n < 4 {
		t.Errorf("%d flows loaded, want the examples", n)
	}
	for _, name := range []string{"HelpdeskClient.IsBlockedForLiveChat", "ConnectToHelpdeskAgent", "HelpdeskClient.IsOutsideWorkingHours"} {
		if !a.Registry.Has(name) {
			t.Errorf("action %s not registered", name)
		}
	}
	if len(a.Warnings) != 0 {
		t.Errorf("warnings on the example flows: %v", a.Warnings)
	}
}

func TestNewRequiresAStore(t *testing.T) {
	_, err := app.New(t.Context(), app.Options{FlowPaths: []string{"../../examples/flows"}})
	if err == nil || err.Error() != "app: a store is required" {
		t.Errorf("err = %v", err)
	}
}

func TestNewReportsFlowErrors(t *testing.T) {
	_, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../flows/testdata/lint/broken.flow.yaml"}})
	if !errors.Is(err, flows.ErrInvalidFlow) || !strings.HasPrefix(err.Error(), "loading flows: ") {
		t.Fatalf("err = %v, want a flow load error", err)
	}
	if !strings.Contains(err.Error(), `broken.flow.yaml:8:5: steps[0]: unknown key "sya"`) {
		t.Errorf("the error does not list the problems with their positions:\n%v", err)
	}
}

func TestNewBadWorkingHours(t *testing.T) {
	_, err := newApp(t, app.Config{WorkingHours: workinghours.Config{TimeZone: "Nowhere/Else"}})
	if !errors.Is(err, workinghours.ErrTimeZone) || !strings.HasPrefix(err.Error(), "working_hours: ") {
		t.Errorf("err = %v", err)
	}
}

func TestEncryptionKey(t *testing.T) {
	good := privacy.EncodeKey(privacy.NewKey())
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for _, tc := range []struct {
		name, env, config string
		want              string // the exact error; "" for success
		wantIs            error
	}{
		{name: "none: a random key"},
		{name: "env", env: good},
		{name: "config", config: good},
		{name: "env overrides a bad config key", env: good, config: "nope"},
		{name: "env not a key", env: "not a key!", want: "CHATFLOW_ENCRYPTION_KEY: parsing encryption key: encryption key is neither hex nor base64", wantIs: privacy.ErrKeyEncoding},
		{name: "env too short", env: short, want: "CHATFLOW_ENCRYPTION_KEY: parsing encryption key: decodes to 16 bytes: encryption key must be 32 bytes", wantIs: privacy.ErrKeySize},
		{name: "bad env is not replaced by a good config key", env: short, config: good, wantIs: privacy.ErrKeySize,
			want: "CHATFLOW_ENCRYPTION_KEY: parsing encryption key: decodes to 16 bytes: encryption key must be 32 bytes"},
		{name: "config not a key", config: "hunter2!", want: "encryption_key: parsing encryption key: encryption key is neither hex nor base64", wantIs: privacy.ErrKeyEncoding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CHATFLOW_ENCRYPTION_KEY", tc.env)
			_, err := newApp(t, app.Config{EncryptionKey: tc.config})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tc.want || !errors.Is(err, tc.wantIs) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			for _, secret := range []string{tc.env, tc.config} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("the error reveals the key material %q", secret)
				}
			}
		})
	}
}

func TestNeverBlock(t *testing.T) {
	prefixes := func(ss ...string) []netip.Prefix {
		out := []netip.Prefix{}
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	list := func(ss ...string) *[]string { return &ss }
	for _, tc := range []struct {
		name string
		cfg  *[]string
		want []netip.Prefix
		err  string // the start of the error; the rest is net/netip's
	}{
		{name: "absent: the defaults", cfg: nil, want: ipban.DefaultNeverBlock()},
		{name: "empty: no protection", cfg: list(), want: prefixes()},
		{name: "list", cfg: list("192.0.2.0/24", "2001:db8::/32"), want: prefixes("192.0.2.0/24", "2001:db8::/32")},
		{name: "bad bits", cfg: list("10.0.0.0/8", "10.0.0.0/33"),
			err: `never_block: "10.0.0.0/33": netip.ParsePrefix("10.0.0.0/33"): `},
		{name: "bare address", cfg: list("192.0.2.1"),
			err: `never_block: "192.0.2.1": netip.ParsePrefix("192.0.2.1"): `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := newApp(t, app.Config{NeverBlock: tc.cfg})
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q…", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Blocking.NeverBlock(); !slices.Equal(got, tc.want) {
				t.Errorf("NeverBlock = %v, want %v", got, tc.want)
			}
		})
	}
}

// The never_block setting reaches the ban checks: with the defaults a
// private range cannot be banned; with an empty list it can.
func TestNeverBlockApplies(t *testing.T) {
	ban := func(a *app.App) error {
		_, err := a.Blocking.Create(t.Context(), blocking.NewBlock{Kind: "range", Range: "10.1.0.0/16", Period: blocking.Period{Permanent: true}, ReasonCategory: "spam", Actor: "admin@acme.test"})
		return err
	}
	a, err := newApp(t, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ban(a); !errors.Is(err, ipban.ErrNeverBlock) {
		t.Errorf("banning a private range with the defaults: %v, want ErrNeverBlock", err)
	}
	none := []string{}
	if a, err = newApp(t, app.Config{NeverBlock: &none}); err != nil {
		t.Fatal(err)
	}
	if err := ban(a); err != nil {
		t.Errorf("banning a private range with never_block: []: %v", err)
	}
}
