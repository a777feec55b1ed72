package blocking_test

import (
	"errors"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/blocking"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in      string
		want    blocking.Period
		wantErr string
	}{
		{in: "1h", want: blocking.Period{Minutes: 60}},
		{in: "1d", want: blocking.Period{Minutes: 1440}},
		{in: "1w", want: blocking.Period{Minutes: 10080}},
		{in: "7d", want: blocking.Period{Minutes: 10080}},
		{in: "1mo", want: blocking.Period{Minutes: 43200}},
		{in: "1m", want: blocking.Period{Minutes: 1}},
		{in: "90m", want: blocking.Period{Minutes: 90}},
		{in: "36h", want: blocking.Period{Minutes: 36 * 60}},
		{in: "1h30m", want: blocking.Period{Minutes: 90}},
		{in: "permanent", want: blocking.Period{Permanent: true}},
		{in: " Permanent ", want: blocking.Period{Permanent: true}},
		{in: "1 hour", want: blocking.Period{Minutes: 60}},
		{in: "1 day", want: blocking.Period{Minutes: 1440}},
		{in: "1 week", want: blocking.Period{Minutes: 10080}},
		{in: "7 days", want: blocking.Period{Minutes: 10080}},
		{in: "1 Month", want: blocking.Period{Minutes: 43200}},
		{in: "90", want: blocking.Period{Minutes: 90}},
		{in: "90min", want: blocking.Period{Minutes: 90}},
		{in: "90 minutes", want: blocking.Period{Minutes: 90}},
		{in: "2h", want: blocking.Period{Minutes: 120}},
		{in: "3mo", want: blocking.Period{Minutes: 3 * 43200}},
		{in: "5256000", want: blocking.Period{Minutes: blocking.MaxMinutes}},

		{in: "", wantErr: `invalid input: period: empty; use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90`},
		{in: "soon", wantErr: `invalid input: period: "soon" is not a period: "soon" is not a number; use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90`},
		{in: "-5", wantErr: `invalid input: period: "-5" is not a period: "-5" is not a number; use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90`},
		{in: "2x", wantErr: `invalid input: period: "2x" is not a period: unknown unit "x"; use 1h, 1d, 1w, 7d, 1mo (30 days), permanent, a duration such as 90m or 36h, or minutes such as 90`},
		{in: "90s", wantErr: `invalid input: period: "90s" is not a whole number of minutes; a block lasts whole minutes`},
		{in: "0", wantErr: `invalid input: period: "0" is zero; a block lasts at least 1 minute`},
		{in: "0h", wantErr: `invalid input: period: "0h" is zero; a block lasts at least 1 minute`},
		{in: "5256001", wantErr: `invalid input: period: "5256001" is too long; the longest custom period is 5256000 minutes (10 years), use permanent beyond`},
		{in: "122mo", wantErr: `invalid input: period: "122mo" is too long; the longest custom period is 5256000 minutes (10 years), use permanent beyond`},
		{in: "99999999999999999999", wantErr: `invalid input: period: "99999999999999999999" is too long; the longest custom period is 5256000 minutes (10 years), use permanent beyond`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := blocking.ParsePeriod(tc.in)
			if errText(err) != tc.wantErr {
				t.Fatalf("error:\n got %q\nwant %q", errText(err), tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, blocking.ErrInvalid) {
					t.Errorf("error %v does not wrap ErrInvalid", err)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPeriodStringRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		p    blocking.Period
		want string
	}{
		{blocking.Period{Minutes: 60}, "1h"},
		{blocking.Period{Minutes: 1440}, "1d"},
		{blocking.Period{Minutes: 10080}, "7d"},
		{blocking.Period{Minutes: 20160}, "2w"},
		{blocking.Period{Minutes: 43200}, "1mo"},
		{blocking.Period{Minutes: 1}, "1m"},
		{blocking.Period{Minutes: 86400}, "2mo"},
		{blocking.Period{Minutes: 90}, "90m"},
		{blocking.Period{Permanent: true}, "permanent"},
		{blocking.Period{}, "invalid"},
		{blocking.Period{Minutes: 5, Permanent: true}, "invalid"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.p, got, tc.want)
		}
		if tc.want == "invalid" {
			continue
		}
		back, err := blocking.ParsePeriod(tc.want)
		if err != nil || back != tc.p {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", tc.want, back, err, tc.p)
		}
	}
}

// TestCreatePresets creates a ban with every preset, a custom period and a
// permanent one, and checks its end.
func TestCreatePresets(t *testing.T) {
	e := newEnv(t)
	presets := blocking.Presets()
	if len(presets) != 6 {
		t.Fatalf("got %d presets", len(presets))
	}
	cases := map[string]time.Duration{
		"1h": time.Hour, "1d": 24 * time.Hour, "1w": 7 * 24 * time.Hour, "7d": 7 * 24 * time.Hour,
		"1mo": 30 * 24 * time.Hour, "90": 90 * time.Minute, "90m": 90 * time.Minute, "permanent": 0,
	}
	i := 0
	for in, d := range cases {
		p, err := blocking.ParsePeriod(in)
		if err != nil {
			t.Fatal(err)
		}
		i++
		b := e.create(t, blocking.NewBlock{UserID: "u-" + in, Period: p})
		switch {
		case d == 0 && b.Until != nil:
			t.Errorf("%s: Until = %v, want permanent", in, b.Until)
		case d != 0 && (b.Until == nil || !b.Until.Equal(t0.Add(d))):
			t.Errorf("%s: Until = %v, want %v", in, b.Until, t0.Add(d))
		}
		if !b.CreatedAt.Equal(t0) {
			t.Errorf("%s: CreatedAt = %v", in, b.CreatedAt)
		}
	}
	for _, p := range presets {
		back, err := blocking.ParsePeriod(p.Name)
		if err != nil || back != p.Period {
			t.Errorf("preset %s: ParsePeriod = %+v, %v", p.Name, back, err)
		}
	}
}
