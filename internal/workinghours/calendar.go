package workinghours

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // embedded zone database: works without /usr/share/zoneinfo
)

const day = 24 * 60 * 60 // seconds

// Calendar answers whether a helpdesk is open at an instant. It is built by
// New, immutable, and safe for concurrent use. A nil *Calendar is always
// open. *Calendar satisfies the helpdesk actions' one-method Hours interface
// (IsOpen).
type Calendar struct {
	loc      *time.Location
	always   bool
	weekly   [7][]span // by time.Weekday
	holidays map[civil][]span
	lastHol  civil // latest holiday date, zero if none
}

// span is an opening interval in seconds from the local midnight of the day
// it starts on; end > day when it crosses midnight.
type span struct{ start, end int }

// civil is a local calendar date.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

func (c civil) add(days int) civil {
	return civilOf(time.Date(c.y, c.m, c.d+days, 12, 0, 0, 0, time.UTC))
}

func (c civil) weekday() time.Weekday {
	return time.Date(c.y, c.m, c.d, 12, 0, 0, 0, time.UTC).Weekday()
}

func (c civil) before(o civil) bool {
	return c.y < o.y || (c.y == o.y && (c.m < o.m || (c.m == o.m && c.d < o.d)))
}

// New validates cfg and returns its Calendar. Every problem is reported at
// once, in field order, as a *ConfigError wrapping ErrInvalidConfig and one
// *FieldError per problem, e.g.
//
//	weekly.monday[1]: "9:00-17:0": invalid interval: end "17:0": minutes must be two digits
//
// The zero Config is always open (see Config.Weekly for the rule).
func New(cfg Config) (*Calendar, error) {
	var problems []*FieldError
	report := func(path, value string, err error) {
		problems = append(problems, &FieldError{Path: path, Value: value, Err: err})
	}

	c := &Calendar{loc: time.UTC, holidays: map[civil][]span{}}
	if cfg.TimeZone != "" {
		loc, err := time.LoadLocation(cfg.TimeZone)
		if err != nil {
			report("time_zone", cfg.TimeZone, fmt.Errorf("%w: %w", ErrTimeZone, err))
		} else {
			c.loc = loc
		}
	}

	days := []struct {
		name  string
		wd    time.Weekday
		hours []string
	}{
		{"monday", time.Monday, cfg.Weekly.Monday},
		{"tuesday", time.Tuesday, cfg.Weekly.Tuesday},
		{"wednesday", time.Wednesday, cfg.Weekly.Wednesday},
		{"thursday", time.Thursday, cfg.Weekly.Thursday},
		{"friday", time.Friday, cfg.Weekly.Friday},
		{"saturday", time.Saturday, cfg.Weekly.Saturday},
		{"sunday", time.Sunday, cfg.Weekly.Sunday},
	}
	weeklySet := false
	for _, d := range days {
		c.weekly[d.wd] = parseSpans("weekly."+d.name, d.hours, report)
		weeklySet = weeklySet || len(d.hours) > 0
	}
	if !weeklySet {
		for wd := range c.weekly {
			c.weekly[wd] = []span{{0, day}}
		}
	}

	firstSeen := map[civil]int{}
	for i, h := range cfg.Holidays {
		path := fmt.Sprintf("holidays[%d]", i)
		spans := parseSpans(path+".hours", h.Hours, report)
		if strings.TrimSpace(h.Date) == "" {
			report(path+".date", h.Date, fmt.Errorf("%w: a date (YYYY-MM-DD) is required", ErrDate))
			continue
		}
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(h.Date))
		if err != nil {
			report(path+".date", h.Date, fmt.Errorf("%w: want a date as YYYY-MM-DD", ErrDate))
			continue
		}
		d := civilOf(t)
		if j, dup := firstSeen[d]; dup {
			report(path+".date", h.Date, fmt.Errorf("%w: same date as holidays[%d]", ErrDuplicateHoliday, j))
			continue
		}
		firstSeen[d] = i
		c.holidays[d] = spans // nil when closed all day
		if c.lastHol.before(d) {
			c.lastHol = d
		}
	}

	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	c.always = !weeklySet && len(cfg.Holidays) == 0
	return c, nil
}

// parseSpans parses and checks the intervals of one day; problems are
// reported under path[i]. The result is sorted by start.
func parseSpans(path string, hours []string, report func(path, value string, err error)) []span {
	var spans []span
	var from []int // index in hours of each span
	for i, s := range hours {
		p := fmt.Sprintf("%s[%d]", path, i)
		sp, err := parseInterval(s)
		if err != nil {
			report(p, s, err)
			continue
		}
		for k, o := range spans {
			if sp.start < o.end && o.start < sp.end {
				report(p, s, fmt.Errorf("%w: overlaps %s[%d] %q", ErrOverlap, path, from[k], hours[from[k]]))
				break
			}
		}
		spans = append(spans, sp)
		from = append(from, i)
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	return spans
}

// parseInterval parses "HH:MM-HH:MM".
func parseInterval(s string) (span, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return span{}, fmt.Errorf(`%w: want "HH:MM-HH:MM"`, ErrInterval)
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	start, problem := parseClock(a, false)
	if problem != "" {
		return span{}, fmt.Errorf("%w: start %q: %s", ErrInterval, a, problem)
	}
	end, problem := parseClock(b, true)
	if problem != "" {
		return span{}, fmt.Errorf("%w: end %q: %s", ErrInterval, b, problem)
	}
	switch {
	case start == end:
		return span{}, fmt.Errorf(`%w: start equals end; a whole day is "00:00-24:00"`, ErrInterval)
	case end < start:
		end += day // crosses midnight
	}
	return span{start, end}, nil
}

// parseClock parses "H:MM" or "HH:MM" into seconds after midnight ("24:00"
// only when end is true), or says what is wrong with it.
func parseClock(s string, end bool) (sec int, problem string) {
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		return 0, `want "HH:MM"`
	}
	if len(h) < 1 || len(h) > 2 || !digits(h) {
		return 0, "hour must be one or two digits"
	}
	if len(m) != 2 || !digits(m) {
		return 0, "minutes must be two digits"
	}
	hh := atoi(h)
	mm := atoi(m)
	switch {
	case mm > 59:
		return 0, "minutes must be 00-59"
	case hh == 24 && mm == 0 && end:
		return day, ""
	case hh > 23:
		if end {
			return 0, "hour must be 0-23, or 24:00 for the end of the day"
		}
		return 0, "hour must be 0-23"
	}
	return hh*3600 + mm*60, ""
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// Location returns the calendar's time zone (UTC by default).
func (c *Calendar) Location() *time.Location {
	if c == nil {
		return time.UTC
	}
	return c.loc
}

// AlwaysOpen reports whether the calendar has neither weekly hours nor
// holidays, so IsOpen is always true.
func (c *Calendar) AlwaysOpen() bool { return c == nil || c.always }

// spansOn returns the intervals starting on local date d: the holiday's if
// d is a holiday, else the weekday's.
func (c *Calendar) spansOn(d civil) []span {
	if h, ok := c.holidays[d]; ok {
		return h
	}
	return c.weekly[d.weekday()]
}

// IsOpen reports whether the helpdesk is open at t, judged by the wall clock
// in the calendar's time zone: t's local date and time of day are compared
// with the intervals starting that day and with those of the day before
// that cross midnight. On a daylight-saving day an interval therefore lasts
// an hour more or less in real time, and a wall time that occurs twice is
// open both times. A nil Calendar is always open.
func (c *Calendar) IsOpen(t time.Time) bool {
	if c.AlwaysOpen() {
		return true
	}
	lt := t.In(c.loc)
	d := civilOf(lt)
	sec := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
	for _, s := range c.spansOn(d) {
		if s.start <= sec && sec < s.end {
			return true
		}
	}
	for _, s := range c.spansOn(d.add(-1)) {
		if s.end > day && sec < s.end-day {
			return true
		}
	}
	return false
}

// NextOpen returns the first instant at or after t when the helpdesk is
// open: t itself when open, else the start of the next interval (for a start
// that a daylight-saving jump skips, the instant of the jump). The result is
// in the calendar's time zone, for telling customers when to come back. ok
// is false only if the calendar never opens again, which a Calendar built by
// New cannot do (there is a weekly interval every week, or every day is open);
// callers should still handle it.
func (c *Calendar) NextOpen(t time.Time) (next time.Time, ok bool) {
	if c.IsOpen(t) {
		return t.In(c.Location()), true
	}
	d := civilOf(t.In(c.loc))
	limit := d
	if limit.before(c.lastHol) {
		limit = c.lastHol
	}
	limit = limit.add(8)
	for ; !limit.before(d); d = d.add(1) {
		var best time.Time
		for _, s := range c.spansOn(d) {
			for _, cand := range c.wallInstants(d, s.start) {
				if cand.After(t) && (best.IsZero() || cand.Before(best)) && c.IsOpen(cand) {
					best = cand
				}
			}
		}
		if !best.IsZero() {
			return best, true
		}
	}
	return time.Time{}, false
}

// wallInstants returns the instants when the local wall clock of date d
// reaches sec seconds after midnight: one normally; two when that wall time
// occurs twice (clocks turned back); the instant of the jump when it is
// skipped (clocks turned forward).
func (c *Calendar) wallInstants(d civil, sec int) []time.Time {
	want := time.Date(d.y, d.m, d.d, 0, 0, sec, 0, time.UTC)
	cand := time.Date(d.y, d.m, d.d, 0, 0, sec, 0, c.loc)
	wall := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	}
	zoneStart, zoneEnd := cand.ZoneBounds()
	_, off := cand.Zone()
	switch w := wall(cand); {
	case w.After(want): // skipped: the jump is where this zone period starts
		return []time.Time{zoneStart}
	case w.Before(want):
		return []time.Time{zoneEnd}
	}
	out := []time.Time{cand}
	if !zoneStart.IsZero() {
		_, prevOff := zoneStart.Add(-time.Nanosecond).Zone()
		if o := cand.Add(time.Duration(off-prevOff) * time.Second); o.Before(zoneStart) && wall(o).Equal(want) {
			out = append(out, o)
		}
	}
	if !zoneEnd.IsZero() {
		_, nextOff := zoneEnd.Zone()
		if o := cand.Add(time.Duration(off-nextOff) * time.Second); !o.Before(zoneEnd) && wall(o).Equal(want) {
			out = append(out, o)
		}
	}
	return out
}
