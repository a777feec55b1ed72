package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	redisstore "github.com/chatflow/chatflow/contextstore/redis"
)

// RedisConfig is the `redis:` section of the configuration: the Redis that
// several `chatflow serve` instances share. Every instance sharing one
// Redis must use the same key_prefix and the same encryption key
// (encryption_key or CHATFLOW_ENCRYPTION_KEY), or they do not see each
// other's IP bans. The zero value means "no Redis".
//
//	redis:
//	  addrs: [10.0.0.5:6379]     # one: standalone; several: Cluster seeds
//	  master_name: ""            # set for Sentinel (addrs are then sentinels)
//	  username: chatflow
//	  password: s3cret
//	  db: 0
//	  pool_size: 0
//	  dial_timeout: 5s
//	  read_timeout: 3s
//	  write_timeout: 3s
//	  key_prefix: "chatflow:"
//	  refresh_interval: 2s       # Cluster slot map refresh
//	  wait_replicas: auto        # auto | none | a number
//	  wait_timeout: 1s
//	  wait_turns: false
type RedisConfig struct {
	// URL is Redis by URL, in go-redis's forms, instead of Addrs and the
	// other keys it can carry (which it replaces): redis://[user:pass@]host:port[/db]
	// (standalone, or a Cluster behind one endpoint, detected),
	// rediss://… (the same over TLS), …?master_name=NAME&addr=host2:port
	// (Sentinel: the hosts are sentinels), …?addr=host2:port&addr=…
	// (Cluster seed nodes). Query parameters set go-redis options
	// (dial_timeout=5s, read_timeout=3s, pool_size=20, skip_verify=true).
	URL string `yaml:"url"`
	// Addrs are host:port addresses. One address is a standalone server;
	// several are the seed nodes of a Redis Cluster; with MasterName they
	// are the Sentinel addresses. Empty: Redis is not used. The
	// --redis-addr flag (env REDIS_ADDR, a comma-separated list) replaces
	// them.
	Addrs []string `yaml:"addrs"`
	// MasterName is the name of the master monitored by Sentinel; set it
	// to reach Redis through Sentinel (failover follows the master).
	MasterName string `yaml:"master_name"`
	// Username is the ACL user (Redis 6+); empty: the default user.
	Username string `yaml:"username"`
	// Password authenticates the user (or the requirepass password when
	// Username is empty).
	Password string `yaml:"password"`
	// PasswordFile is a file holding the password (a mounted secret); a
	// trailing newline is ignored. It wins over Password and the URL's.
	PasswordFile string `yaml:"password_file"`
	// TLS connects with TLS (the system's roots verify the server);
	// rediss:// sets it.
	TLS bool `yaml:"tls"`
	// DB is the database number, on standalone and Sentinel; a Cluster
	// has only database 0. Default 0.
	DB int `yaml:"db"`
	// PoolSize is the number of connections per Redis node; 0: go-redis's
	// default (10 per CPU).
	PoolSize int `yaml:"pool_size"`
	// DialTimeout bounds establishing a connection; 0: 5s.
	DialTimeout Duration `yaml:"dial_timeout"`
	// ReadTimeout bounds waiting for a reply; 0: 3s.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds sending a command; 0: the read timeout.
	WriteTimeout Duration `yaml:"write_timeout"`
	// KeyPrefix starts every key and the ban notification channel; default
	// "chatflow:". Instances that share data must share the prefix; give
	// each deployment sharing one Redis a prefix of its own.
	KeyPrefix string `yaml:"key_prefix"`
	// RefreshInterval is how old a Cluster's slot map may grow before it
	// is reloaded; 0: 2s. A node that stops answering reloads it at once
	// in any case.
	RefreshInterval Duration `yaml:"refresh_interval"`
	// WaitReplicas is how many replicas must confirm each write of a
	// block, ban, lift, account or audit event before it is acknowledged:
	// "auto" (the default, also when empty): 1 when every master has a
	// replica at start-up, else none; "none": never wait; a number n >= 1:
	// n replicas. An unconfirmed write fails (503), it is not acknowledged.
	WaitReplicas string `yaml:"wait_replicas"`
	// WaitTimeout bounds the wait for replicas; 0: 1s. It must be shorter
	// than the read timeout.
	WaitTimeout Duration `yaml:"wait_timeout"`
	// WaitTurns makes conversation turns wait for the replicas too
	// (default false: a turn acknowledged just before its master dies can
	// be lost in a failover; see the README).
	WaitTurns bool `yaml:"wait_turns"`
}

// Enabled reports whether the section names a Redis to use.
func (r RedisConfig) Enabled() bool { return len(r.Addrs) > 0 || r.URL != "" }

// fromURL returns r with the keys of URL filled in from it (go-redis's
// ParseURL, ParseFailoverURL with master_name, ParseClusterURL with
// several addr parameters); r's own non-zero keys other than addrs win
// over the URL's query parameters, except that the URL's credentials win.
func (r RedisConfig) fromURL() (RedisConfig, *tls.Config, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return r, nil, fmt.Errorf("redis.url: %w", err)
	}
	q := u.Query()
	set := func(addrs []string, user, pass string, db int, dial, read, write time.Duration, pool int, t *tls.Config) {
		r.Addrs = addrs
		if user != "" {
			r.Username = user
		}
		if pass != "" {
			r.Password = pass
		}
		if r.DB == 0 {
			r.DB = db
		}
		if r.PoolSize == 0 {
			r.PoolSize = pool
		}
		for _, d := range []struct {
			dst *Duration
			v   time.Duration
		}{{&r.DialTimeout, dial}, {&r.ReadTimeout, read}, {&r.WriteTimeout, write}} {
			if *d.dst == 0 && d.v > 0 {
				*d.dst = Duration(d.v)
			}
		}
		if t != nil {
			r.TLS = true
		}
	}
	redacted := u.Redacted()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(r.URL)
		if err != nil {
			return r, nil, fmt.Errorf("redis.url %s: %w", redacted, err)
		}
		r.MasterName = o.MasterName
		set(o.SentinelAddrs, o.Username, o.Password, o.DB, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize, o.TLSConfig)
		return r, o.TLSConfig, nil
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(r.URL)
		if err != nil {
			return r, nil, fmt.Errorf("redis.url %s: %w", redacted, err)
		}
		set(o.Addrs, o.Username, o.Password, 0, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize, o.TLSConfig)
		return r, o.TLSConfig, nil
	default:
		o, err := redis.ParseURL(r.URL)
		if err != nil {
			return r, nil, fmt.Errorf("redis.url %s: %w", redacted, err)
		}
		set([]string{o.Addr}, o.Username, o.Password, o.DB, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize, o.TLSConfig)
		return r, o.TLSConfig, nil
	}
}

// String describes the deployment for logs, without the credentials.
func (r RedisConfig) String() string {
	if r.URL != "" {
		if u, err := url.Parse(r.URL); err == nil {
			return "redis " + u.Redacted()
		}
		return "redis (url)"
	}
	switch {
	case r.MasterName != "":
		return fmt.Sprintf("redis master %q via sentinels %s", r.MasterName, strings.Join(r.Addrs, ","))
	case len(r.Addrs) > 1:
		return "redis cluster " + strings.Join(r.Addrs, ",")
	default:
		return "redis " + strings.Join(r.Addrs, ",")
	}
}

// StoreConfig checks the section and returns the redisstore.Config that
// connects to it, with o as the store's options (its KeyPrefix is replaced
// by KeyPrefix when that is set). Every problem is reported at once.
func (r RedisConfig) StoreConfig(o redisstore.Options) (redisstore.Config, error) {
	var errs []error
	var tlsConfig *tls.Config
	if r.URL != "" {
		if len(r.Addrs) > 0 {
			return redisstore.Config{}, errors.New("redis: set url or addrs (--redis-addr, REDIS_ADDR), not both")
		}
		var err error
		if r, tlsConfig, err = r.fromURL(); err != nil {
			return redisstore.Config{}, err
		}
	}
	if r.PasswordFile != "" {
		b, err := os.ReadFile(r.PasswordFile)
		if err != nil {
			return redisstore.Config{}, fmt.Errorf("redis.password_file: %w", err)
		}
		r.Password = strings.TrimRight(string(b), "\r\n")
	}
	if r.TLS && tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	addrs := make([]string, 0, len(r.Addrs))
	for _, a := range r.Addrs {
		if a = strings.TrimSpace(a); a == "" {
			errs = append(errs, fmt.Errorf("redis.addrs: empty address in %q", r.Addrs))
			continue
		}
		addrs = append(addrs, a)
	}
	if len(r.Addrs) == 0 {
		errs = append(errs, errors.New("redis.addrs: at least one address is required"))
	}
	if r.DB < 0 {
		errs = append(errs, fmt.Errorf("redis.db: %d is negative", r.DB))
	}
	if r.PoolSize < 0 {
		errs = append(errs, fmt.Errorf("redis.pool_size: %d is negative", r.PoolSize))
	}
	for _, d := range []struct {
		name string
		v    Duration
	}{{"dial_timeout", r.DialTimeout}, {"read_timeout", r.ReadTimeout}, {"write_timeout", r.WriteTimeout},
		{"refresh_interval", r.RefreshInterval}, {"wait_timeout", r.WaitTimeout}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("redis.%s: %s is negative", d.name, time.Duration(d.v)))
		}
	}
	wait := 0
	switch w := strings.TrimSpace(r.WaitReplicas); w {
	case "", "auto":
	case "none":
		wait = -1
	default:
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("redis.wait_replicas: %q is not auto, none or a number of replicas (1 or more)", r.WaitReplicas))
		}
		wait = n
	}
	if err := errors.Join(errs...); err != nil {
		return redisstore.Config{}, err
	}
	o.Durability.Timeout = time.Duration(r.WaitTimeout)
	o.Durability.Turns = r.WaitTurns
	return redisstore.Config{
		Addrs:           addrs,
		MasterName:      r.MasterName,
		Username:        r.Username,
		Password:        r.Password,
		DB:              r.DB,
		PoolSize:        r.PoolSize,
		DialTimeout:     time.Duration(r.DialTimeout),
		ReadTimeout:     time.Duration(r.ReadTimeout),
		WriteTimeout:    time.Duration(r.WriteTimeout),
		KeyPrefix:       r.KeyPrefix,
		TLSConfig:       tlsConfig,
		RefreshInterval: time.Duration(r.RefreshInterval),
		WaitReplicas:    wait,
		Options:         o,
	}, nil
}
