// Package workinghours is the working-hours calendar behind the
// HelpdeskClient.IsOutsideWorkingHours state: whether a helpdesk is open at
// an instant, and when it opens next (to tell customers when to come back).
//
// A Config (YAML or JSON, lower snake_case keys) names a time zone, weekly
// opening intervals per weekday ("09:00-17:00", possibly crossing midnight:
// "22:00-02:00") and dated holidays, each closed all day or with its own
// intervals (a half day). New validates everything and reports every problem
// at once, each with its field path and value:
//
//	weekly.monday[1]: "9:00-17:0": invalid interval: end "17:0": minutes must be two digits
//
// Decisions:
//
//   - The zero Config is always open; a calendar with holidays but no
//     weekly intervals is open around the clock except on holidays. Once any
//     weekday has intervals, a weekday without them is closed.
//   - Time zone default is UTC. Intervals are local wall-clock times, so on
//     a daylight-saving switch day "09:00-17:00" still means 09:00 to 17:00 on
//     the office clock (7 or 9 real hours on a night interval); a wall time
//     that occurs twice is open both times; an interval whose start is
//     skipped by the jump opens at the jump.
//   - Intervals are start-inclusive, end-exclusive, minute precision;
//     "24:00" is the end of a day. The part of an interval after midnight
//     belongs to the day it started on: a holiday cancels its own night shift
//     including the hours past midnight, and does not cancel the previous
//     day's.
//   - Holidays are explicit dates, not recurring rules: yearly holidays
//     move (Easter) and differ by country, so the config lists them per year.
//   - The clock is always passed in (IsOpen(t), NextOpen(t)); nothing here
//     reads time.Now.
//
// The package imports time/tzdata, which embeds the IANA time zone database
// (about 450 KB) in the binary, so time zones load on machines and
// containers without /usr/share/zoneinfo. A system database, when present,
// still takes precedence, as time.LoadLocation always does.
//
// A Calendar is immutable and safe for concurrent use.
package workinghours
