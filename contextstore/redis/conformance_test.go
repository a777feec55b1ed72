package redisstore_test

import (
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
	"github.com/chatflow/chatflow/contextstore/storetest"
)

// TestConformance runs the conformance suite against every deployment the
// environment names (standalone and cluster); each store gets a key prefix
// of its own and its keys are deleted afterwards.
func TestConformance(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		storetest.Run(t, func(t *testing.T) contextstore.Store {
			return newStore(t, tg, redisstore.Options{})
		})
	})
}
