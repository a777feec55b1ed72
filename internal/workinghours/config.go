package workinghours

// Config is the working-hours configuration of a helpdesk, as it appears in
// YAML or JSON. The zero Config is valid and means always open.
type Config struct {
	// TimeZone is the IANA name the hours are read in, e.g.
	// "Europe/Bucharest". Default "UTC".
	TimeZone string `json:"time_zone,omitempty" yaml:"time_zone,omitempty"`
	// Weekly are the regular opening hours per weekday. If no day has any
	// interval, every day is open around the clock (holidays still apply);
	// otherwise a day without intervals is closed.
	Weekly Weekly `json:"weekly,omitzero" yaml:"weekly,omitempty"`
	// Holidays replace the weekly hours on their dates.
	Holidays []Holiday `json:"holidays,omitempty" yaml:"holidays,omitempty"`
}

// Weekly holds the opening intervals of each weekday, in local wall-clock
// time of the calendar's time zone. An interval is "HH:MM-HH:MM" (hours may
// have one digit, minutes two; spaces around '-' are allowed): the start is
// inclusive, the end exclusive, "24:00" is the end of the day, and an
// interval whose end is before its start crosses midnight ("22:00-02:00" on
// Monday is open Monday 22:00 to Tuesday 02:00: the part after midnight
// belongs to Monday, so it follows Monday's holiday status, not Tuesday's).
// Intervals of one day must not overlap; "00:00-24:00" is a whole day.
type Weekly struct {
	Monday    []string `json:"monday,omitempty" yaml:"monday,omitempty"`
	Tuesday   []string `json:"tuesday,omitempty" yaml:"tuesday,omitempty"`
	Wednesday []string `json:"wednesday,omitempty" yaml:"wednesday,omitempty"`
	Thursday  []string `json:"thursday,omitempty" yaml:"thursday,omitempty"`
	Friday    []string `json:"friday,omitempty" yaml:"friday,omitempty"`
	Saturday  []string `json:"saturday,omitempty" yaml:"saturday,omitempty"`
	Sunday    []string `json:"sunday,omitempty" yaml:"sunday,omitempty"`
}

// Holiday is a date whose hours replace the weekly ones.
type Holiday struct {
	// Date is the local date, "2026-12-25" (required). It is one date, not
	// recurring: list each year's holidays.
	Date string `json:"date" yaml:"date"`
	// Name is for people ("Christmas"); optional.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Hours are the intervals the helpdesk is open that day, in the Weekly
	// format (a half day: ["09:00-13:00"]); empty means closed all day.
	Hours []string `json:"hours,omitempty" yaml:"hours,omitempty"`
}
