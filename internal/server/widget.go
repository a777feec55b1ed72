package server

import (
	"context"
	"net/http"
	"strings"

	"golang.org/x/text/language"

	"github.com/chatflow/chatflow/internal/visitortoken"
	"github.com/chatflow/chatflow/internal/web"
)

// WidgetOptions configure the embeddable widget (WithWidget): who may
// frame /chat, the languages and the looks. The zero value is the
// default: nobody may frame it, English only, the default looks.
type WidgetOptions struct {
	// AllowedOrigins may embed /chat in an iframe (CSP frame-ancestors).
	AllowedOrigins []string
	// Languages the visitors are served in, the first the default
	// (default [en]).
	Languages []string
	// BrandName, PrimaryColor ("#rrggbb") and LogoURL style the widget.
	BrandName, PrimaryColor, LogoURL string
	// BlockedText gives the neutral blocked text in a language (the
	// config's blocked_message); nil: the WithBlockedText text.
	BlockedText func(lang string) string
}

// WithWidget configures the embeddable widget; see WidgetOptions.
func WithWidget(o WidgetOptions) Option {
	return func(s *Server) {
		if len(o.Languages) == 0 {
			o.Languages = []string{"en"}
		}
		s.widget = o
	}
}

// WithVisitorTokens makes POST /v1/conversations verify user tokens with
// v (JWTs: HS256, RS256, ES256; see internal/visitortoken) instead of the
// verifier WithVisitorTokenSecret makes.
func WithVisitorTokens(v *visitortoken.Verifier) Option {
	return func(s *Server) {
		if v != nil {
			s.tokens = v
		}
	}
}

// secretVerifier is the verifier of WithVisitorTokenSecret: HS256 JWTs
// and, for the deprecation period, the legacy format.
func secretVerifier(secret []byte) *visitortoken.Verifier {
	v, err := visitortoken.New(context.Background(), visitortoken.Options{Secret: secret, Legacy: true})
	if err != nil {
		panic(err) // a non-empty secret always makes a verifier
	}
	return v
}

// rtl are the base languages written right to left.
var rtl = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true}

// widgetLanguage picks the visitor's language among the configured ones:
// the lang the host page gave (data-lang), else the browser's
// Accept-Language, else the first configured language.
func (s *Server) widgetLanguage(r *http.Request) string {
	langs := s.widget.Languages
	tags := make([]language.Tag, 0, len(langs))
	for _, l := range langs {
		tags = append(tags, language.Make(l))
	}
	m := language.NewMatcher(tags)
	if want := r.URL.Query().Get("lang"); want != "" {
		if t, err := language.Parse(want); err == nil {
			if _, i, c := m.Match(t); c >= language.High {
				return langs[i]
			}
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		if prefs, _, err := language.ParseAcceptLanguage(al); err == nil && len(prefs) > 0 {
			if _, i, c := m.Match(prefs...); c > language.No {
				return langs[i]
			}
		}
	}
	return langs[0]
}

// widgetInfo answers GET /v1/widget: what the visitor page needs to
// present itself — the chosen language and its direction, the message
// catalog of that language, the brand and the neutral blocked text.
func (s *Server) widgetInfo(w http.ResponseWriter, r *http.Request) {
	lang := s.widgetLanguage(r)
	base, _, _ := strings.Cut(lang, "-")
	dir := "ltr"
	if rtl[base] {
		dir = "rtl"
	}
	blocked := s.blockedTextIn(lang)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept-Language")
	writeJSON(w, http.StatusOK, map[string]any{
		"lang":          lang,
		"dir":           dir,
		"languages":     s.widget.Languages,
		"messages":      web.Messages(lang),
		"brand_name":    s.widget.BrandName,
		"primary_color": s.widget.PrimaryColor,
		"logo_url":      s.widget.LogoURL,
		"blocked_text":  blocked,
	})
}

// validLang reports whether a start request's lang is a sane tag.
func validLang(l string) bool {
	if l == "" || len(l) > 35 {
		return l == ""
	}
	_, err := language.Parse(l)
	return err == nil
}

// blockedTextIn is the neutral blocked text in language lang (the config's
// blocked_message), else the WithBlockedText text.
func (s *Server) blockedTextIn(lang string) string {
	if s.widget.BlockedText != nil {
		if t := s.widget.BlockedText(lang); t != "" {
			return t
		}
	}
	return s.blockedText
}
