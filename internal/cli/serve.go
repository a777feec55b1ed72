package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/bolt"
	redisstore "github.com/chatflow/chatflow/contextstore/redis"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/auth"
	"github.com/chatflow/chatflow/internal/metrics"
	"github.com/chatflow/chatflow/internal/privacy"
	"github.com/chatflow/chatflow/internal/server"
	"github.com/chatflow/chatflow/internal/visitortoken"
)

// shutdownGrace is how long serve waits, after SIGTERM or SIGINT, for
// in-flight requests to finish before it gives up (exit status 1).
const shutdownGrace = 20 * time.Second

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (c *commands) cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("CHATFLOW_ADDR", "127.0.0.1:8080"), "listen address (env CHATFLOW_ADDR)")
	flowsDir := fs.String("flows", envOr("CHATFLOW_FLOWS", "examples/flows"), "flow files or directory (env CHATFLOW_FLOWS)")
	dataDir := fs.String("data", envOr("CHATFLOW_DATA", "data"), "data directory of the embedded store (env CHATFLOW_DATA)")
	configPath := fs.String("config", os.Getenv("CHATFLOW_CONFIG"), "YAML configuration file (env CHATFLOW_CONFIG)")
	storeKind := fs.String("store", os.Getenv("CHATFLOW_STORE"), "store backend: embedded (the default), redis (the default when Redis is configured), or one that a binary built on chatflow adds (env CHATFLOW_STORE)")
	redisAddr := fs.String("redis-addr", os.Getenv("REDIS_ADDR"), "use Redis at these comma-separated addresses instead of the embedded store; replaces redis.addrs of the config (env REDIS_ADDR)")
	logLevel := fs.String("log-level", envOr("CHATFLOW_LOG_LEVEL", "info"), "lowest level logged: debug, info, warn or error (env CHATFLOW_LOG_LEVEL)")
	debug := fs.Bool("debug", false, "debug logging (same as --log-level debug)")
	demo := fs.Bool("demo", os.Getenv("CHATFLOW_DEMO") == "1" || os.Getenv("CHATFLOW_DEMO") == "true",
		"demo mode for local trials: demo agent, supervisor and admin with fresh tokens shown by GET /v1/demo; loopback addresses only (env CHATFLOW_DEMO=1)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	level, err := parseLogLevel(*logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	if *debug {
		level = zap.DebugLevel
	}
	if *demo {
		if err := demoAddrOK(*addr); err != nil {
			return err
		}
	}
	log := newLogger(stderr, level)
	if c.env.Logger != nil {
		log = c.env.Logger
	}
	defer func() { _ = log.Sync() }()

	// The file (if any), then a CHATFLOW_<KEY> variable for every key.
	cfg, err := app.LoadConfigEnv(*configPath, os.LookupEnv)
	if err != nil {
		return err
	}
	ttl := time.Duration(cfg.ConversationTTL)
	if ttl == 0 {
		ttl = 7 * 24 * time.Hour
	}
	var store contextstore.Store
	storeName := "embedded " + filepath.Join(*dataDir, "chatflow.db")
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	rc := cfg.Redis
	if *redisAddr != "" {
		rc.Addrs = nil
		for a := range strings.SplitSeq(*redisAddr, ",") {
			if a = strings.TrimSpace(a); a != "" {
				rc.Addrs = append(rc.Addrs, a)
			}
		}
	}
	if *storeKind != "" && *storeKind != "embedded" && *storeKind != "redis" && c.env.Stores[*storeKind] == nil {
		known := []string{"embedded", "redis"}
		for name := range c.env.Stores {
			known = append(known, name)
		}
		slices.Sort(known[2:])
		return usageError{fmt.Sprintf("unknown store %q; use %s", *storeKind, strings.Join(known, ", "))}
	}
	if *storeKind == "redis" && !rc.Enabled() {
		return usageError{"--store redis needs redis.addrs or redis.url in the config (or --redis-addr)"}
	}
	if open := c.env.Stores[*storeKind]; open != nil {
		s, err := open(ctx, StoreOptions{DataDir: *dataDir, ConversationTTL: ttl, Logger: log.Named("store")})
		if err != nil {
			return fmt.Errorf("opening store %q: %w", *storeKind, err)
		}
		store, storeName = s, *storeKind
	} else if rc.Enabled() && *storeKind != "embedded" {
		rcfg, err := rc.StoreConfig(redisstore.Options{Logger: log, ConversationTTL: ttl})
		if err != nil {
			return err
		}
		rs, err := redisstore.Connect(ctx, rcfg)
		if err != nil {
			return err
		}
		store, storeName = rs, rc.String()
		if os.Getenv("CHATFLOW_ENCRYPTION_KEY") == "" && cfg.EncryptionKey == "" {
			log.Warn("the encryption key of visitor IPs comes from the data directory: every instance sharing this Redis must use the same key, or it cannot read the others' IP bans; set CHATFLOW_ENCRYPTION_KEY or encryption_key",
				zap.String("path", filepath.Join(*dataDir, "encryption.key")))
		}
	} else {
		bs, err := bolt.Open(filepath.Join(*dataDir, "chatflow.db"), bolt.Options{Logger: log, ConversationTTL: ttl})
		if err != nil {
			return err
		}
		store = bs
	}
	defer store.Close()
	// The data directory's key is only the fallback: an operator's key
	// (env or config) wins, and then no key file is created.
	var key []byte
	if os.Getenv("CHATFLOW_ENCRYPTION_KEY") == "" && cfg.EncryptionKey == "" {
		if key, err = dataKey(*dataDir, log); err != nil {
			return err
		}
	}
	m := metrics.New(log)
	a, err := app.New(ctx, app.Options{Store: store, FlowPaths: strings.Split(*flowsDir, ","), Logger: log, Config: cfg, EncryptionKey: key, Hooks: []flows.Hook{m.Hook()},
		Actions:            c.env.Actions,
		ModerationObserver: m.Moderation()})
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Warn("closing the actions", zap.Error(err))
		}
	}()
	for _, w := range a.Warnings {
		log.Warn("flow lint", zap.String("problem", w.String()))
	}
	// Load the IP ban table now: a store that cannot serve it fails the
	// start, not the first customer.
	if err := a.Blocking.Refresh(ctx); err != nil {
		return fmt.Errorf("loading the ip ban table: %w", err)
	}
	bgOpts := cfg.BackgroundOptions()
	if err := bgOpts.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var trusted []netip.Prefix
	for _, s := range cfg.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("trusted_proxies: %q: %w", s, err)
		}
		trusted = append(trusted, p)
	}
	visitorSecret := []byte(cfg.VisitorSecret())
	opts := []server.Option{server.WithBlockedText(cfg.BlockedMessage.For(cfg.Widget.Langs()[0]))}
	if *demo {
		var staff []server.DemoStaff
		staff, visitorSecret = demoSetup(visitorSecret)
		opts = append(opts, server.WithDemo(staff))
	}
	opts = append(opts, server.WithVisitorTokenSecret(visitorSecret))
	verifier, err := visitorVerifier(ctx, cfg, visitorSecret, log)
	if err != nil {
		return err
	}
	if verifier != nil {
		opts = append(opts, server.WithVisitorTokens(verifier))
	}
	opts = append(opts, server.WithWidget(server.WidgetOptions{
		AllowedOrigins: cfg.Widget.AllowedOrigins, Languages: cfg.Widget.Langs(),
		BrandName: cfg.Widget.BrandName, PrimaryColor: cfg.Widget.PrimaryColor, LogoURL: cfg.Widget.LogoURL,
		BlockedText: cfg.BlockedMessage.For,
	}))
	handler, err := newHandler(a, trusted, log, m, os.Getenv("CHATFLOW_ADMIN_TOKEN"), opts...)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Shutdown waits for active connections; an event stream is one until
	// it ends, so the streams are told to end (with a "reconnect" event)
	// as soon as Shutdown starts.
	srv.RegisterOnShutdown(handler.CloseStreams)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	// Background work (maintenance, sweeping, ban notifications) stops
	// after the HTTP server finished its in-flight turns and before the
	// store closes (defers run last in, first out).
	bgCtx, stopBackground := context.WithCancel(ctx)
	bgDone := make(chan error, 1)
	go func() { bgDone <- a.Background(bgCtx, bgOpts) }()
	go reloadOnHangup(bgCtx, a, log)
	defer func() {
		stopBackground()
		if err := <-bgDone; err != nil {
			log.Error("background work failed", zap.Error(err))
		}
	}()
	log.Info("chatflow serving", zap.String("addr", "http://"+ln.Addr().String()), zap.Int("flows", len(a.Executor.Flows().Flows())), zap.String("store", storeName))
	if *demo {
		base := "http://" + ln.Addr().String()
		log.Info("demo mode", zap.String("chat", base+"/chat"), zap.String("agent", base+"/agent"), zap.String("admin", base+"/admin"),
			zap.String("tokens", base+"/v1/demo"))
		log.Warn("demo mode is for local trials only: anyone who can reach this address can sign in as admin; do not use it with real data")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The listener is bound and the ban table loaded: connections are
	// accepted from now on, so tell the person who started it where to go.
	printWelcome(stdout, "http://"+ln.Addr().String(), *demo)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: closing event streams, finishing in-flight turns", zap.Duration("grace", shutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// printWelcome writes, in plain text, the three pages of the server at
// base and how to sign in to them.
func printWelcome(w io.Writer, base string, demo bool) {
	signIn := "sign in with a staff account token (POST /v1/admin/accounts; CHATFLOW_ADMIN_TOKEN is the bootstrap admin)"
	if demo {
		signIn = "click \"Sign in as Demo Agent\" (or Demo Supervisor / Demo Admin on /admin); no password"
	}
	fmt.Fprintf(w, `chatflow is ready at %[1]s
  visitor chat   %[1]s/chat    click "Chat as guest" and type "I want an agent"
  agent console  %[1]s/agent
  admin portal   %[1]s/admin
Staff: %[2]s.
Stop with Ctrl-C (the server finishes in-flight turns and exits).
`, base, signIn)
}

// newHandler builds the HTTP API of a with staff authentication over a's
// store: account tokens, plus adminToken (CHATFLOW_ADMIN_TOKEN) as the
// bootstrap admin when it is not empty. Without a bootstrap token and
// without accounts, the agent and admin APIs answer 401 to everyone.
func newHandler(a *app.App, trusted []netip.Prefix, log *zap.Logger, m *metrics.Metrics, adminToken string, opts ...server.Option) (*server.Server, error) {
	as, err := auth.New(a.Store, auth.Options{Clock: a.Clock, Logger: log, BootstrapAdminToken: adminToken})
	if err != nil {
		return nil, fmt.Errorf("staff authentication: %w", err)
	}
	opts = append([]server.Option{server.WithLogger(log), server.WithMetrics(m), server.WithAuth(as)}, opts...)
	return server.New(a, trusted, opts...), nil
}

// dataKey returns the encryption key kept in the data directory, creating
// it on first start (0600), unless the environment or config gives one.
func dataKey(dir string, log *zap.Logger) ([]byte, error) {
	path := filepath.Join(dir, "encryption.key")
	if b, err := os.ReadFile(path); err == nil {
		k, err := privacy.ParseKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := privacy.NewKey()
	if err := os.WriteFile(path, []byte(privacy.EncodeKey(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	log.Warn("created a new encryption key for visitor IPs; back it up or set CHATFLOW_ENCRYPTION_KEY", zap.String("path", path))
	return k, nil
}

// demoAddrOK refuses demo mode on an address other machines can reach:
// demo mode gives an admin token to whoever asks.
func demoAddrOK(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--demo: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--demo hands out admin tokens to anyone who can reach the server, so it only listens on a loopback address such as 127.0.0.1:8080, [::1]:8080 or localhost:8080, not %q", addr)
}

// demoSetup returns the demo staff (agent, supervisor, admin) with fresh
// random tokens, and the visitor token secret to use: secret, or a random
// one for this run when none is configured.
func demoSetup(secret []byte) ([]server.DemoStaff, []byte) {
	staff := []server.DemoStaff{
		{Role: server.RoleAgent, Name: "Demo Agent", Email: "agent@demo.chatflow.test"},
		{Role: server.RoleSupervisor, Name: "Demo Supervisor", Email: "supervisor@demo.chatflow.test"},
		{Role: server.RoleAdmin, Name: "Demo Admin", Email: "admin@demo.chatflow.test"},
	}
	for i := range staff {
		staff[i].Token = "demo-" + randomHex(24)
	}
	if len(secret) == 0 {
		secret = []byte(randomHex(32))
	}
	return staff, secret
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// visitorVerifier builds the verifier of the visitors' JWTs from the
// config: the shared secret (HS256, and the legacy format while it is
// accepted), the public keys of public_key_file, the jwks_url (fetched
// now: a wrong URL fails the start), the audience and lifetime. nil when
// no key is configured (user tokens are then refused).
func visitorVerifier(ctx context.Context, cfg app.Config, secret []byte, log *zap.Logger) (*visitortoken.Verifier, error) {
	vt := cfg.VisitorTokens
	pemData, err := vt.PublicKeyPEM()
	if err != nil {
		return nil, err
	}
	o := visitortoken.Options{Secret: secret, JWKSURL: vt.JWKSURL, Audience: vt.Audience, Legacy: len(secret) > 0 && vt.AcceptLegacy()}
	o.MaxLifetime, o.Leeway = vt.Durations()
	if pemData != nil {
		if o.PublicKeys, err = visitortoken.ParsePublicKeys(pemData); err != nil {
			return nil, fmt.Errorf("visitor_tokens: public_key_file %s: %w", vt.PublicKeyFile, err)
		}
	}
	if len(o.Secret) == 0 && len(o.PublicKeys) == 0 && o.JWKSURL == "" {
		return nil, nil
	}
	v, err := visitortoken.New(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("visitor_tokens: %w", err)
	}
	if o.Legacy {
		log.Info("visitor tokens: the pre-JWT format is still accepted (deprecated; set visitor_tokens.legacy: false once every host signs JWTs)")
	}
	return v, nil
}
