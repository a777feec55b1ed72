package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"Name", "Nmae", 1}, {"kitten", "sitting", 3}, {"same", "same", 0},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"ConnectToHelpdeskAgent", "HelpdeskClient.IsBlockedForLiveChat", "greet"}
	for _, tc := range []struct {
		name string
		max  int
		want string
	}{
		{"ConnectToHelpdesk", 8, "ConnectToHelpdeskAgent"},
		{"connecttohelpdeskagent", 1, "ConnectToHelpdeskAgent"},
		{"gret", 1, "greet"},
		{"greet", 3, ""}, // equal names are not suggestions
		{"xyz", 1, ""},
	} {
		if got := Closest(tc.name, names, tc.max); got != tc.want {
			t.Errorf("Closest(%q, %d) = %q, want %q", tc.name, tc.max, got, tc.want)
		}
	}
}
