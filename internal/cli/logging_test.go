package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/metrics"
)

// pingDown is a store whose Ping fails, so that /readyz answers 503.
type pingDown struct{ contextstore.Store }

func (pingDown) Ping(context.Context) error {
	return fmt.Errorf("dial tcp 127.0.0.1:6379: connection refused: %w", contextstore.ErrUnavailable)
}

// logServer serves the handler chatflow serve builds, logging through
// newLogger into a buffer; stop closes the server (waiting for its
// handlers, so every line is written) and returns the parsed lines.
func logServer(t *testing.T, store contextstore.Store) (url string, stop func() []map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	log := newLogger(&buf, zapcore.InfoLevel)
	a, err := app.New(t.Context(), app.Options{Store: store, FlowPaths: []string{"../../examples/flows"}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(a, nil, log, metrics.New(log), "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, func() []map[string]any {
		srv.Close()
		var lines []map[string]any
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("log line %q: %v", sc.Text(), err)
			}
			lines = append(lines, m)
		}
		return lines
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestRequestLogNotSampled: 400 requests in well under a second are 400
// request lines (zap's production sampler kept about a hundred), each
// with an RFC 3339 UTC timestamp.
func TestRequestLogNotSampled(t *testing.T) {
	url, stop := logServer(t, memory.New())
	const n = 400
	for range n {
		if code := get(t, url+"/healthz"); code != http.StatusOK {
			t.Fatalf("GET /healthz = %d", code)
		}
	}
	requests := 0
	for _, l := range stop() {
		if l["msg"] != "request" {
			continue
		}
		requests++
		ts, _ := l["ts"].(string)
		if at, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") || time.Since(at) > time.Minute {
			t.Fatalf("ts = %v (%v), want an RFC 3339 UTC time of now", l["ts"], err)
		}
	}
	if requests != n {
		t.Errorf("%d request lines for %d requests", requests, n)
	}
}

// TestRequestLogCauses: a 5xx line is at error level with the cause and
// no stack trace; a 4xx line is at info level with neither.
func TestRequestLogCauses(t *testing.T) {
	url, stop := logServer(t, pingDown{memory.New()})
	if code := get(t, url+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz = %d, want 503", code)
	}
	if code := get(t, url+"/nope"); code != http.StatusNotFound {
		t.Fatalf("GET /nope = %d, want 404", code)
	}
	var got []string
	for _, l := range stop() {
		if _, ok := l["stacktrace"]; ok {
			t.Errorf("line with a stack trace: %v", l)
		}
		if l["msg"] == "request" {
			got = append(got, fmt.Sprint(l["level"], " ", l["route"], " ", l["status"], " error=", l["error"]))
		}
	}
	want := []string{
		"error /readyz 503 error=dial tcp 127.0.0.1:6379: connection refused: store unavailable",
		"info unmatched 404 error=<nil>",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("request lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseLogLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want zapcore.Level
		err  string
	}{
		{"debug", zap.DebugLevel, ""},
		{"info", zap.InfoLevel, ""},
		{"", zap.InfoLevel, ""},
		{"warn", zap.WarnLevel, ""},
		{"error", zap.ErrorLevel, ""},
		{"verbose", 0, `--log-level: "verbose" is not one of debug, info, warn, error`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseLogLevel(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseLogLevel(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
	code, _, stderr := cli(t, "", "serve", "--log-level", "loud")
	if code != 2 || !strings.HasPrefix(stderr, `chatflow: --log-level: "loud" is not one of debug, info, warn, error`) {
		t.Errorf("serve --log-level loud: exit %d, stderr %q; want 2 and the allowed levels", code, stderr)
	}
}

// TestLogLevelFilters: at warn, the info request lines are not written.
func TestLogLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, zapcore.WarnLevel)
	log.Info("request")
	log.Warn("slow")
	if got := buf.String(); strings.Contains(got, `"request"`) || !strings.Contains(got, `"msg":"slow"`) {
		t.Errorf("log at warn = %q", got)
	}
}
