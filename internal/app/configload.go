package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/actions/suggest"
	"github.com/chatflow/chatflow/internal/workinghours"
)

// EnvPrefix starts the environment variable of every configuration key:
// the key's path in upper case, its parts joined with "_"
// (redis.read_timeout is CHATFLOW_REDIS_READ_TIMEOUT).
const EnvPrefix = "CHATFLOW_"

// ConfigKey describes one key of the configuration file.
type ConfigKey struct {
	// Key is the key's path in the YAML file ("redis.read_timeout").
	Key string
	// Env is the environment variable that sets it.
	Env string
	// Kind is what the value is: "text", "duration", "integer", "list"
	// (of text; comma-separated in the environment) or "yaml" (a list of
	// mappings, written as YAML or JSON in the environment).
	Kind string
	// Default is the value used when the key is absent.
	Default string
	// Doc says what the key does.
	Doc string
}

// configDocs are the default and meaning of every key, for ConfigKeys and
// the README's table; a test checks that every key of Config has one.
var configDocs = map[string][2]string{
	"working_hours.time_zone":        {"UTC", "IANA time zone of the helpdesk calendar (`Europe/Bucharest`)"},
	"working_hours.weekly.monday":    {"always open", "opening intervals of the day (`09:00-17:00`); when no day and no holiday has hours, the helpdesk is always open"},
	"working_hours.weekly.tuesday":   {"always open", "as monday"},
	"working_hours.weekly.wednesday": {"always open", "as monday"},
	"working_hours.weekly.thursday":  {"always open", "as monday"},
	"working_hours.weekly.friday":    {"always open", "as monday"},
	"working_hours.weekly.saturday":  {"always open", "as monday"},
	"working_hours.weekly.sunday":    {"always open", "as monday"},
	"working_hours.holidays":         {"none", "days with other hours: `date` (YYYY-MM-DD), `name`, `hours` (none: closed)"},
	"blocked_message":                {"none", "sent to a customer when blocked; neutral — the reason is never sent"},
	"encryption_key":                 {"`data/encryption.key` (created)", "32 bytes, hex or base64, encrypting visitor IPs at rest; every instance on one Redis needs the same"},
	"retention":                      {"7d", "personal data of an ended block, and the visitor IP of a conversation idle this long, is purged after this"},
	"never_block":                    {"loopback, private, link-local, CGNAT", "CIDRs that can never be banned (`[]` disables)"},
	"trusted_proxies":                {"none", "CIDRs of reverse proxies whose `X-Forwarded-For` is believed"},
	"conversation_ttl":               {"7d", "idle conversation contexts expire after this"},
	"maintenance_interval":           {"1m", "flush ban hit counts, purge after retention"},
	"sweep_interval":                 {"10m", "delete expired conversations (embedded store)"},
	"visitor_token_secret":           {"none", "the HMAC secret of logged-in visitors' user tokens; unset: anonymous visitors only"},
	"redis.url":                      {"none", "Redis by URL, go-redis's forms: `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), `…?master_name=NAME&addr=…` (Sentinel), `…?addr=…&addr=…` (Cluster); replaces `addrs` and the keys it carries"},
	"redis.addrs":                    {"none", "one: standalone (a cluster behind it is detected); several: Cluster seed nodes; with `master_name`: Sentinels"},
	"redis.master_name":              {"none", "Sentinel master name (enables Sentinel)"},
	"redis.username":                 {"none", "ACL user (Redis 6+)"},
	"redis.password":                 {"none", "password of the user (or `requirepass`)"},
	"redis.password_file":            {"none", "file holding the password (a mounted secret); trailing newline ignored"},
	"redis.tls":                      {"false", "connect with TLS (`rediss://` sets it)"},
	"redis.db":                       {"0", "database number; standalone and Sentinel only"},
	"redis.pool_size":                {"10 per CPU", "connections per node"},
	"redis.dial_timeout":             {"5s", "bound on establishing a connection"},
	"redis.read_timeout":             {"3s", "bound on waiting for a reply; a request waits at most about this per command"},
	"redis.write_timeout":            {"read_timeout", "bound on sending a command"},
	"redis.key_prefix":               {"`chatflow:`", "starts every key; one per deployment"},
	"redis.refresh_interval":         {"2s", "a Cluster's slot map is reloaded when older; a node that stops answering reloads it at once"},
	"redis.wait_replicas":            {"auto", "replicas that must confirm each sanction write: `auto` (1 when every master has a replica), `none`, or a number; unconfirmed writes fail (503)"},
	"redis.wait_timeout":             {"1s", "bound on the wait for replicas; shorter than read_timeout"},
	"redis.wait_turns":               {"false", "conversation turns wait for the replicas too (see Running on Redis Cluster or Sentinel)"},
	"visitor_tokens.public_key_file": {"none", "PEM file of the host's RSA or P-256 public keys (RS256, ES256)"},
	"visitor_tokens.jwks_url":        {"none", "URL of the host's JWK Set (RS256, ES256), fetched at start-up"},
	"visitor_tokens.audience":        {"none", "when set, must be in the tokens' `aud`"},
	"visitor_tokens.max_lifetime":    {"24h", "caps how long a token may be valid"},
	"visitor_tokens.leeway":          {"30s", "clock skew allowed on `exp`, `nbf` and `iat`"},
	"visitor_tokens.legacy":          {"true", "accept the deprecated pre-JWT token format for its deprecation period"},
	"widget.allowed_origins":         {"none", "host sites that may frame the chat (CSP `frame-ancestors`)"},
	"widget.languages":               {"en", "languages the customers are served in, the first the default"},
	"widget.brand_name":              {"Chat", "shown in the widget's header"},
	"widget.primary_color":           {"#0b5cad", "the widget's primary colour (`#rrggbb`)"},
	"widget.logo_url":                {"none", "logo shown in the widget's header"},
	"queues":                         {"none", "queues by name, each with `working_hours` of its own (time_zone, weekly, holidays); a queue without follows working_hours"},
	"moderation":                     {"limits on, no rules", "automatic moderation: `limits`, `ladder`, `warning`, `rules`, `rules_file`, `off` (see Automatic moderation)"},
	"webhooks.allow_private":         {"false", "let webhook deliveries reach loopback, private and link-local addresses (an intranet receiver)"},
	"webhooks.relay_interval":        {"1s", "how often the outbox is read into webhook deliveries"},
	"webhooks.dispatch_interval":     {"1s", "how often due webhook deliveries are attempted"},
	"webhooks.timeout":               {"10s", "bound on one delivery attempt"},
	"webhooks.max_attempts":          {"8", "attempts before a delivery is dead (kept for a manual resend)"},
}

// ConfigKeys lists every key of the configuration file, in the order of
// the Config struct, with its environment variable.
func ConfigKeys() []ConfigKey {
	var out []ConfigKey
	var walk func(t reflect.Type, path []string)
	walk = func(t reflect.Type, path []string) {
		for f := range fieldsOf(t) {
			p := append(slices.Clip(path), f.name)
			ft := indirect(f.typ)
			// A section that reads itself (moderation) is one key: its
			// own decoding checks what is inside.
			if ft.Kind() == reflect.Struct && ft != durationType && !reflect.PointerTo(ft).Implements(unmarshalerType) {
				walk(ft, p)
				continue
			}
			key := strings.Join(p, ".")
			doc := configDocs[key]
			out = append(out, ConfigKey{Key: key, Env: envName(p), Kind: kindOf(ft), Default: doc[0], Doc: doc[1]})
		}
	}
	walk(reflect.TypeFor[Config](), nil)
	return out
}

// ConfigError is every problem of a configuration at once, each naming
// the key, where it was set (file and line, or environment variable) and
// what is wrong.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return "config: " + e.Problems[0]
	}
	return "config: " + fmt.Sprint(len(e.Problems)) + " problems:\n  " + strings.Join(e.Problems, "\n  ")
}

// LoadConfig reads a YAML configuration file strictly (see
// LoadConfigEnv), without the environment.
func LoadConfig(path string) (Config, error) {
	return LoadConfigEnv(path, func(string) (string, bool) { return "", false })
}

// LoadConfigEnv reads the configuration file at path (none when path is
// empty) and then the environment through lookup (os.LookupEnv): a
// CHATFLOW_<KEY> variable (see ConfigKeys) replaces the file's value of
// that key. Unknown keys are errors, with a suggestion for a misspelt
// one; every problem is reported at once in a *ConfigError, naming the
// key and the line of the file, or the variable.
func LoadConfigEnv(path string, lookup func(string) (string, bool)) (Config, error) {
	var c Config
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	where := "environment"
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("reading config: %w", err)
		}
		where = path
		var doc yaml.Node
		if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		if len(doc.Content) == 1 {
			switch n := doc.Content[0]; {
			case n.Kind == yaml.MappingNode:
				root = n
			case n.Tag != "!!null":
				return c, &ConfigError{[]string{fmt.Sprintf("%s:%d: want a mapping of keys, got %s", path, n.Line, describe(n))}}
			}
		}
	}
	var probs []string
	checkNode(root, reflect.TypeFor[Config](), nil, where, &probs)
	for _, k := range ConfigKeys() {
		v, ok := lookup(k.Env)
		if !ok {
			continue
		}
		n, err := envNode(k, v)
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s (from %s): %v", k.Key, k.Env, err))
			continue
		}
		before := len(probs)
		checkNode(n, fieldType(strings.Split(k.Key, ".")), strings.Split(k.Key, "."), k.Env, &probs)
		if len(probs) == before {
			setPath(root, strings.Split(k.Key, "."), n)
		}
	}
	if len(probs) > 0 {
		return c, &ConfigError{probs}
	}
	if err := root.Decode(&c); err != nil {
		return c, fmt.Errorf("config %s: %w", where, err)
	}
	if _, err := workinghours.NewSchedules(c.WorkingHours, c.QueueHours()); err != nil {
		return c, fmt.Errorf("config %s: %w", where, err)
	}
	if err := c.Widget.Validate(); err != nil {
		return c, fmt.Errorf("config %s: %w", where, err)
	}
	if path != "" {
		if err := c.Moderation.SetFile(path); err != nil {
			return c, fmt.Errorf("config %s: moderation: %w", path, err)
		}
	}
	if err := c.Moderation.Check().Err(); err != nil {
		return c, err
	}
	return c, nil
}

// checkNode reports, into probs, what in n does not fit a value of type
// t at path: unknown keys (with a did-you-mean), values of the wrong
// shape, and scalars that do not decode (durations, integers).
// unmarshalerType is yaml.Unmarshaler, for types that read themselves.
var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func checkNode(n *yaml.Node, t reflect.Type, path []string, where string, probs *[]string) {
	t = indirect(t)
	at := func(n *yaml.Node) string {
		key := strings.Join(path, ".")
		if strings.HasPrefix(where, EnvPrefix) {
			return key + " (from " + where + ")"
		}
		if key == "" {
			return fmt.Sprintf("%s:%d", where, n.Line)
		}
		return fmt.Sprintf("%s:%d: %s", where, n.Line, key)
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Tag == "!!null" {
		return // absent: the default
	}
	switch {
	case t != durationType && reflect.PointerTo(t).Implements(unmarshalerType):
		// A type that reads itself (a text or a map of texts, rules with
		// their own checks): its own decoding says what is wrong.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			*probs = append(*probs, fmt.Sprintf("%s: %v", at(n), err))
		}
	case t.Kind() == reflect.Struct && t != durationType:
		if n.Kind != yaml.MappingNode {
			*probs = append(*probs, fmt.Sprintf("%s: want a mapping of keys, got %s", at(n), describe(n)))
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for f := range fieldsOf(t) {
			fields[f.name] = f.typ
			names = append(names, f.name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				full := strings.Join(append(slices.Clip(path), k.Value), ".")
				loc := fmt.Sprintf("%s:%d", where, k.Line)
				if strings.HasPrefix(where, EnvPrefix) {
					loc = where
				}
				msg := fmt.Sprintf("%s: unknown key %q", loc, full)
				if s := suggest.Closest(k.Value, names, max(2, len(k.Value)/3)); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else {
					msg += "; the keys here are " + strings.Join(names, ", ")
				}
				*probs = append(*probs, msg)
				continue
			}
			checkNode(v, ft, append(slices.Clip(path), k.Value), where, probs)
		}
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && indirect(t.Elem()).Kind() == reflect.Struct:
		// Named entries (queues.support.working_hours): each value is
		// checked like a struct.
		if n.Kind != yaml.MappingNode {
			*probs = append(*probs, fmt.Sprintf("%s: want a mapping of names, got %s", at(n), describe(n)))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkNode(n.Content[i+1], t.Elem(), append(slices.Clip(path), n.Content[i].Value), where, probs)
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			*probs = append(*probs, fmt.Sprintf("%s: want a list, got %s", at(n), describe(n)))
			return
		}
		for i, e := range n.Content {
			p := slices.Clone(path)
			p[len(p)-1] += fmt.Sprintf("[%d]", i)
			checkNode(e, t.Elem(), p, where, probs)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			*probs = append(*probs, fmt.Sprintf("%s: want %s, got %s", at(n), article(kindOf(t)), describe(n)))
			return
		}
		v := reflect.New(t)
		if err := n.Decode(v.Interface()); err != nil {
			msg := err.Error()
			var te *yaml.TypeError
			if errors.As(err, &te) {
				msg = fmt.Sprintf("want %s, got %s", article(kindOf(t)), describe(n))
			}
			*probs = append(*probs, fmt.Sprintf("%s: %s", at(n), msg))
		}
	}
}

// field is one YAML key of a struct.
type field struct {
	name string
	typ  reflect.Type
}

// fieldsOf yields the YAML keys of struct type t.
func fieldsOf(t reflect.Type) func(func(field) bool) {
	return func(yield func(field) bool) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if !yield(field{name, f.Type}) {
				return
			}
		}
	}
}

// fieldType is the type of the key at path of Config.
func fieldType(path []string) reflect.Type {
	t := reflect.TypeFor[Config]()
	for _, p := range path {
		for f := range fieldsOf(indirect(t)) {
			if f.name == p {
				t = f.typ
				break
			}
		}
	}
	return t
}

var durationType = reflect.TypeFor[Duration]()

func indirect(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func kindOf(t reflect.Type) string {
	t = indirect(t)
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Struct:
		return "yaml"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	}
	return "text"
}

func article(kind string) string {
	switch kind {
	case "integer":
		return "an integer"
	case "duration":
		return "a duration (e.g. 90m, 36h, 7d, 1w)"
	case "boolean":
		return "true or false"
	}
	return kind
}

// describe names what a node is, for "want X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return fmt.Sprintf("%q", v)
}

func envName(path []string) string {
	return EnvPrefix + strings.ToUpper(strings.Join(path, "_"))
}

// envNode is the YAML node of an environment variable's value v for key
// k: text as it is, a list comma-separated (or a YAML flow list), a yaml
// value parsed as YAML (JSON is YAML).
func envNode(k ConfigKey, v string) (*yaml.Node, error) {
	switch k.Kind {
	case "list":
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
			break
		}
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
			}
		}
		return n, nil
	case "yaml":
	case "text":
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, nil
	default: // the tag is resolved from the value, as in a file
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v}, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(v), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	}
	return doc.Content[0], nil
}

// setPath puts v at path in the mapping root, replacing what is there and
// adding the missing mappings.
func setPath(root *yaml.Node, path []string, v *yaml.Node) {
	for i, p := range path {
		var next *yaml.Node
		for j := 0; j+1 < len(root.Content); j += 2 {
			if root.Content[j].Value == p {
				if i == len(path)-1 {
					root.Content[j+1] = v
					return
				}
				next = root.Content[j+1]
				if next.Kind != yaml.MappingNode {
					next.Kind, next.Tag, next.Value, next.Content = yaml.MappingNode, "!!map", "", nil
				}
			}
		}
		if next == nil {
			key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p}
			if i == len(path)-1 {
				root.Content = append(root.Content, key, v)
				return
			}
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			root.Content = append(root.Content, key, next)
		}
		root = next
	}
}
