package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
)

// static holds the pages and their assets (read-only; go:embed needs a
// package-level variable).
//
//go:embed static
var static embed.FS

// Pages maps each page's path to its file under static/.
var pages = map[string]string{
	"/chat":        "chat.html",
	"/agent":       "agent.html",
	"/admin":       "admin.html",
	"/widget.js":   "widget.js",
	"/favicon.ico": "favicon.ico",
}

// Paths returns the paths of the pages and the top-level files ("/chat",
// "/widget.js", ...), sorted.
func Paths() []string {
	out := make([]string, 0, len(pages))
	for p := range pages {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Options configure Handler. The zero value frames nothing.
type Options struct {
	// FrameAncestors are the origins that may show /chat in an iframe
	// (the embedded widget). Empty: no one (frame-ancestors 'none').
	// The staff pages can never be framed.
	FrameAncestors []string
	// LogoURL is the configured brand logo; an https URL's origin is
	// added to img-src of /chat.
	LogoURL string
}

// csp builds the Content-Security-Policy: scripts, styles and connections
// only from this origin, no inline code, framing only by ancestors.
func csp(ancestors []string, imgExtra string) string {
	fa := "'none'"
	if len(ancestors) > 0 {
		fa = strings.Join(ancestors, " ")
	}
	img := "'self' data:"
	if imgExtra != "" {
		img += " " + imgExtra
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors " + fa + "; base-uri 'none'; form-action 'self'"
}

// securityHeaders are sent with every page and asset. Only /chat may be
// framed, and only by the configured origins; X-Frame-Options (which
// cannot list origins) is DENY everywhere else, and left out where
// frame-ancestors allows a list.
func securityHeaders(h http.Header, o Options, framable bool) {
	ancestors := []string(nil)
	if framable {
		ancestors = o.FrameAncestors
	}
	logo := ""
	if u, err := url.Parse(o.LogoURL); err == nil && u.Scheme == "https" && u.Host != "" {
		logo = "https://" + u.Host
	}
	h.Set("Content-Security-Policy", csp(ancestors, logo))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if len(ancestors) == 0 {
		h.Set("X-Frame-Options", "DENY")
	}
	// The files are embedded in the binary: revalidate so an upgrade shows at once.
	h.Set("Cache-Control", "no-cache")
}

// Handler serves the pages at their paths and the assets under /static/.
// Register it for the Paths and "GET /static/".
func Handler(o Options) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header(), o, r.URL.Path == "/chat")
		if name, ok := pages[r.URL.Path]; ok {
			if name == "widget.js" {
				// A host page of another origin loads it with <script src>.
				w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
			}
			http.ServeFileFS(w, r, sub, name)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/static/")
		if !ok || rest == "" || strings.HasSuffix(rest, ".html") || path.Clean("/"+rest) != "/"+rest {
			http.NotFound(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rest
		files.ServeHTTP(w, r2)
	})
}

// catalogs are the message catalogs of static/i18n, by language.
var catalogs = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	entries, err := fs.ReadDir(static, "static/i18n")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		lang, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		b, err := static.ReadFile("static/i18n/" + e.Name())
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("web: static/i18n/" + e.Name() + ": " + err.Error())
		}
		out[lang] = m
	}
	return out
}()

// Languages returns the languages the widget has a catalog for, sorted.
func Languages() []string {
	out := make([]string, 0, len(catalogs))
	for l := range catalogs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Messages returns the visitor-facing strings of the widget in lang: its
// catalog (by exact tag, else base language) over the English one, so a
// string missing from a catalog shows in English rather than as a key.
func Messages(lang string) map[string]string {
	out := map[string]string{}
	for k, v := range catalogs["en"] {
		out[k] = v
	}
	l := strings.ToLower(lang)
	c, ok := catalogs[l]
	if !ok {
		base, _, _ := strings.Cut(l, "-")
		c = catalogs[base]
	}
	for k, v := range c {
		out[k] = v
	}
	return out
}
