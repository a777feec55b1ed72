package app

import (
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/internal/duration"
	"github.com/chatflow/chatflow/internal/moderation"
	"github.com/chatflow/chatflow/internal/workinghours"
)

// Config is the service configuration: the --config YAML file. The zero
// value is valid: always open, no blocked message, default retention.
type Config struct {
	// WorkingHours is the helpdesk calendar behind IsOutsideWorkingHours;
	// empty means always open.
	WorkingHours workinghours.Config `yaml:"working_hours"`
	// Queues configure the helpdesk's queues by name: a queue with
	// working_hours of its own is open by them (ConnectToHelpdeskAgent and
	// IsOutsideWorkingHours of that queue); the others follow
	// working_hours.
	Queues map[string]QueueConfig `yaml:"queues"`
	// BlockedMessage is sent to a customer when they are blocked. It must
	// be neutral: the block reason is never sent to customers. It is one
	// text, or a map of texts by language ({en: …, de: …}); see Texts.
	BlockedMessage Texts `yaml:"blocked_message"`
	// EncryptionKey (32 bytes, hex or base64) encrypts visitor IPs at rest.
	// CHATFLOW_ENCRYPTION_KEY overrides it. When neither is set, `serve`
	// creates one in the data directory and tests use a random key.
	EncryptionKey string `yaml:"encryption_key"`
	// Retention is how long the personal data of an ended block is kept,
	// and the visitor IP of a conversation context after its last save
	// (default 168h = 7 days; see App.PurgeVisitorIPs).
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
	// VisitorTokens configures the verification of the visitors' JWTs
	// beyond the shared secret: public keys, audience, lifetime.
	VisitorTokens VisitorTokensConfig `yaml:"visitor_tokens"`
	// Widget is the embeddable visitor widget: who may embed it, its
	// languages and its looks.
	Widget WidgetConfig `yaml:"widget"`
	// Redis is how `serve` reaches the Redis that several instances share;
	// see RedisConfig. It is used when its addrs (or --redis-addr /
	// REDIS_ADDR, which replace them) are set; otherwise `serve` uses the
	// embedded store.
	Redis RedisConfig `yaml:"redis"`
	// Moderation is automatic moderation (rate limits, watched-word
	// rules, strikes and the ladder); see moderation.Config. Absent: the
	// default limits and ladder, no rules.
	Moderation moderation.Config `yaml:"moderation"`
	// Webhooks configures the delivery of domain events to webhook
	// subscribers; see WebhooksConfig.
	Webhooks WebhooksConfig `yaml:"webhooks"`
}

// VisitorSecret returns the visitor token secret: the environment's
// CHATFLOW_VISITOR_TOKEN_SECRET when set, else VisitorTokenSecret.
func (c Config) VisitorSecret() string {
	if v := os.Getenv("CHATFLOW_VISITOR_TOKEN_SECRET"); v != "" {
		return v
	}
	return c.VisitorTokenSecret
}

// Duration is a time.Duration written in YAML in chatflow's one duration
// grammar (internal/duration): "90m", "36h", "7d", "1w", "1h30m".
type Duration time.Duration

// UnmarshalYAML parses the duration grammar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := duration.Parse(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String writes d in the duration grammar ("7d").
func (d Duration) String() string { return duration.Format(time.Duration(d)) }

// QueueConfig is one queue's configuration.
type QueueConfig struct {
	// WorkingHours is the queue's own calendar (time zone, weekly hours,
	// holidays).
	WorkingHours workinghours.Config `yaml:"working_hours"`
}

// QueueHours are the calendars of the queues that have one.
func (c Config) QueueHours() map[string]workinghours.Config {
	out := map[string]workinghours.Config{}
	for name, q := range c.Queues {
		out[name] = q.WorkingHours
	}
	return out
}
