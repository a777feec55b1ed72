package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/redistest"
	"github.com/chatflow/chatflow/internal/server"
)

// The visitor addresses of the IP scan: none may be found in clear in the
// store afterwards. The range ban is 192.0.2.128/25, whose text holds none
// of them.
var scannedIPs = []string{
	"203.0.113.77",  // blocked by a supervisor with target "ip"
	"198.51.100.23", // banned by an admin, then comes back
	"192.0.2.150",   // inside the admin's range ban
	"2001:db8::7a",  // an IPv6 visitor who only chats
	"203.0.113.99",  // floods new conversations (automatic moderation)
}

// staffEnvOn is newStaffEnv on another store (bolt, Redis), trusting the
// loopback proxy so that X-Forwarded-For is the visitor address.
func staffEnvOn(t *testing.T, store contextstore.Store, clk *clock.Fake, log *zap.Logger) *staffEnv {
	t.Helper()
	cfg, err := app.LoadConfig("../../examples/chatflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := &staffEnv{clk: clk}
	if e.app, err = app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Clock: clk.Now, Config: cfg, Logger: log}); err != nil {
		t.Fatal(err)
	}
	e.auth = &fakeAuth{store: store, tokens: map[string]server.Principal{
		agentTok: {ID: "u1", Name: "Ann Agent", Email: "ann@acme.test", Role: server.RoleAgent},
		superTok: {ID: "u2", Name: "Sam Super", Email: "sam@acme.test", Role: server.RoleSupervisor},
		adminTok: {ID: "u3", Name: "Ada Admin", Email: "ada@acme.test", Role: server.RoleAdmin},
	}}
	e.srv = httptest.NewServer(server.New(e.app, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, server.WithAuth(e.auth), server.WithLogger(log)))
	t.Cleanup(e.srv.Close)
	e.loadContract(t)
	return e
}

// startFrom posts a new conversation from ip and returns the status.
func startFrom(t *testing.T, e *staffEnv, ip string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/v1/conversations", strings.NewReader(`{"channel": "live_chat"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", ip)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// ipScenario is a blocking story with every kind of address handling: a
// supervisor's ip block of a queued chat, an admin's ip ban and range ban,
// banned visitors coming back (hit counts, flushed), an IPv6 visitor, a
// flood of new conversations from one address (strikes), the block list
// and CSV exports read by staff, and maintenance.
func ipScenario(t *testing.T, e *staffEnv) {
	t.Helper()
	ctx := t.Context()
	first := e.visitorFrom(t, scannedIPs[0])
	e.must(t, http.StatusCreated, nil, superTok, "POST", "/v1/agent/conversations/"+first+"/block",
		`{"target": "ip", "period": "1w", "reason_category": "spam", "notes": "flooding the queue"}`)
	e.create(t, `{"kind": "ip", "ip": "`+scannedIPs[1]+`", "period": "1d", "reason_category": "fraud", "notes": "card testing"}`)
	e.create(t, `{"range": "192.0.2.128/25", "period": "permanent", "reason_category": "spam"}`)
	e.clk.Advance(time.Minute)
	for _, ip := range scannedIPs[:4] {
		e.visitorFrom(t, ip)
	}
	var refused bool
	for range 40 {
		if startFrom(t, e, scannedIPs[4]) == http.StatusTooManyRequests {
			refused = true
			break
		}
	}
	if !refused {
		t.Errorf("the flood from %s was never refused (want a 429 and a strike)", scannedIPs[4])
	}
	e.must(t, http.StatusOK, nil, adminTok, "GET", "/v1/admin/blocks?status=active", "")
	e.must(t, http.StatusOK, nil, adminTok, "GET", "/v1/admin/blocks.csv", "")
	e.must(t, http.StatusOK, nil, adminTok, "GET", "/v1/admin/conversations.csv", "")
	if err := e.app.Blocking.FlushHits(ctx); err != nil {
		t.Fatal(err)
	}
	e.app.Blocking.Maintain(ctx)
}

// findIPs reports every scanned address (in its text form) in data, which
// is described by where.
func findIPs(t *testing.T, where string, data []byte) {
	t.Helper()
	for _, ip := range scannedIPs {
		if i := strings.Index(string(data), ip); i >= 0 {
			lo, hi := max(i-60, 0), min(i+len(ip)+60, len(data))
			t.Errorf("%s holds %s in clear: …%q…", where, ip, data[lo:hi])
		}
	}
}

// TestNoClearIPInBoltFile: after the blocking story, the bytes of the bolt
// file (every page, free ones included) hold no visitor address in clear.
func TestNoClearIPInBoltFile(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "chatflow.db")
	store, err := bolt.Open(path, bolt.Options{Clock: clk.Now, ConversationTTL: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e := staffEnvOn(t, store, clk, zap.NewNop())
	ipScenario(t, e)
	e.srv.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	findIPs(t, "the bolt file", data)
}

// TestNoClearIPInRedis: after the blocking story, no key of the test's
// prefix on any master (its name and its value, whatever its type) holds
// a visitor address in clear. Standalone (REDIS_ADDR) and, when set,
// Cluster (REDIS_CLUSTER_ADDRS).
func TestNoClearIPInRedis(t *testing.T) {
	deployments := map[string][]string{"standalone": redistest.Addrs(t)}
	if c := os.Getenv("REDIS_CLUSTER_ADDRS"); c != "" {
		deployments["cluster"] = strings.Split(c, ",")
	}
	for name, addrs := range deployments {
		t.Run(name, func(t *testing.T) {
			var rnd [6]byte
			_, _ = rand.Read(rnd[:])
			prefix := "chatflow-test:ipscan:" + hex.EncodeToString(rnd[:]) + ":"
			clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
			log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
			rs, err := redisstore.Connect(t.Context(), redisstore.Config{Addrs: addrs, KeyPrefix: prefix, Options: redisstore.Options{Logger: log, Clock: clk.Now}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rs.Close() })
			t.Cleanup(func() { redistest.DeleteKeys(t, rs.Client(), prefix) })
			e := staffEnvOn(t, rs, clk, log)
			ipScenario(t, e)
			keys := scanRedis(t, rs.Client(), prefix)
			if keys < 10 {
				t.Errorf("scanned %d keys: the story stored less than expected (wrong prefix?)", keys)
			}
		})
	}
}

// scanRedis reads every key under prefix on every master and reports the
// clear addresses in its name or value; it returns the number of keys.
func scanRedis(t *testing.T, c redis.UniversalClient, prefix string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	n := 0
	scan := func(ctx context.Context, node redis.Cmdable) error {
		iter := node.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			n++
			findIPs(t, "key name "+key, []byte(key))
			val, err := redisValue(ctx, node, key)
			if err != nil {
				return fmt.Errorf("reading %s: %w", key, err)
			}
			findIPs(t, "key "+key, []byte(val))
		}
		return iter.Err()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		var mu chan struct{} = make(chan struct{}, 1)
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			mu <- struct{}{}
			defer func() { <-mu }()
			return scan(ctx, node)
		})
	} else {
		err = scan(ctx, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// redisValue renders the value of key, whatever its type, as text.
func redisValue(ctx context.Context, c redis.Cmdable, key string) (string, error) {
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		return "", err
	}
	var v any
	switch typ {
	case "string":
		v, err = c.Get(ctx, key).Result()
	case "hash":
		v, err = c.HGetAll(ctx, key).Result()
	case "list":
		v, err = c.LRange(ctx, key, 0, -1).Result()
	case "set":
		v, err = c.SMembers(ctx, key).Result()
	case "zset":
		v, err = c.ZRangeWithScores(ctx, key, 0, -1).Result()
	case "stream":
		v, err = c.XRange(ctx, key, "-", "+").Result()
	case "none":
		return "", nil // expired between SCAN and TYPE
	default:
		return "", fmt.Errorf("unexpected type %s", typ)
	}
	return fmt.Sprint(v), err
}
