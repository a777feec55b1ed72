package redisstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
)

// TestUnconfirmedWrite: on servers without replicas (the CI targets), a
// store told to wait for one reports every durable write as unavailable
// (not acknowledged), turns too only with Durability.Turns, and its health
// as degraded; Connect's automatic setting does not wait there at all.
func TestUnconfirmedWrite(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg target) {
		ctx := t.Context()
		s := newStore(t, tg, redisstore.Options{Durability: redisstore.Durability{Replicas: 1, Timeout: 50 * time.Millisecond}})
		start := time.Now()
		err := s.CreateBlock(ctx, &contextstore.Block{ID: "b1", Kind: contextstore.KindUser, UserID: "u1", CreatedAt: t0})
		var nr *redisstore.NotReplicatedError
		if !errors.Is(err, contextstore.ErrUnavailable) || !errors.As(err, &nr) || nr.Want != 1 || nr.Got != 0 {
			t.Fatalf("CreateBlock without a replica = %v, want ErrUnavailable with a NotReplicatedError (0 of 1)", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("the unconfirmed write took %s, want about the 50ms wait timeout", took)
		}
		if err := s.AppendAudit(ctx, &contextstore.AuditEvent{At: t0, Actor: "a", Action: "block.create"}); !errors.Is(err, contextstore.ErrUnavailable) {
			t.Errorf("AppendAudit without a replica = %v, want ErrUnavailable", err)
		}
		if err := s.CreateAccount(ctx, &contextstore.Account{ID: "a1", TokenHash: "h1"}); !errors.Is(err, contextstore.ErrUnavailable) {
			t.Errorf("CreateAccount without a replica = %v, want ErrUnavailable", err)
		}
		// Turns do not wait unless asked to.
		if err := s.PutConversation(ctx, &contextstore.Conversation{ID: "c1"}); err != nil {
			t.Errorf("PutConversation (turns do not wait) = %v", err)
		}
		strict := newStore(t, tg, redisstore.Options{Durability: redisstore.Durability{Replicas: 1, Timeout: 50 * time.Millisecond, Turns: true}})
		if err := strict.PutConversation(ctx, &contextstore.Conversation{ID: "c1"}); !errors.Is(err, contextstore.ErrUnavailable) {
			t.Errorf("PutConversation with Turns = %v, want ErrUnavailable", err)
		}
		if h := s.Health(ctx); h.Status != contextstore.HealthDegraded || !strings.Contains(h.Reason+shardReasons(h), "0 of the 1 replica(s)") {
			t.Errorf("Health = %+v, want degraded for want of a replica", h)
		}
		if st := s.Stats(); st.Errors["not_replicated"] < 3 {
			t.Errorf("Stats = %+v, want 3 not_replicated errors", st)
		}

		prefix := uniquePrefix(t)
		auto, err := redisstore.Connect(ctx, redisstore.Config{Addrs: tg.addrs, KeyPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = auto.Close()
			deleteKeys(t, tg.addrs, prefix)
		})
		if err := auto.CreateBlock(ctx, &contextstore.Block{ID: "b2", Kind: contextstore.KindUser, UserID: "u2", CreatedAt: t0}); err != nil {
			t.Errorf("auto durability without replicas: CreateBlock = %v, want no wait", err)
		}
		if h := auto.Health(ctx); h.Status != contextstore.HealthOK {
			t.Errorf("auto durability: Health = %+v, want ok", h)
		}
	})
}

func shardReasons(h contextstore.Health) string {
	var b strings.Builder
	for _, s := range h.Shards {
		b.WriteString(s.Reason)
	}
	return b.String()
}
