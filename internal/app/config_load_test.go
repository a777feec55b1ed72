package app_test

import (
	"errors"
	"flag"
	"fmt"
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
		want       string // with PATH for the file's path
		wantIs     error
	}{
		{"unknown key", "blocked_message: hi\nblocked_mesage: x\n",
			`config: PATH:2: unknown key "blocked_mesage" (did you mean "blocked_message"?)`, nil},
		{"misspelt retention", "retension: 7d\n",
			`config: PATH:1: unknown key "retension" (did you mean "retention"?)`, nil},
		{"unknown nested key", "working_hours:\n  timezone: UTC\n",
			`config: PATH:2: unknown key "working_hours.timezone" (did you mean "time_zone"?)`, nil},
		{"unknown key, no suggestion", "redis:\n  flavour: x\n",
			`config: PATH:2: unknown key "redis.flavour"; the keys here are url, addrs, master_name, username, password, password_file, tls, db, pool_size, dial_timeout, read_timeout, write_timeout, key_prefix, refresh_interval, wait_replicas, wait_timeout, wait_turns`, nil},
		{"bad retention", "retention: 7 dayz\n", `config: PATH:1: retention: invalid duration "7 dayz": unknown unit "dayz" (e.g. 90m, 36h, 7d, 1w, 3mo)`, nil},
		{"every problem at once", "blocked_message: x\nconversation_ttl: 1y\nredis:\n  db: zero\n  addrs: {a: b}\n",
			"config: 3 problems:\n  PATH:2: conversation_ttl: invalid duration \"1y\": unknown unit \"y\" (e.g. 90m, 36h, 7d, 1w, 3mo)\n" +
				"  PATH:4: redis.db: want an integer, got \"zero\"\n  PATH:5: redis.addrs: want a list, got a mapping", nil},
		{"bad interval", "working_hours:\n  weekly:\n    monday: [\"9-17\"]\n",
			`config PATH: working_hours: invalid working hours: weekly.monday[0]: "9-17": invalid interval: start "9": want "HH:MM"`, workinghours.ErrInterval},
		{"bad time zone", "working_hours:\n  time_zone: Mars/Olympus\n",
			`config PATH: working_hours: invalid working hours: time_zone: "Mars/Olympus": unknown time zone: unknown time zone Mars/Olympus`, workinghours.ErrTimeZone},
		{"overlap", "working_hours:\n  weekly:\n    monday: [\"09:00-17:00\", \"10:00-11:00\"]\n",
			`config PATH: working_hours: invalid working hours: weekly.monday[1]: "10:00-11:00": overlapping intervals: overlaps weekly.monday[0] "09:00-17:00"`, workinghours.ErrOverlap},
		{"wrong type", "trusted_proxies: 127.0.0.1/32\n",
			`config: PATH:1: trusted_proxies: want a list, got "127.0.0.1/32"`, nil},
		{"not a mapping", "- a\n", `config: PATH:1: want a mapping of keys, got a list`, nil},
		{"syntax", "blocked_message: [\n", "config PATH: yaml: line 1: did not find expected node content", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.body)
			_, err := app.LoadConfig(p)
			if err == nil {
				t.Fatalf("LoadConfig accepted %q", tc.body)
			}
			if want := strings.ReplaceAll(tc.want, "PATH", p); err.Error() != want {
				t.Errorf("err =\n%v\nwant\n%s", err, want)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err does not wrap %v", tc.wantIs)
			}
		})
	}
}

// TestLoadConfigDurations: one grammar for every duration key.
func TestLoadConfigDurations(t *testing.T) {
	c, err := app.LoadConfig(writeConfig(t, "retention: 7d\nconversation_ttl: 1w\nmaintenance_interval: 90m\nsweep_interval: 36h\nredis:\n  read_timeout: 1500ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		key       string
		got, want time.Duration
	}{
		{"retention", time.Duration(c.Retention), 7 * 24 * time.Hour},
		{"conversation_ttl", time.Duration(c.ConversationTTL), 7 * 24 * time.Hour},
		{"maintenance_interval", time.Duration(c.MaintenanceInterval), 90 * time.Minute},
		{"sweep_interval", time.Duration(c.SweepInterval), 36 * time.Hour},
		{"redis.read_timeout", time.Duration(c.Redis.ReadTimeout), 1500 * time.Millisecond},
	} {
		if d.got != d.want {
			t.Errorf("%s = %v, want %v", d.key, d.got, d.want)
		}
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

// TestConfigKeysDocumented: every key of Config has a default and a
// meaning, and the README's configuration table (generated from
// ConfigKeys; go test -run TestConfigTable -update rewrites it) lists every
// key with its environment variable.
func TestConfigTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| key | env | default | meaning |\n|---|---|---|---|\n")
	for _, k := range app.ConfigKeys() {
		if k.Doc == "" || k.Default == "" {
			t.Errorf("%s: no default or meaning in configDocs", k.Key)
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s (%s) |\n", k.Key, k.Env, k.Default, k.Doc, k.Kind)
	}
	const begin, end = "<!-- config-table: generated by go test ./internal/app -run TestConfigTable -update -->\n", "<!-- end config-table -->"
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(readme), begin), strings.Index(string(readme), end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q block", strings.TrimSpace(begin), end)
	}
	got, want := string(readme[i+len(begin):j]), b.String()
	if got == want {
		return
	}
	if *updateTable {
		out := string(readme[:i+len(begin)]) + want + string(readme[j:])
		if err := os.WriteFile("../../README.md", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the README's configuration table is not the generated one (go test ./internal/app -run TestConfigTable -update):\n%s", want)
}

var updateTable = flag.Bool("update", false, "rewrite the README's configuration table")

func TestLoadConfigEnv(t *testing.T) {
	env := map[string]string{
		"CHATFLOW_RETENTION":                   "2w",
		"CHATFLOW_TRUSTED_PROXIES":             "10.0.0.0/8, 192.168.0.0/16",
		"CHATFLOW_REDIS_PASSWORD":              "s3cret",
		"CHATFLOW_REDIS_DB":                    "2",
		"CHATFLOW_WORKING_HOURS_TIME_ZONE":     "UTC",
		"CHATFLOW_WORKING_HOURS_WEEKLY_MONDAY": "09:00-12:00,13:00-17:00",
		"CHATFLOW_WORKING_HOURS_HOLIDAYS":      `[{"date": "2026-12-25", "name": "Christmas"}]`,
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := app.LoadConfigEnv(writeConfig(t, "retention: 1d\nblocked_message: Bye.\nredis:\n  addrs: [h:6379]\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Retention) != 14*24*time.Hour || c.BlockedMessage.For("en") != "Bye." {
		t.Errorf("retention %v, blocked_message %q: the env must win, the file fill in", time.Duration(c.Retention), c.BlockedMessage)
	}
	if !slices.Equal(c.TrustedProxies, []string{"10.0.0.0/8", "192.168.0.0/16"}) || c.Redis.Password != "s3cret" || c.Redis.DB != 2 ||
		!slices.Equal(c.Redis.Addrs, []string{"h:6379"}) {
		t.Errorf("config = %+v", c)
	}
	wh := c.WorkingHours
	if wh.TimeZone != "UTC" || !slices.Equal(wh.Weekly.Monday, []string{"09:00-12:00", "13:00-17:00"}) || len(wh.Holidays) != 1 || wh.Holidays[0].Name != "Christmas" {
		t.Errorf("working_hours = %+v", wh)
	}
	// Without a file, the environment alone.
	c, err = app.LoadConfigEnv("", lookup)
	if err != nil || c.Redis.Password != "s3cret" || len(c.BlockedMessage) != 0 {
		t.Errorf("env only: %+v, %v", c, err)
	}
	env = map[string]string{"CHATFLOW_REDIS_DB": "two", "CHATFLOW_SWEEP_INTERVAL": "90"}
	_, err = app.LoadConfigEnv("", lookup)
	want := "config: 2 problems:\n  sweep_interval (from CHATFLOW_SWEEP_INTERVAL): invalid duration \"90\": 90 has no unit (e.g. 90m, 36h, 7d, 1w, 3mo)\n" +
		"  redis.db (from CHATFLOW_REDIS_DB): want an integer, got \"two\""
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}
