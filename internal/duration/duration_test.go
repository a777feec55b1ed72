package duration_test

import (
	"errors"
	"testing"
	"time"

	"github.com/chatflow/chatflow/internal/duration"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "90m", want: 90 * time.Minute},
		{in: "36h", want: 36 * time.Hour},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1w", want: 7 * 24 * time.Hour},
		{in: "3mo", want: 90 * 24 * time.Hour},
		{in: "1m", want: time.Minute},
		{in: "30s", want: 30 * time.Second},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1.5h", want: 90 * time.Minute},
		{in: " 2 Weeks ", want: 14 * 24 * time.Hour},
		{in: "1 day 12 hours", want: 36 * time.Hour},
		{in: "90 min", want: 90 * time.Minute},
		{in: "0", want: 0},
		{in: "", wantErr: `invalid duration "": empty (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "7", wantErr: `invalid duration "7": 7 has no unit (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "7 days and", wantErr: `invalid duration "7 days and": "and" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "1y", wantErr: `invalid duration "1y": unknown unit "y" (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "-5m", wantErr: `invalid duration "-5m": "-5m" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "1.2.3h", wantErr: `invalid duration "1.2.3h": "1.2.3" is not a number (e.g. 90m, 36h, 7d, 1w, 3mo)`},
		{in: "999999999w", wantErr: `invalid duration "999999999w": too long (e.g. 90m, 36h, 7d, 1w, 3mo)`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := duration.Parse(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, duration.ErrInvalid) {
					t.Fatalf("Parse(%q) = %v, %v; want error %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestParseAcceptsGo: every Go duration a config could hold means the same.
func TestParseAcceptsGo(t *testing.T) {
	for _, s := range []string{"168h", "10m", "1m30s", "3s", "5s", "2h45m", "1.5s", "100us", "1h0m0s"} {
		want, _ := time.ParseDuration(s)
		if got, err := duration.Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{7 * 24 * time.Hour, "1w"}, {2 * 24 * time.Hour, "2d"}, {36 * time.Hour, "36h"},
		{90 * time.Minute, "1h30m"}, {10 * time.Minute, "10m"}, {3 * time.Second, "3s"},
		{90 * time.Second, "1m30s"}, {1500 * time.Millisecond, "1.5s"}, {0, "0s"},
	} {
		if got := duration.Format(tc.d); got != tc.want {
			t.Errorf("Format(%v) = %q, want %q", tc.d, got, tc.want)
		}
		if back, err := duration.Parse(duration.Format(tc.d)); err != nil || back != tc.d {
			t.Errorf("Parse(Format(%v)) = %v, %v", tc.d, back, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"90m", "1 day 12 hours", "1.5h", "3mo", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := duration.Parse(s)
		if err == nil && d < 0 {
			t.Fatalf("Parse(%q) = %v < 0", s, d)
		}
	})
}
