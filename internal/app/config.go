package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/internal/moderation"
	"github.com/chatflow/chatflow/internal/workinghours"
)

// Config is the service configuration: the --config YAML file. The zero
// value is valid: always open, no blocked message, default retention.
type Config struct {
	// WorkingHours is the helpdesk calendar behind IsOutsideWorkingHours;
	// empty means always open.
	WorkingHours workinghours.Config `yaml:"working_hours"`
	// BlockedMessage is sent to a customer when they are blocked. It must
	// be neutral: the block reason is never sent to customers.
	BlockedMessage string `yaml:"blocked_message"`
	// EncryptionKey (32 bytes, hex or base64) encrypts visitor IPs at rest.
	// CHATFLOW_ENCRYPTION_KEY overrides it. When neither is set, `serve`
	// creates one in the data directory and tests use a random key.
	EncryptionKey string `yaml:"encryption_key"`
	// Retention is how long the personal data of an ended block is kept
	// (default 168h = 7 days).
	Retention Duration `yaml:"retention"`
	// NeverBlock lists the ranges never banned (CIDR); absent means the
	// defaults (loopback, private, link-local, carrier-grade NAT); an empty
	// list disables the protection.
	NeverBlock *[]string `yaml:"never_block"`
	// TrustedProxies are the CIDRs of reverse proxies whose
	// X-Forwarded-For header is believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ConversationTTL is how long an idle conversation context is kept
	// (default 168h), on stores that expire them.
	ConversationTTL Duration `yaml:"conversation_ttl"`
	// MaintenanceInterval is how often `serve` flushes the IP ban hit
	// counts to the store and purges blocks past retention (default 1m).
	MaintenanceInterval Duration `yaml:"maintenance_interval"`
	// SweepInterval is how often `serve` deletes expired conversations
	// from the embedded store (default 10m); Redis expires them by itself.
	SweepInterval Duration `yaml:"sweep_interval"`
	// VisitorTokenSecret is the secret the host site shares with chatflow
	// to sign the user tokens of logged-in visitors (see
	// internal/visitortoken); CHATFLOW_VISITOR_TOKEN_SECRET overrides it.
	// Empty: conversations start anonymous only, and a user token is
	// refused.
	VisitorTokenSecret string `yaml:"visitor_token_secret"`
	// Redis is how `serve` reaches the Redis that several instances share;
	// see RedisConfig. It is used when its addrs (or --redis-addr /
	// REDIS_ADDR, which replace them) are set; otherwise `serve` uses the
	// embedded store.
	Redis RedisConfig `yaml:"redis"`
	// Moderation is automatic moderation (rate limits, watched-word
	// rules, strikes and the ladder); see moderation.Config. Absent: the
	// default limits and ladder, no rules.
	Moderation moderation.Config `yaml:"moderation"`
}

// VisitorSecret returns the visitor token secret: the environment's
// CHATFLOW_VISITOR_TOKEN_SECRET when set, else VisitorTokenSecret.
func (c Config) VisitorSecret() string {
	if v := os.Getenv("CHATFLOW_VISITOR_TOKEN_SECRET"); v != "" {
		return v
	}
	return c.VisitorTokenSecret
}

// Duration is a time.Duration written as "90m", "24h" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q (use e.g. 90m, 24h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// LoadConfig reads a YAML configuration file strictly: unknown keys are
// errors, so a misspelt setting is not silently ignored.
func LoadConfig(path string) (Config, error) {
	var c Config
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("reading config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if _, err := workinghours.New(c.WorkingHours); err != nil {
		return c, fmt.Errorf("config %s: working_hours: %w", path, err)
	}
	if err := c.Moderation.SetFile(path); err != nil {
		return c, fmt.Errorf("config %s: moderation: %w", path, err)
	}
	if err := c.Moderation.Check().Err(); err != nil {
		return c, err
	}
	return c, nil
}
