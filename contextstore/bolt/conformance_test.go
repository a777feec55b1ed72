package bolt

import (
	"path/filepath"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) contextstore.Store {
		s, err := Open(filepath.Join(t.TempDir(), "chatflow.db"), Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
