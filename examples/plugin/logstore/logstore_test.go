package logstore_test

import (
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/storetest"

	"example.com/chatflow-plugin/logstore"
)

// TestConformance: the backend passes chatflow's store conformance suite.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) contextstore.Store { return logstore.New(nil) })
}
