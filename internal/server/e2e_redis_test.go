package server_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	redisstore "github.com/chatflow/chatflow/contextstore/redis"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/redistest"
	"github.com/chatflow/chatflow/internal/server"
)

// bootstrapToken plays CHATFLOW_ADMIN_TOKEN in the Redis story.
const bootstrapToken = "bootstrap-token-0123456789abcdef"

// redisInstances builds two servers, as two `chatflow serve` processes
// would run: each its own Redis client, App, auth service (with the
// bootstrap admin token) and loopback HTTP server, sharing one Redis, one
// key prefix of this test's own, the encryption key and the fake clock's
// time.
func redisInstances(t *testing.T) (a, b *staffEnv, clk *clock.Fake) {
	t.Helper()
	ctx := t.Context()
	addrs := redistest.Addrs(t)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix := "chatflow-test:" + t.Name() + ":" + hex.EncodeToString(rnd[:]) + ":"
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	key := privacy.NewKey()
	clk = clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	var stores []*redisstore.Store
	build := func(name string) *staffEnv {
		log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named(name)
		rs, err := redisstore.Connect(ctx, redisstore.Config{
			Addrs: addrs, KeyPrefix: prefix,
			Options: redisstore.Options{Logger: log, Clock: clk.Now},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rs.Close() })
		stores = append(stores, rs)
		ap, err := app.New(ctx, app.Options{
			Store: rs, FlowPaths: []string{"../../examples/flows"}, Config: cfg,
			Clock: clk.Now, Logger: log, EncryptionKey: key,
		})
		if err != nil {
			t.Fatal(err)
		}
		as, err := auth.New(rs, auth.Options{Clock: clk.Now, Logger: log, BootstrapAdminToken: bootstrapToken})
		if err != nil {
			t.Fatal(err)
		}
		e := &staffEnv{app: ap, clk: clk}
		e.srv = httptest.NewServer(server.New(ap, nil, server.WithAuth(as), server.WithLogger(log)))
		t.Cleanup(e.srv.Close)
		e.loadContract(t)
		return e
	}
	a, b = build("A"), build("B")
	// Runs before the stores close (cleanups run last in, first out).
	t.Cleanup(func() { redistest.DeleteKeys(t, stores[0].Client(), prefix) })
	return a, b, clk
}

// createAccount makes a staff account through the accounts API with the
// bootstrap admin token and returns its bearer token.
func createAccount(t *testing.T, e *staffEnv, name, email, role string) string {
	t.Helper()
	var created struct {
		Token string `json:"token"`
	}
	e.must(t, http.StatusCreated, &created, bootstrapToken, "POST", "/v1/admin/accounts",
		`{"name": "`+name+`", "email": "`+email+`", "role": "`+role+`"}`)
	if created.Token == "" {
		t.Fatalf("no token for %s", email)
	}
	return created.Token
}

// TestEndToEndRedisTwoInstances is the block-and-lift story across two
// servers sharing a Redis: the visitor talks to A only, the agent and the
// supervisor to B only.
func TestEndToEndRedisTwoInstances(t *testing.T) {
	a, b, clk := redisInstances(t)
	agent := createAccount(t, b, "Ann", "ann@acme.test", "agent")
	super := createAccount(t, b, "Sam", "sam@acme.test", "supervisor")
	// Accounts are in Redis: A knows them too.
	a.must(t, http.StatusOK, nil, agent, "GET", "/v1/agent/queues/support", "")

	v := startVisitor(t, a)
	v.wantReplies(t, "hello", faq)
	v.wantReplies(t, "I want an agent", queued)
	takeAndBlock(t, b, agent, v)

	clk.Advance(time.Minute)
	v.wantReplies(t, "agent please", blocked)

	active := conversationBlocks(t, b, super, "active")
	if len(active) != 1 || active[0].ConversationID != v.id || active[0].CreatedBy != "ann@acme.test" {
		t.Fatalf("active conversation blocks on B = %+v", active)
	}
	b.must(t, http.StatusForbidden, nil, agent, "POST", "/v1/admin/blocks/"+active[0].ID+"/lift", `{"notes": "let me"}`)
	var lifted blockOut
	b.must(t, http.StatusOK, &lifted, super, "POST", "/v1/admin/blocks/"+active[0].ID+"/lift", `{"notes": "customer apologised by email"}`)
	if lifted.Status != "lifted" || lifted.LiftedBy != "sam@acme.test" || lifted.LiftNotes != "customer apologised by email" {
		t.Errorf("lifted = %+v", lifted)
	}

	clk.Advance(time.Minute)
	v.wantReplies(t, "agent", queued)
	wantQueued(t, b, agent, v)
	wantQueued(t, a, agent, v)
	if l := conversationBlocks(t, a, super, "ended"); len(l) != 1 || l[0].ID != active[0].ID {
		t.Errorf("ended conversation blocks on A = %+v", l)
	}
	wantEndedInCSV(t, a, super, v)
	v.checkNoSecrets(t)
}
