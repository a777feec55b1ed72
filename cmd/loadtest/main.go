// Command loadtest is chatflow's load harness (make loadtest). On loopback
// it starts `chatflow serve` on the embedded store (a temporary data
// directory), on Redis when REDIS_ADDR is set, and a bare net/http handler
// as the floor; then it drives visitor turns (POST /v1/conversations and
// POST /v1/conversations/{id}/messages) at each concurrency, alternating
// the targets round by round in the same run, and prints turns/s, p50 and
// p99 per target and the ratio of each to the bare handler.
//
// Every cell is bounded in time (-d) and in requests (-max); the servers
// are started and stopped by the harness. It exits non-zero if a server
// does not start or any request fails.
//
// Usage:
//
//	go build -o /tmp/chatflow ./cmd/chatflow
//	go run ./cmd/loadtest -bin /tmp/chatflow [-c 1,8,50] [-d 3s] [-rounds 2]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

// bareEnv makes the harness re-executed as the bare handler server; its
// value is the listen address.
const bareEnv = "CHATFLOW_LOADTEST_BARE_ADDR"

// turnsPerConversation bounds a conversation's transcript: each worker
// starts a new conversation after this many messages.
const turnsPerConversation = 20

func main() {
	if addr := os.Getenv(bareEnv); addr != "" {
		serveBare(addr)
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// serveBare is the floor: a net/http handler that reads the request body
// and answers with a reply of the size chatflow sends, doing nothing else.
func serveBare(addr string) {
	reply := []byte(`{"id":"f1722d277cb531e25e578139","replies":["I can help with orders, returns and invoices. Type 'agent' to talk to a person."],"waiting_for_input":false}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	})
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "bare handler:", err)
		os.Exit(1)
	}
}

type config struct {
	bin     string
	flows   string
	conc    []int
	dur     time.Duration
	warm    time.Duration
	rounds  int
	max     int64
	redis   string
	timeout time.Duration
	profile string
	before  string
}

func run() error {
	var cfg config
	var concs string
	flag.StringVar(&cfg.bin, "bin", "", "the chatflow binary to load (required; go build -o … ./cmd/chatflow)")
	flag.StringVar(&cfg.flows, "flows", "examples/flows", "flows the chatflow servers run")
	flag.StringVar(&concs, "c", "1,8,50", "comma-separated concurrencies")
	flag.DurationVar(&cfg.dur, "d", 3*time.Second, "measured duration of one cell (target × concurrency × round)")
	flag.DurationVar(&cfg.warm, "warm", 500*time.Millisecond, "unmeasured warm-up before each cell")
	flag.IntVar(&cfg.rounds, "rounds", 2, "rounds; each runs every target once per concurrency, the order alternating")
	flag.Int64Var(&cfg.max, "max", 1_000_000, "most requests of one cell")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of one request")
	flag.StringVar(&cfg.before, "before", "", "another chatflow binary (say, of main) to load on the embedded store as target bolt-before, for a before/after in one run")
	flag.StringVar(&cfg.profile, "cpuprofile", "", "directory to write a CPU profile of each chatflow server to, taken during its last cell at the highest concurrency (needs a binary built with -tags pprof)")
	flag.Parse()
	cfg.redis = os.Getenv("REDIS_ADDR")
	for _, f := range strings.Split(concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-c: %q is not a positive integer", f)
		}
		cfg.conc = append(cfg.conc, n)
	}
	if cfg.bin == "" {
		return errors.New("-bin is required: the chatflow binary to load")
	}

	tmp, err := os.MkdirTemp("", "chatflow-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var targets []*target
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	specs := []struct {
		name string
		cmd  func(addr string) *exec.Cmd
	}{
		{"bare", func(addr string) *exec.Cmd {
			c := exec.Command(self)
			c.Env = append(os.Environ(), bareEnv+"="+addr)
			return c
		}},
		{"bolt", func(addr string) *exec.Cmd {
			return exec.Command(cfg.bin, "serve", "--addr", addr, "--flows", cfg.flows,
				"--data", filepath.Join(tmp, "data"), "--redis-addr", "", "--log-level", "error")
		}},
	}
	if cfg.before != "" {
		specs = append(specs, struct {
			name string
			cmd  func(addr string) *exec.Cmd
		}{"bolt-before", func(addr string) *exec.Cmd {
			return exec.Command(cfg.before, "serve", "--addr", addr, "--flows", cfg.flows,
				"--data", filepath.Join(tmp, "data-before"), "--redis-addr", "", "--log-level", "error")
		}})
	}
	if cfg.redis != "" {
		specs = append(specs, struct {
			name string
			cmd  func(addr string) *exec.Cmd
		}{"redis", func(addr string) *exec.Cmd {
			return exec.Command(cfg.bin, "serve", "--addr", addr, "--flows", cfg.flows,
				"--redis-addr", cfg.redis, "--log-level", "error")
		}})
	}
	for _, sp := range specs {
		mk := sp.cmd
		var pprofAddr string
		if cfg.profile != "" && sp.name != "bare" {
			if pprofAddr, err = freeAddr(); err != nil {
				return err
			}
			mk = func(addr string) *exec.Cmd {
				c := sp.cmd(addr)
				c.Env = append(os.Environ(), "CHATFLOW_PPROF_ADDR="+pprofAddr)
				return c
			}
		}
		t, err := start(sp.name, mk)
		if err != nil {
			return err
		}
		t.pprof = pprofAddr
		targets = append(targets, t)
	}

	fmt.Printf("loadtest %s: GOMAXPROCS of this process %d, %d CPUs; %d rounds of %s per cell (+%s warm-up); targets %s\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0), runtime.NumCPU(), cfg.rounds, cfg.dur, cfg.warm, names(targets))
	results := map[string]map[int]*stats{}
	for _, t := range targets {
		results[t.name] = map[int]*stats{}
	}
	var failed int64
	for _, c := range cfg.conc {
		for r := range cfg.rounds {
			order := slices.Clone(targets)
			if r%2 == 1 {
				slices.Reverse(order)
			}
			for _, t := range order {
				st := results[t.name][c]
				if st == nil {
					st = &stats{}
					results[t.name][c] = st
				}
				var prof string
				if t.pprof != "" && c == slices.Max(cfg.conc) && r == cfg.rounds-1 {
					prof = filepath.Join(cfg.profile, fmt.Sprintf("%s-c%d.pprof", t.name, c))
				}
				errs := t.cell(cfg, c, st, prof)
				failed += errs
				fmt.Fprintf(os.Stderr, "  %-11s c=%-3d round %d: %d turns, %d errors\n", t.name, c, r+1, st.lastTurns, errs)
			}
		}
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "target\tc\tturns/s\tp50\tp99\t× bare\t")
	for _, c := range cfg.conc {
		floor := results["bare"][c].rate()
		for _, t := range targets {
			st := results[t.name][c]
			fmt.Fprintf(w, "%s\t%d\t%.0f\t%s\t%s\t%.3f\t\n", t.name, c, st.rate(),
				st.quantile(0.50).Round(time.Microsecond), st.quantile(0.99).Round(time.Microsecond), st.rate()/floor)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, t := range targets {
		if err := t.alive(); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// target is one server under load.
type target struct {
	name   string
	base   string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{}
	client *http.Client
	pprof  string // the server's pprof address, if profiled
}

// start runs the server on a free loopback port and waits until it
// answers.
func start(name string, mk func(addr string) *exec.Cmd) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	t := &target{name: name, base: "http://" + addr, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	t.cmd = mk(addr)
	t.cmd.Stdout = io.Discard
	t.cmd.Stderr = &lockedWriter{w: t.stderr}
	if err := t.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { _ = t.cmd.Wait(); close(t.exited) }()
	t.client = &http.Client{Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true,
	}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-t.exited:
			return nil, fmt.Errorf("%s exited at start: %s", name, t.stderr.String())
		default:
		}
		resp, err := t.client.Get(t.base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return t, nil
			}
			err = fmt.Errorf("GET /healthz: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.stop()
			return nil, fmt.Errorf("%s did not answer within 20s: %v; %s", name, err, t.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (t *target) alive() error {
	select {
	case <-t.exited:
		return fmt.Errorf("%s exited during the run: %s", t.name, t.stderr.String())
	default:
		return nil
	}
}

// stop ends the server: SIGTERM, then SIGKILL after 5 s.
func (t *target) stop() {
	if t.cmd.Process == nil {
		return
	}
	select {
	case <-t.exited:
		return
	default:
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(5 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.exited
	}
}

// cell runs c workers for cfg.warm unmeasured, then for cfg.dur (or until
// cfg.max requests), adding the measured turns to st; with prof set it
// saves a CPU profile of the measured part there. It returns the number
// of failed requests.
func (t *target) cell(cfg config, c int, st *stats, prof string) int64 {
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		count     atomic.Int64
		errs      atomic.Int64
		mu        sync.Mutex
		wg        sync.WaitGroup
		firstErr  atomic.Value
	)
	lat := make([][]time.Duration, c)
	for w := range c {
		wg.Go(func() {
			var convID string
			n := 0
			for !stop.Load() {
				var path, body string
				if convID == "" || n >= turnsPerConversation {
					path, body, n = "/v1/conversations", `{}`, 0
				} else {
					n++
					path = "/v1/conversations/" + convID + "/messages"
					body = fmt.Sprintf(`{"text":"what are your opening hours","idempotency_key":"w%d-%d"}`, w, n)
				}
				began := time.Now()
				id, err := t.post(cfg.timeout, path, body)
				took := time.Since(began)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					convID = ""
					if errs.Load() > 100 {
						stop.Store(true)
					}
					continue
				}
				if id != "" {
					convID = id
				}
				if measuring.Load() {
					lat[w] = append(lat[w], took)
					if count.Add(1) >= cfg.max {
						stop.Store(true)
					}
				}
			}
		})
	}
	time.Sleep(cfg.warm)
	measuring.Store(true)
	began := time.Now()
	profDone := make(chan error, 1)
	if prof != "" {
		go func() { profDone <- t.saveProfile(prof, cfg.dur) }()
	} else {
		profDone <- nil
	}
	deadline := time.NewTimer(cfg.dur)
	tick := time.NewTicker(10 * time.Millisecond)
	for !stop.Load() {
		select {
		case <-deadline.C:
			stop.Store(true)
		case <-tick.C:
		}
	}
	measuring.Store(false)
	elapsed := time.Since(began)
	tick.Stop()
	wg.Wait()
	if err := <-profDone; err != nil {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err)
	}
	mu.Lock()
	defer mu.Unlock()
	st.elapsed += elapsed
	st.lastTurns, st.sorted = 0, false
	for _, l := range lat {
		st.lat = append(st.lat, l...)
		st.lastTurns += len(l)
	}
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "  %s c=%d: first error: %v\n", t.name, c, e)
	}
	return errs.Load()
}

// saveProfile takes a CPU profile of the server for about d.
func (t *target) saveProfile(path string, d time.Duration) error {
	secs := max(1, int(d.Seconds()))
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", t.pprof, secs))
	if err != nil {
		return fmt.Errorf("profiling %s: %w", t.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profiling %s: %s", t.name, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "  wrote %s\n", path)
	return f.Close()
}

// post sends one turn; it returns the conversation id of a start.
func (t *target) post(timeout time.Duration, path, body string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("POST %s: %s: %.200s", path, resp.Status, data)
	}
	if path != "/v1/conversations" {
		return "", nil
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("POST %s: no conversation id in %.200s", path, data)
	}
	return out.ID, nil
}

// stats gathers the measured turns of one target at one concurrency.
type stats struct {
	elapsed   time.Duration
	lat       []time.Duration
	lastTurns int
	sorted    bool
}

func (s *stats) rate() float64 {
	if s == nil || s.elapsed <= 0 {
		return 0
	}
	return float64(len(s.lat)) / s.elapsed.Seconds()
}

func (s *stats) quantile(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	if !s.sorted {
		slices.Sort(s.lat)
		s.sorted = true
	}
	return s.lat[min(len(s.lat)-1, int(q*float64(len(s.lat))))]
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func names(ts []*target) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.name)
	}
	return strings.Join(out, ", ")
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
