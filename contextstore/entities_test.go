package contextstore_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
)

// TestLegacyVisitorIPJSON: a context written before addresses were sealed
// had "VisitorIP" in clear; it is read into LegacyVisitorIP (for the
// executor to migrate), and a migrated context writes no such key.
func TestLegacyVisitorIPJSON(t *testing.T) {
	var info contextstore.ConversationInfo
	if err := json.Unmarshal([]byte(`{"ConversationID":"c1","VisitorIP":"203.0.113.7"}`), &info); err != nil {
		t.Fatal(err)
	}
	if info.LegacyVisitorIP != "203.0.113.7" || !info.HasVisitorIP() {
		t.Fatalf("Info = %+v", info)
	}
	info.LegacyVisitorIP, info.VisitorIPCipher, info.VisitorIPHash = "", []byte{1, 2}, "ab"
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"VisitorIP"`) || !strings.Contains(string(b), `"VisitorIPCipher":"AQI="`) {
		t.Errorf("JSON = %s", b)
	}
}
