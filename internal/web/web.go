package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// static holds the pages and their assets (read-only; go:embed needs a
// package-level variable).
//
//go:embed static
var static embed.FS

// Pages maps each page's path to its HTML file under static/.
var pages = map[string]string{
	"/chat":  "chat.html",
	"/agent": "agent.html",
	"/admin": "admin.html",
}

// Paths returns the paths of the pages ("/chat", ...), sorted.
func Paths() []string { return []string{"/admin", "/agent", "/chat"} }

// securityHeaders are sent with every page and asset: scripts, styles
// and connections only from this origin, no framing, no inline code.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	// The files are embedded in the binary: revalidate so an upgrade shows at once.
	h.Set("Cache-Control", "no-cache")
}

// Handler serves the pages at their paths and the assets under
// /static/. Register it for "GET /chat", "GET /agent", "GET /admin" and
// "GET /static/".
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		if name, ok := pages[r.URL.Path]; ok {
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
