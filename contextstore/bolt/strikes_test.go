package bolt_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
)

// TestStrikesSurviveRestart: the embedded store keeps a subject's strikes
// (the ladder's memory) across a restart of the process.
func TestStrikesSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatflow.db")
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s1", "s2"} {
		if err := s.AddStrike(t.Context(), &contextstore.Strike{ID: id, Subject: "ip:abc", At: at, Kind: "rate"}, 90*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.ListStrikes(t.Context(), "ip:abc", at)
	if err != nil || len(list) != 2 || list[0].ID != "s1" || list[1].Kind != "rate" {
		t.Fatalf("after reopening: %v, %v; want the two strikes", list, err)
	}
}
