package app

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Texts is a customer-facing text in one or several languages. In YAML it
// is a string (the text for every language) or a map from language tag
// to text ({en: "…", de: "…"}).
type Texts map[string]string

// UnmarshalYAML reads a string or a map of strings.
func (t *Texts) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*t = Texts{"": n.Value}
		return nil
	case yaml.MappingNode:
		m := map[string]string{}
		if err := n.Decode(&m); err != nil {
			return fmt.Errorf("line %d: want a text or a map of language: text", n.Line)
		}
		*t = Texts(m)
		return nil
	}
	return fmt.Errorf("line %d: want a text or a map of language: text", n.Line)
}

// For returns the text for lang: its exact tag, its base language ("de"
// for "de-AT"), the text without a language (a plain string), English,
// else "" when there is none of those.
func (t Texts) For(lang string) string {
	lang = strings.ToLower(lang)
	if v, ok := t[lang]; ok {
		return v
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if v, ok := t[base]; ok {
			return v
		}
	}
	if v, ok := t[""]; ok {
		return v
	}
	return t["en"]
}

// Missing returns the languages of langs that t has no text of its own
// for (a plain string covers every language).
func (t Texts) Missing(langs []string) []string {
	if _, ok := t[""]; ok || len(t) == 0 {
		return nil
	}
	var out []string
	for _, l := range langs {
		if _, ok := t[l]; !ok {
			out = append(out, l)
		}
	}
	return out
}

// VisitorTokensConfig configures internal/visitortoken beyond the shared
// secret (Config.VisitorTokenSecret, which verifies HS256 tokens).
type VisitorTokensConfig struct {
	// PublicKeyFile is a PEM file of the host's RSA or P-256 public keys
	// (RS256, ES256 tokens).
	PublicKeyFile string `yaml:"public_key_file"`
	// JWKSURL is where the host publishes its public keys (a JWK Set).
	JWKSURL string `yaml:"jwks_url"`
	// Audience, when set, must be in the tokens' aud claim.
	Audience string `yaml:"audience"`
	// MaxLifetime caps how long a token may be valid (default 24h).
	MaxLifetime Duration `yaml:"max_lifetime"`
	// Leeway is the clock skew allowed on exp, nbf and iat (default 30s).
	Leeway Duration `yaml:"leeway"`
	// Legacy accepts the deprecated pre-JWT token format (signed with the
	// secret) during its deprecation period: default true now, removed in
	// the next minor release. Set false once every host signs JWTs.
	Legacy *bool `yaml:"legacy"`
}

// AcceptLegacy reports whether the pre-JWT format is accepted (default
// true during the deprecation period).
func (v VisitorTokensConfig) AcceptLegacy() bool { return v.Legacy == nil || *v.Legacy }

// WidgetConfig is the embeddable widget (widget.js and the /chat page).
type WidgetConfig struct {
	// AllowedOrigins are the host sites that may frame the chat
	// ("https://www.acme.com"): the Content-Security-Policy frame-ancestors
	// of /chat. Empty: no site may (frame-ancestors 'none').
	AllowedOrigins []string `yaml:"allowed_origins"`
	// Languages are the languages the customers are served in, the first
	// the default (default [en]). The widget has catalogs for en, de and
	// ro; `chatflow validate` warns when a flow's text or a configured
	// customer message lacks one of them.
	Languages []string `yaml:"languages"`
	// BrandName is shown in the widget's header (default "Chat").
	BrandName string `yaml:"brand_name"`
	// PrimaryColor is the brand colour ("#0b5cad"), used for the launcher,
	// buttons and the visitor's messages; the text on it is black or white,
	// whichever contrasts more.
	PrimaryColor string `yaml:"primary_color"`
	// LogoURL is an image shown next to the brand name: a path on this
	// server, an https URL or a data: URL.
	LogoURL string `yaml:"logo_url"`
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Validate reports the first invalid setting.
func (w WidgetConfig) Validate() error {
	for _, o := range w.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" ||
			strings.ContainsAny(o, " ;,'\"") {
			return fmt.Errorf("widget: allowed_origins: %q is not an origin (scheme://host[:port])", o)
		}
	}
	for _, l := range w.Languages {
		if !regexp.MustCompile(`^[a-z]{2,3}(-[a-zA-Z0-9]{2,8})*$`).MatchString(l) {
			return fmt.Errorf("widget: languages: %q is not a language tag (en, de, pt-BR)", l)
		}
	}
	if w.PrimaryColor != "" && !hexColor.MatchString(w.PrimaryColor) {
		return fmt.Errorf("widget: primary_color: %q is not a #rrggbb colour", w.PrimaryColor)
	}
	if w.LogoURL != "" {
		u, err := url.Parse(w.LogoURL)
		if err != nil || !(u.Scheme == "https" || u.Scheme == "data" || (u.Scheme == "" && strings.HasPrefix(w.LogoURL, "/"))) || strings.ContainsAny(w.LogoURL, " ;'\"") {
			return fmt.Errorf("widget: logo_url: %q must be a path on this server, an https URL or a data: URL", w.LogoURL)
		}
	}
	return nil
}

// Langs returns the configured languages, or [en].
func (w WidgetConfig) Langs() []string {
	if len(w.Languages) == 0 {
		return []string{"en"}
	}
	return slices.Clone(w.Languages)
}

// PublicKeyPEM reads PublicKeyFile; nil when it is not set.
func (v VisitorTokensConfig) PublicKeyPEM() ([]byte, error) {
	if v.PublicKeyFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(v.PublicKeyFile)
	if err != nil {
		return nil, fmt.Errorf("visitor_tokens: public_key_file: %w", err)
	}
	return b, nil
}

// Durations returns MaxLifetime and Leeway as time.Duration (0: default).
func (v VisitorTokensConfig) Durations() (maxLifetime, leeway time.Duration) {
	return time.Duration(v.MaxLifetime), time.Duration(v.Leeway)
}
