package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
)

// RequestIDHeader carries the request id, in both directions.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen is the longest client-sent request id that is kept.
const maxRequestIDLen = 128

type requestIDKey struct{}

// requestState is what a handler tells the request's log line.
type requestState struct {
	cause error // see noteCause
}

type requestStateKey struct{}

// noteCause records err as the cause of the 5xx answer a handler is about
// to write: the request's one log line (at error level) carries it in its
// "error" field, next to the request id, so an operator sees why without
// the response revealing it. Handlers call it instead of logging a line
// of their own; it does nothing outside a request served by Server.
func noteCause(r *http.Request, err error) {
	if st, ok := r.Context().Value(requestStateKey{}).(*requestState); ok {
		st.cause = err
	}
}

// RequestID returns the request id of a request's context, or "" outside
// a request served by Server.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ServeHTTP implements http.Handler: it gives the request an id, limits
// the body to 64 KiB, serves it, then counts and logs it once: info level
// below 500, error level with the cause (see noteCause) from 500 on.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get(RequestIDHeader)
	if !saneRequestID(id) {
		id = newRequestID()
	}
	w.Header().Set(RequestIDHeader, id)
	st := &requestState{}
	ctx := context.WithValue(r.Context(), requestIDKey{}, id)
	r = r.WithContext(context.WithValue(ctx, requestStateKey{}, st))
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	rec := &recorder{ResponseWriter: w}
	if h, pattern := s.mux.Handler(r); pattern == "" {
		unmatched(rec, r, h)
	} else {
		s.mux.ServeHTTP(rec, r) // sets r.Pattern
	}

	took := time.Since(start)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	method, route := metricMethod(r.Method), routeOf(r.Pattern)
	s.metrics.ObserveHTTP(method, route, status, took)
	level := zap.InfoLevel
	if status >= 500 {
		level = zap.ErrorLevel
	}
	if ce := s.log.Check(level, "request"); ce != nil {
		fields := []zap.Field{
			zap.String("request_id", id),
			zap.String("method", method),
			zap.String("route", route),
			zap.Int("status", status),
			zap.Duration("duration", took),
			zap.Int64("bytes", rec.bytes),
		}
		if status >= 500 && st.cause != nil {
			fields = append(fields, zap.Error(st.cause))
		}
		ce.Write(fields...)
	}
}

// unmatched answers a request that no route matches as problem+json, as
// every other error: 404, or 405 with the Allow header when the path
// exists for other methods. h is what the ServeMux would have served (its
// text/plain 404 or 405, or a redirect to the cleaned path); it runs
// against a throwaway writer first to learn which, and the allowed
// methods. A redirect is served as the mux serves it.
func unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusMethodNotAllowed:
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		problem(w, http.StatusMethodNotAllowed, "method not allowed",
			fmt.Sprintf("%s is not allowed on this path; allowed: %s", metricMethod(r.Method), allow))
	case http.StatusNotFound:
		problem(w, http.StatusNotFound, "not found", "no route matches this path; the API is described at /openapi.json")
	default:
		h.ServeHTTP(w, r)
	}
}

// headerProbe is a ResponseWriter that keeps the header and status and
// discards the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }

func (p *headerProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *headerProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// routeOf returns the path of a matched ServeMux pattern as OpenAPI
// writes it ("POST /v1/conversations/{id}/messages" →
// "/v1/conversations/{id}/messages"), or "unmatched" when no route
// matched (404, 405): the raw path would give every conversation its own
// metric series and its id to the logs.
func routeOf(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	return openAPIPath(pattern)
}

// metricMethod keeps the method label to a bounded set.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// saneRequestID reports whether a client-sent request id is kept: 1 to
// 128 ASCII letters, digits, '-', '_', '.' or ':' (UUIDs, ULIDs, the ids
// of common proxies). Anything else is replaced, so logs cannot be
// forged or flooded through the header.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 32 random hex digits.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records the size (and an implicit 200).
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush forwards to the underlying writer when it can flush (streaming).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if r.status == 0 {
			r.status = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
