package workinghours

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func mustNew(t testing.TB, cfg Config) *Calendar {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// bucharest is the calendar most tests use.
var bucharest = Config{
	TimeZone: "Europe/Bucharest",
	Weekly: Weekly{
		Monday:    []string{"09:00-17:00"},
		Tuesday:   []string{"09:00-12:00", "13:00-17:00"},
		Wednesday: []string{"09:00-17:00"},
		Thursday:  []string{"09:00-17:00"},
		Friday:    []string{"09:00-17:00", "22:00-02:00"},
		Saturday:  []string{"10:00 - 14:00"},
	},
	Holidays: []Holiday{
		{Date: "2026-12-24", Name: "Christmas Eve", Hours: []string{"09:00-13:00"}},
		{Date: "2026-12-25", Name: "Christmas"},
		{Date: "2026-12-26", Name: "Boxing Day"},
		{Date: "2026-12-31", Name: "New Year's Eve", Hours: []string{"23:00-01:00"}},
		{Date: "2026-03-07", Name: "a closed Saturday after a night shift"},
		{Date: "2026-03-13", Name: "a Friday without night shift", Hours: []string{"09:00-17:00"}},
	},
}

func TestIsOpen(t *testing.T) {
	cal := mustNew(t, bucharest)
	loc := mustLoc(t, "Europe/Bucharest")
	if wd := time.Date(2026, 3, 2, 0, 0, 0, 0, loc).Weekday(); wd != time.Monday {
		t.Fatalf("2026-03-02 is %v; the table below assumes Monday", wd)
	}
	tests := []struct {
		name string
		at   string // local time in Europe/Bucharest
		want bool
	}{
		{"monday before opening", "2026-03-02 08:59:59", false},
		{"monday opening is inclusive", "2026-03-02 09:00:00", true},
		{"monday midday", "2026-03-02 12:30:00", true},
		{"monday last second", "2026-03-02 16:59:59", true},
		{"monday closing is exclusive", "2026-03-02 17:00:00", false},
		{"tuesday lunch break", "2026-03-03 12:30:00", false},
		{"tuesday afternoon", "2026-03-03 13:00:00", true},
		{"friday evening gap", "2026-03-13 21:00:00", false},
		{"friday night shift", "2026-03-06 23:30:00", true},
		{"night shift continues after midnight on a holiday", "2026-03-07 01:59:00", true},
		{"night shift ends", "2026-03-07 02:00:00", false},
		{"holiday saturday closed", "2026-03-07 11:00:00", false},
		{"normal saturday", "2026-03-14 11:00:00", true},
		{"holiday with hours drops the night shift", "2026-03-13 23:00:00", false},
		{"no spill from the holiday-with-hours friday", "2026-03-14 01:00:00", false},
		{"sunday closed", "2026-03-08 11:00:00", false},
		{"christmas eve half day", "2026-12-24 12:59:00", true},
		{"christmas eve afternoon", "2026-12-24 13:00:00", false},
		{"christmas closed", "2026-12-25 10:00:00", false},
		{"new year's eve late", "2026-12-31 23:30:00", true},
		{"new year's day spill", "2027-01-01 00:30:00", true},
		{"new year's day after spill", "2027-01-01 01:00:00", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, err := time.ParseInLocation(time.DateTime, tc.at, loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := cal.IsOpen(at); got != tc.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.want)
			}
			// The instant matters, not the location it is expressed in.
			if got := cal.IsOpen(at.UTC()); got != tc.want {
				t.Errorf("IsOpen(%s as UTC) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestIsOpenDST(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Europe/Bucharest: 2026-03-29 03:00 EET (+2) -> 04:00 EEST (+3);
	// 2026-10-25 04:00 EEST -> 03:00 EET. Both are Sundays.
	buc := mustNew(t, Config{TimeZone: "Europe/Bucharest", Weekly: Weekly{Sunday: []string{"09:00-17:00"}, Saturday: []string{"23:00-03:30"}}})
	// America/New_York: 2026-03-08 02:00 EST (-5) -> 03:00 EDT (-4);
	// 2026-11-01 02:00 EDT -> 01:00 EST.
	nyc := mustNew(t, Config{TimeZone: "America/New_York", Weekly: Weekly{Sunday: []string{"01:30-02:30", "09:00-17:00"}}})
	tests := []struct {
		name string
		cal  *Calendar
		at   string // UTC
		want bool
	}{
		{"bucharest spring: 09:00 EEST is 06:00 UTC", buc, "2026-03-29 06:00:00", true},
		{"bucharest spring: 05:59 UTC is 08:59 EEST", buc, "2026-03-29 05:59:00", false},
		{"bucharest spring: 16:59 EEST", buc, "2026-03-29 13:59:00", true},
		{"bucharest spring: 17:00 EEST is 14:00 UTC", buc, "2026-03-29 14:00:00", false},
		{"bucharest spring: night shift until 03:00 EET jump", buc, "2026-03-29 00:59:00", true},
		{"bucharest spring: after the jump it is 04:00, past 03:30", buc, "2026-03-29 01:00:00", false},
		{"bucharest autumn: 09:00 EET is 07:00 UTC", buc, "2026-10-25 07:00:00", true},
		{"bucharest autumn: 06:59 UTC is 08:59 EET", buc, "2026-10-25 06:59:00", false},
		{"bucharest autumn: 17:00 EET is 15:00 UTC", buc, "2026-10-25 15:00:00", false},
		{"bucharest autumn: night shift 03:29 EEST", buc, "2026-10-25 00:29:00", true},
		{"bucharest autumn: 03:30 EEST closes", buc, "2026-10-25 00:30:00", false},
		{"bucharest autumn: at 04:00 EEST clocks go back to 03:00 EET, open again", buc, "2026-10-25 01:00:00", true},
		{"bucharest autumn: 03:30 EET closes again", buc, "2026-10-25 01:30:00", false},
		{"nyc spring: 01:30 EST open", nyc, "2026-03-08 06:30:00", true},
		{"nyc spring: 03:00 EDT right after the jump is past 02:30", nyc, "2026-03-08 07:00:00", false},
		{"nyc spring: 09:00 EDT is 13:00 UTC", nyc, "2026-03-08 13:00:00", true},
		{"nyc spring: 12:59 UTC is 08:59 EDT", nyc, "2026-03-08 12:59:00", false},
		{"nyc autumn: 01:30 EDT open", nyc, "2026-11-01 05:30:00", true},
		{"nyc autumn: 01:30 EST (second time) open too", nyc, "2026-11-01 06:30:00", true},
		{"nyc autumn: 02:30 EST closed", nyc, "2026-11-01 07:30:00", false},
		{"nyc autumn: 09:00 EST is 14:00 UTC", nyc, "2026-11-01 14:00:00", true},
		{"nyc autumn: 13:59 UTC is 08:59 EST", nyc, "2026-11-01 13:59:00", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.IsOpen(utc(tc.at)); got != tc.want {
				t.Errorf("IsOpen(%s UTC = %s) = %v, want %v", tc.at, utc(tc.at).In(tc.cal.Location()).Format(time.DateTime+" MST"), got, tc.want)
			}
		})
	}
}

func TestNextOpen(t *testing.T) {
	cal := mustNew(t, bucharest)
	loc := mustLoc(t, "Europe/Bucharest")
	nyc := mustNew(t, Config{TimeZone: "America/New_York", Weekly: Weekly{Sunday: []string{"02:30-04:00", "09:00-17:00"}}})
	nyLoc := mustLoc(t, "America/New_York")
	tests := []struct {
		name     string
		cal      *Calendar
		loc      *time.Location
		at, want string // local
	}{
		{"open now returns now", cal, loc, "2026-03-02 10:15:30", "2026-03-02 10:15:30"},
		{"early morning", cal, loc, "2026-03-02 06:00:00", "2026-03-02 09:00:00"},
		{"after closing: next morning", cal, loc, "2026-03-02 17:00:00", "2026-03-03 09:00:00"},
		{"lunch break", cal, loc, "2026-03-03 12:00:00", "2026-03-03 13:00:00"},
		{"friday evening: night shift", cal, loc, "2026-03-06 18:00:00", "2026-03-06 22:00:00"},
		{"after night shift on holiday saturday: monday", cal, loc, "2026-03-07 02:00:00", "2026-03-09 09:00:00"},
		{"saturday afternoon: monday", cal, loc, "2026-03-14 14:00:00", "2026-03-16 09:00:00"},
		{"christmas eve afternoon: after two holidays, monday", cal, loc, "2026-12-24 13:00:00", "2026-12-28 09:00:00"},
		{"new year's eve afternoon: 23:00", cal, loc, "2026-12-31 12:00:00", "2026-12-31 23:00:00"},
		{"nyc spring: start 02:30 skipped, opens at the jump 03:00 EDT", nyc, nyLoc, "2026-03-08 00:00:00", "2026-03-08 03:00:00"},
		{"nyc spring: after 04:00", nyc, nyLoc, "2026-03-08 04:00:00", "2026-03-08 09:00:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, _ := time.ParseInLocation(time.DateTime, tc.at, tc.loc)
			want, _ := time.ParseInLocation(time.DateTime, tc.want, tc.loc)
			got, ok := tc.cal.NextOpen(at)
			if !ok || !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, %v; want %s", tc.at, got.Format(time.DateTime+" MST"), ok, tc.want)
			}
			if ok && got.Location() != tc.loc && got.Location().String() != tc.loc.String() {
				t.Errorf("NextOpen location = %v, want %v", got.Location(), tc.loc)
			}
		})
	}

	// Autumn in New York (2026-11-01, a Sunday) repeats 01:00-02:00: an
	// interval inside the repeated hour opens at its first occurrence, and
	// again at its second.
	rep := mustNew(t, Config{TimeZone: "America/New_York", Weekly: Weekly{Sunday: []string{"01:15-01:45"}}})
	first := time.Date(2026, 11, 1, 5, 15, 0, 0, time.UTC)  // 01:15 EDT
	second := time.Date(2026, 11, 1, 6, 15, 0, 0, time.UTC) // 01:15 EST
	if got, _ := rep.NextOpen(first.Add(-time.Hour)); !got.Equal(first) {
		t.Errorf("NextOpen before the repeated hour = %v, want %v", got, first)
	}
	if got, _ := rep.NextOpen(first.Add(31 * time.Minute)); !got.Equal(second) {
		t.Errorf("NextOpen between the two occurrences = %v, want %v", got.UTC(), second)
	}
}

// TestNextOpenBruteForce checks NextOpen against a minute-by-minute scan
// around daylight-saving switches and holidays.
func TestNextOpenBruteForce(t *testing.T) {
	cals := []*Calendar{
		mustNew(t, bucharest),
		mustNew(t, Config{TimeZone: "Europe/Bucharest", Weekly: Weekly{Sunday: []string{"03:30-03:40", "22:00-03:15"}, Wednesday: []string{"00:00-24:00"}}}),
		mustNew(t, Config{TimeZone: "America/New_York", Weekly: Weekly{Sunday: []string{"01:15-01:45", "02:10-02:20"}, Saturday: []string{"23:00-02:05"}}}),
	}
	starts := []time.Time{
		time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 23, 0, 0, 0, 0, time.UTC),
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for ci, cal := range cals {
		for _, s := range starts {
			for range 40 {
				at := s.Add(time.Duration(rng.Int64N(int64(4 * 24 * time.Hour))))
				got, ok := cal.NextOpen(at)
				want, wantOK := scan(cal, at)
				if ok != wantOK || !got.Equal(want) {
					t.Fatalf("calendar %d: NextOpen(%v) = %v, %v; scan says %v, %v", ci, at, got.UTC(), ok, want.UTC(), wantOK)
				}
			}
		}
	}
}

// scan finds the first open instant at or after at, minute by minute (all
// interval bounds and zone transitions fall on whole minutes).
func scan(cal *Calendar, at time.Time) (time.Time, bool) {
	if cal.IsOpen(at) {
		return at, true
	}
	m := at.Truncate(time.Minute).Add(time.Minute)
	for range 14 * 24 * 60 {
		if cal.IsOpen(m) {
			return m, true
		}
		m = m.Add(time.Minute)
	}
	return time.Time{}, false
}

func TestAlwaysOpen(t *testing.T) {
	at := time.Date(2026, 12, 25, 3, 0, 0, 0, time.UTC)
	var nilCal *Calendar
	for name, cal := range map[string]*Calendar{
		"zero config":    mustNew(t, Config{}),
		"time zone only": mustNew(t, Config{TimeZone: "Europe/Bucharest"}),
		"nil calendar":   nilCal,
	} {
		if !cal.IsOpen(at) || !cal.AlwaysOpen() {
			t.Errorf("%s: not always open", name)
		}
		if next, ok := cal.NextOpen(at); !ok || !next.Equal(at) {
			t.Errorf("%s: NextOpen = %v, %v", name, next, ok)
		}
	}
	if mustNew(t, Config{}).Location() != time.UTC || nilCal.Location() != time.UTC {
		t.Error("default location is not UTC")
	}

	// Holidays only: open around the clock except on holidays.
	hol := mustNew(t, Config{TimeZone: "UTC", Holidays: []Holiday{{Date: "2026-12-25"}, {Date: "2026-12-26", Hours: []string{"10:00-12:00"}}}})
	if hol.AlwaysOpen() || hol.IsOpen(at) || !hol.IsOpen(at.Add(-24*time.Hour)) || !hol.IsOpen(at.Add(31*time.Hour)) || hol.IsOpen(at.Add(29*time.Hour)) {
		t.Error("holiday-only calendar wrong")
	}
	if next, _ := hol.NextOpen(at); !next.Equal(time.Date(2026, 12, 26, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("holiday-only NextOpen = %v", next)
	}
	if next, _ := hol.NextOpen(at.Add(33 * time.Hour)); !next.Equal(time.Date(2026, 12, 27, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("holiday-only NextOpen after the half day = %v", next)
	}
}

func TestNewErrors(t *testing.T) {
	cfg := Config{
		TimeZone: "Europe/Bucharestt",
		Weekly: Weekly{
			Monday:    []string{"09:00-12:00", "9:00-17:0"},
			Tuesday:   []string{"9-17", "08:00-08:00", "25:00-26:00", "10:00-24:30"},
			Wednesday: []string{"09:00-12:00", "11:00-13:00", "12:00-12:30"},
			Thursday:  []string{"24:00-02:00", "09:60-10:00", "009:00-10:00", "22:00-02:00", "01:00-03:00"},
			// Not overlapping: the crossing interval's second part is on Saturday.
			Friday: []string{"17:00-09:00", "08:00-10:00"},
		},
		Holidays: []Holiday{
			{Date: "2026-12-25"},
			{Date: "2026-13-01"},
			{Date: ""},
			{Date: "2026-12-25", Hours: []string{"10:00"}},
		},
	}
	want := `invalid working hours (15 problems):
	time_zone: "Europe/Bucharestt": unknown time zone: unknown time zone Europe/Bucharestt
	weekly.monday[1]: "9:00-17:0": invalid interval: end "17:0": minutes must be two digits
	weekly.tuesday[0]: "9-17": invalid interval: start "9": want "HH:MM"
	weekly.tuesday[1]: "08:00-08:00": invalid interval: start equals end; a whole day is "00:00-24:00"
	weekly.tuesday[2]: "25:00-26:00": invalid interval: start "25:00": hour must be 0-23
	weekly.tuesday[3]: "10:00-24:30": invalid interval: end "24:30": hour must be 0-23, or 24:00 for the end of the day
	weekly.wednesday[1]: "11:00-13:00": overlapping intervals: overlaps weekly.wednesday[0] "09:00-12:00"
	weekly.wednesday[2]: "12:00-12:30": overlapping intervals: overlaps weekly.wednesday[1] "11:00-13:00"
	weekly.thursday[0]: "24:00-02:00": invalid interval: start "24:00": hour must be 0-23
	weekly.thursday[1]: "09:60-10:00": invalid interval: start "09:60": minutes must be 00-59
	weekly.thursday[2]: "009:00-10:00": invalid interval: start "009:00": hour must be one or two digits
	holidays[1].date: "2026-13-01": invalid date: want a date as YYYY-MM-DD
	holidays[2].date: "": invalid date: a date (YYYY-MM-DD) is required
	holidays[3].hours[0]: "10:00": invalid interval: want "HH:MM-HH:MM"
	holidays[3].date: "2026-12-25": duplicate holiday: same date as holidays[0]`
	cal, err := New(cfg)
	if err == nil {
		t.Fatalf("New = %v, want error", cal)
	}
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	for _, target := range []error{ErrInvalidConfig, ErrTimeZone, ErrInterval, ErrOverlap, ErrDate, ErrDuplicateHoliday} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(err, %v) = false", target)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "time_zone" {
		t.Errorf("errors.As FieldError = %+v", fe)
	}

	_, err = New(Config{Weekly: Weekly{Monday: []string{"9:00-17:0"}}})
	if want := `invalid working hours: weekly.monday[0]: "9:00-17:0": invalid interval: end "17:0": minutes must be two digits`; err == nil || err.Error() != want {
		t.Errorf("single problem: %v\nwant %s", err, want)
	}
}

func TestNewAccepts(t *testing.T) {
	cal := mustNew(t, Config{Weekly: Weekly{
		Monday:  []string{"9:00-12:00", " 12:00 - 13:00 ", "22:00-24:00"},
		Tuesday: []string{"00:00-24:00"},
		Sunday:  []string{"23:30-00:30"},
	}})
	for at, want := range map[string]bool{
		"2026-03-02 09:00:00": true, "2026-03-02 12:00:00": true, "2026-03-02 13:00:00": false, "2026-03-02 23:59:59": true,
		"2026-03-03 00:00:00": true, "2026-03-03 23:59:59": true, "2026-03-04 00:00:00": false,
		"2026-03-01 23:30:00": true, "2026-03-02 00:29:59": true, "2026-03-02 00:30:00": false,
	} {
		ts, _ := time.Parse(time.DateTime, at)
		if got := cal.IsOpen(ts); got != want {
			t.Errorf("IsOpen(%s) = %v, want %v", at, got, want)
		}
	}
}

func TestConfigJSON(t *testing.T) {
	const doc = `{
		"time_zone": "Europe/Bucharest",
		"weekly": {"monday": ["09:00-17:00"], "friday": ["09:00-17:00", "22:00-02:00"]},
		"holidays": [{"date": "2026-12-24", "name": "Christmas Eve", "hours": ["09:00-13:00"]}, {"date": "2026-12-25"}]
	}`
	var cfg Config
	dec := json.NewDecoder(stringsReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.TimeZone != "Europe/Bucharest" || len(cfg.Weekly.Friday) != 2 || cfg.Holidays[0].Name != "Christmas Eve" || cfg.Holidays[1].Hours != nil {
		t.Fatalf("decoded %+v", cfg)
	}
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Config{})
	if string(b) != `{}` {
		t.Errorf("zero Config marshals to %s", b)
	}
}
