package app_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/workinghours"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chatflow.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigExample(t *testing.T) {
	c, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.BlockedMessage.For("en") != "This chat has ended. Thank you for contacting Acme." {
		t.Errorf("BlockedMessage = %q", c.BlockedMessage)
	}
	if time.Duration(c.Retention) != 168*time.Hour {
		t.Errorf("Retention = %v, want 168h", time.Duration(c.Retention))
	}
	wh := c.WorkingHours
	if wh.TimeZone != "Europe/Bucharest" {
		t.Errorf("TimeZone = %q", wh.TimeZone)
	}
	for day, hours := range map[string][]string{
		"monday": wh.Weekly.Monday, "tuesday": wh.Weekly.Tuesday, "wednesday": wh.Weekly.Wednesday,
		"thursday": wh.Weekly.Thursday, "friday": wh.Weekly.Friday,
	} {
		if !slices.Equal(hours, []string{"09:00-17:00"}) {
			t.Errorf("%s = %q, want [09:00-17:00]", day, hours)
		}
	}
	if len(wh.Weekly.Saturday)+len(wh.Weekly.Sunday) != 0 {
		t.Errorf("weekend hours = %q %q, want closed", wh.Weekly.Saturday, wh.Weekly.Sunday)
	}
	if len(wh.Holidays) != 1 || wh.Holidays[0].Date != "2026-12-25" || wh.Holidays[0].Name != "Christmas" || len(wh.Holidays[0].Hours) != 0 {
		t.Errorf("Holidays = %+v", wh.Holidays)
	}
	if len(c.TrustedProxies) != 0 {
		t.Errorf("TrustedProxies = %q, want none", c.TrustedProxies)
	}
	if c.NeverBlock != nil {
		t.Errorf("NeverBlock = %v, want absent (the defaults)", *c.NeverBlock)
	}
	// The calendar it describes: Monday 5 January 2026, 10:00 UTC is 12:00
	// in Bucharest (open); 16:30 UTC is 18:30 (closed).
	cal, err := workinghours.New(wh)
	if err != nil {
		t.Fatal(err)
	}
	if !cal.IsOpen(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)) || cal.IsOpen(time.Date(2026, 1, 5, 16, 30, 0, 0, time.UTC)) {
		t.Errorf("the example calendar is not Monday to Friday 09:00-17:00 in Bucharest")
	}
}

func TestLoadConfigFields(t *testing.T) {
	c, err := app.LoadConfig(writeConfig(t, `
blocked_message: Bye.
encryption_key: "0000000000000000000000000000000000000000000000000000000000000000"
retention: 36h
conversation_ttl: 90m
never_block: [10.0.0.0/8, "2001:db8::/32"]
trusted_proxies: [127.0.0.1/32]
working_hours:
  time_zone: UTC
  weekly:
    saturday: ["10:00-12:00"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.BlockedMessage.For("en") != "Bye." || time.Duration(c.Retention) != 36*time.Hour || time.Duration(c.ConversationTTL) != 90*time.Minute {
		t.Errorf("config = %+v", c)
	}
	if c.EncryptionKey != strings.Repeat("0", 64) {
		t.Errorf("EncryptionKey = %q", c.EncryptionKey)
	}
	if c.NeverBlock == nil || !slices.Equal(*c.NeverBlock, []string{"10.0.0.0/8", "2001:db8::/32"}) {
		t.Errorf("NeverBlock = %v", c.NeverBlock)
	}
	if !slices.Equal(c.TrustedProxies, []string{"127.0.0.1/32"}) {
		t.Errorf("TrustedProxies = %q", c.TrustedProxies)
	}
	if !slices.Equal(c.WorkingHours.Weekly.Saturday, []string{"10:00-12:00"}) || c.WorkingHours.TimeZone != "UTC" {
		t.Errorf("WorkingHours = %+v", c.WorkingHours)
	}
}

// never_block distinguishes "absent" (the defaults) from "empty" (no
// protection): the pointer is nil only when the key is absent or null.
func TestLoadConfigNeverBlock(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       *[]string
	}{
		{"absent", "blocked_message: x\n", nil},
		{"null", "never_block:\n", nil},
		{"empty list", "never_block: []\n", &[]string{}},
		{"list", "never_block: [192.0.2.0/24]\n", &[]string{"192.0.2.0/24"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := app.LoadConfig(writeConfig(t, tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if (c.NeverBlock == nil) != (tc.want == nil) || (tc.want != nil && !slices.Equal(*c.NeverBlock, *tc.want)) {
				t.Errorf("NeverBlock = %v, want %v", c.NeverBlock, tc.want)
			}
		})
	}
}

func TestLoadConfigEmpty(t *testing.T) {
	for _, body := range []string{"", "\n", "# nothing configured yet\n"} {
		c, err := app.LoadConfig(writeConfig(t, body))
		if err != nil {
			t.Errorf("LoadConfig(%q) = %v, want the zero config", body, err)
		}
		if c.BlockedMessage.For("en") != "" || c.Retention != 0 || c.NeverBlock != nil || c.WorkingHours.TimeZone != "" {
			t.Errorf("LoadConfig(%q) = %+v, want the zero config", body, c)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string // after "config PATH: "
		wantIs     error
	}{
		{"unknown key", "blocked_message: hi\nblocked_mesage: x\n",
			"yaml: unmarshal errors:\n  line 2: field blocked_mesage not found in type app.Config", nil},
		{"unknown nested key", "working_hours:\n  timezone: UTC\n",
			"yaml: unmarshal errors:\n  line 2: field timezone not found in type workinghours.Config", nil},
		{"bad retention", "retention: 7 days\n", `line 1: invalid duration "7 days" (use e.g. 90m, 24h)`, nil},
		{"bad conversation_ttl", "blocked_message: x\nconversation_ttl: 1d\n", `line 2: invalid duration "1d" (use e.g. 90m, 24h)`, nil},
		{"bad interval", "working_hours:\n  weekly:\n    monday: [\"9-17\"]\n",
			`working_hours: invalid working hours: weekly.monday[0]: "9-17": invalid interval: start "9": want "HH:MM"`, workinghours.ErrInterval},
		{"bad time zone", "working_hours:\n  time_zone: Mars/Olympus\n",
			`working_hours: invalid working hours: time_zone: "Mars/Olympus": unknown time zone: unknown time zone Mars/Olympus`, workinghours.ErrTimeZone},
		{"overlap", "working_hours:\n  weekly:\n    monday: [\"09:00-17:00\", \"10:00-11:00\"]\n",
			`working_hours: invalid working hours: weekly.monday[1]: "10:00-11:00": overlapping intervals: overlaps weekly.monday[0] "09:00-17:00"`, workinghours.ErrOverlap},
		{"wrong type", "trusted_proxies: 127.0.0.1/32\n",
			"yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `127.0.0...` into []string", nil},
		{"syntax", "blocked_message: [\n", "yaml: line 1: did not find expected node content", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.body)
			_, err := app.LoadConfig(p)
			if err == nil {
				t.Fatalf("LoadConfig accepted %q", tc.body)
			}
			if want := "config " + p + ": " + tc.want; err.Error() != want {
				t.Errorf("err =\n%v\nwant\n%s", err, want)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err does not wrap %v", tc.wantIs)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.yaml")
	_, err := app.LoadConfig(p)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "reading config: ") || !strings.Contains(err.Error(), p) {
		t.Errorf("err = %v, want a reading error naming %s", err, p)
	}
}

// TestVisitorSecret: visitor_token_secret is read from the file, and
// CHATFLOW_VISITOR_TOKEN_SECRET overrides it.
func TestVisitorSecret(t *testing.T) {
	c, err := app.LoadConfig(writeConfig(t, "visitor_token_secret: from-file\n"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHATFLOW_VISITOR_TOKEN_SECRET", "")
	if got := c.VisitorSecret(); got != "from-file" {
		t.Errorf("VisitorSecret() = %q, want from-file", got)
	}
	t.Setenv("CHATFLOW_VISITOR_TOKEN_SECRET", "from-env")
	if got := c.VisitorSecret(); got != "from-env" {
		t.Errorf("VisitorSecret() with the env = %q, want from-env", got)
	}
	if got := (app.Config{}).VisitorSecret(); got != "from-env" {
		t.Errorf("zero Config VisitorSecret() with the env = %q, want from-env", got)
	}
}
