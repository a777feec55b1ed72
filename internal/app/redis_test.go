package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	redisstore "github.com/chatflow/chatflow/contextstore/redis"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/redistest"
)

func writeRedisConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chatflow.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRedisConfigLoad reads every key of the redis section and maps it onto
// the store's connection settings.
func TestRedisConfigLoad(t *testing.T) {
	cfg, err := app.LoadConfig(writeRedisConfig(t, `
maintenance_interval: 2m
sweep_interval: 1h
redis:
  addrs: [sentinel-1:26379, sentinel-2:26379]
  master_name: mymaster
  username: chatflow
  password: s3cret
  db: 2
  pool_size: 20
  dial_timeout: 2s
  read_timeout: 1500ms
  write_timeout: 1s
  key_prefix: "prod:"
  refresh_interval: 500ms
  wait_replicas: 2
  wait_timeout: 750ms
  wait_turns: true
`))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Redis.Enabled() {
		t.Error("Enabled() = false with addrs set")
	}
	if got, want := cfg.Redis.String(), `redis master "mymaster" via sentinels sentinel-1:26379,sentinel-2:26379`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if strings.Contains(cfg.Redis.String(), "s3cret") {
		t.Error("String() shows the password")
	}
	opts := redisstore.Options{Logger: zap.NewNop(), ConversationTTL: time.Hour}
	got, err := cfg.Redis.StoreConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := redisstore.Config{
		Addrs: []string{"sentinel-1:26379", "sentinel-2:26379"}, MasterName: "mymaster",
		Username: "chatflow", Password: "s3cret", DB: 2, PoolSize: 20,
		DialTimeout: 2 * time.Second, ReadTimeout: 1500 * time.Millisecond, WriteTimeout: time.Second,
		KeyPrefix: "prod:", RefreshInterval: 500 * time.Millisecond, WaitReplicas: 2, Options: opts,
	}
	want.Options.Durability = redisstore.Durability{Timeout: 750 * time.Millisecond, Turns: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StoreConfig() =\n  %+v\nwant\n  %+v", got, want)
	}
	if o := cfg.BackgroundOptions(); o.MaintenanceInterval != 2*time.Minute || o.SweepInterval != time.Hour {
		t.Errorf("BackgroundOptions() = %+v", o)
	}
}

// TestRedisConfigInvalid reports every problem of the section at once.
func TestRedisConfigInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  app.RedisConfig
		want string
	}{
		{"no address", app.RedisConfig{}, "redis.addrs: at least one address is required"},
		{"empty address", app.RedisConfig{Addrs: []string{"a:6379", " "}}, `redis.addrs: empty address in ["a:6379" " "]`},
		{"negatives", app.RedisConfig{
			Addrs: []string{"a:6379"}, DB: -1, PoolSize: -2,
			DialTimeout: app.Duration(-time.Second), ReadTimeout: app.Duration(-time.Second), WriteTimeout: app.Duration(-time.Second),
		}, "redis.db: -1 is negative\nredis.pool_size: -2 is negative\nredis.dial_timeout: -1s is negative\nredis.read_timeout: -1s is negative\nredis.write_timeout: -1s is negative"},
		{"durability", app.RedisConfig{
			Addrs: []string{"a:6379"}, WaitReplicas: "0", WaitTimeout: app.Duration(-time.Second), RefreshInterval: app.Duration(-time.Second),
		}, "redis.refresh_interval: -1s is negative\nredis.wait_timeout: -1s is negative\nredis.wait_replicas: \"0\" is not auto, none or a number of replicas (1 or more)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.StoreConfig(redisstore.Options{})
			if err == nil || err.Error() != tc.want {
				t.Errorf("StoreConfig() error = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := app.LoadConfig(writeRedisConfig(t, "redis:\n  adrs: [x:1]\n")); err == nil || !strings.Contains(err.Error(), "adrs") {
		t.Errorf("a misspelt redis key: %v, want an error naming it", err)
	}
}

// TestRedisConfigConnect connects to the real Redis of REDIS_ADDR through
// the config section and checks that the store writes under key_prefix.
func TestRedisConfigConnect(t *testing.T) {
	addrs := redistest.Addrs(t)
	ctx := t.Context()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix := "chatflow-test:" + t.Name() + ":" + hex.EncodeToString(rnd[:]) + ":"
	rc := app.RedisConfig{Addrs: addrs, KeyPrefix: prefix, DialTimeout: app.Duration(2 * time.Second)}
	cfg, err := rc.StoreConfig(redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := redisstore.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	t.Cleanup(func() { redistest.DeleteKeys(t, s.Client(), prefix) })
	if _, err := s.BansVersion(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Options{Store: s, FlowPaths: []string{"../../examples/flows"}})
	if err != nil {
		t.Fatal(err)
	}
	askForAgent(t, a, "c-1", "k1", visitor{ip: "198.51.100.1"})
	n := 0
	iter := s.Client().Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 && len(addrs) == 1 { // (a cluster scan reaches one node only)
		t.Errorf("no key under the configured prefix %q after a turn", prefix)
	}
}

// TestRedisClusterBehindOneAddress: a Redis Cluster reached through ONE
// address (a managed service's configuration endpoint) is detected and
// served by the cluster client, so turns on keys of every slot work; it
// used to be treated as standalone, answering MOVED (503) on most turns.
func TestRedisClusterBehindOneAddress(t *testing.T) {
	seeds := strings.Split(os.Getenv("REDIS_CLUSTER_ADDRS"), ",")
	if seeds[0] == "" {
		t.Skip("REDIS_CLUSTER_ADDRS is not set (CI sets it)")
	}
	ctx := t.Context()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix := "chatflow-test:" + t.Name() + ":" + hex.EncodeToString(rnd[:]) + ":"
	for _, rc := range []app.RedisConfig{
		{Addrs: seeds[:1], KeyPrefix: prefix},
		{URL: "redis://" + seeds[0], KeyPrefix: prefix},
	} {
		cfg, err := rc.StoreConfig(redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := redisstore.Connect(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Client().(*redis.ClusterClient); !ok {
			t.Fatalf("%s: client is %T, want the cluster client", rc, s.Client())
		}
		a, err := app.New(ctx, app.Options{Store: s, FlowPaths: []string{"../../examples/flows"}})
		if err != nil {
			t.Fatal(err)
		}
		// Conversations hash to different slots, so most live on nodes
		// other than the one address given.
		for i := range 12 {
			askForAgent(t, a, fmt.Sprintf("c-%d-%s", i, hex.EncodeToString(rnd[:])), "k1", visitor{ip: "198.51.100.1"})
		}
		redistest.DeleteKeys(t, s.Client(), prefix)
		_ = s.Close()
	}
}

// TestRedisConfigURL: the URL forms map onto the connection settings;
// the password comes from a file when password_file is set.
func TestRedisConfigURL(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rc   app.RedisConfig
		want func(c redisstore.Config) bool
	}{
		{"standalone", app.RedisConfig{URL: "redis://u:p@h:6380/2?read_timeout=2s"}, func(c redisstore.Config) bool {
			return reflect.DeepEqual(c.Addrs, []string{"h:6380"}) && c.Username == "u" && c.Password == "p" && c.DB == 2 && c.ReadTimeout == 2*time.Second && c.TLSConfig == nil
		}},
		{"tls", app.RedisConfig{URL: "rediss://h:6380"}, func(c redisstore.Config) bool {
			return c.TLSConfig != nil && c.TLSConfig.ServerName == "h"
		}},
		{"sentinel", app.RedisConfig{URL: "redis://s1:26379?master_name=mymaster&addr=s2:26379"}, func(c redisstore.Config) bool {
			return c.MasterName == "mymaster" && reflect.DeepEqual(c.Addrs, []string{"s1:26379", "s2:26379"})
		}},
		{"cluster", app.RedisConfig{URL: "redis://n1:7000?addr=n2:7000&addr=n3:7000"}, func(c redisstore.Config) bool {
			return c.MasterName == "" && reflect.DeepEqual(c.Addrs, []string{"n1:7000", "n2:7000", "n3:7000"})
		}},
		{"password file wins", app.RedisConfig{URL: "redis://:p@h:6379", PasswordFile: pw}, func(c redisstore.Config) bool {
			return c.Password == "from-file"
		}},
		{"tls key", app.RedisConfig{Addrs: []string{"h:6379"}, TLS: true}, func(c redisstore.Config) bool { return c.TLSConfig != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.rc.StoreConfig(redisstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(c) {
				t.Errorf("config = %+v", c)
			}
			if strings.Contains(tc.rc.String(), ":p@") {
				t.Errorf("String() = %q shows the password", tc.rc.String())
			}
		})
	}
	if _, err := (app.RedisConfig{URL: "redis://h", Addrs: []string{"h:1"}}).StoreConfig(redisstore.Options{}); err == nil {
		t.Error("url and addrs together were accepted")
	}
	if _, err := (app.RedisConfig{URL: "http://h"}).StoreConfig(redisstore.Options{}); err == nil {
		t.Error("an http URL was accepted")
	}
}

// TestRedisPausedIsBoundedByReadTimeout: with Redis paused (SIGSTOP), a
// store call fails after about the read timeout, not after go-redis's
// retries of it.
func TestRedisPausedIsBoundedByReadTimeout(t *testing.T) {
	redistest.Addrs(t) // only where the Redis tests run
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	ln.Close()
	srv := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGCONT)
		_ = srv.Process.Kill()
		_ = srv.Wait()
	})
	rc := app.RedisConfig{Addrs: []string{addr}, ReadTimeout: app.Duration(500 * time.Millisecond), DialTimeout: app.Duration(500 * time.Millisecond)}
	cfg, err := rc.StoreConfig(redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var s *redisstore.Store
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if s, err = redisstore.Connect(t.Context(), cfg); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.GetConversation(t.Context(), "c-paused")
	if d := time.Since(start); err == nil || d > 1500*time.Millisecond {
		t.Errorf("GetConversation on a paused Redis: %v after %v, want an error within about 2 read timeouts (1s)", err, d)
	}
}
