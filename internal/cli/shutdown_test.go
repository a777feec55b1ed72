package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the binary's main when the test binary is re-executed as
// chatflow (CHATFLOW_TEST_MAIN=1), so a test can signal a real process.
func TestMain(m *testing.M) {
	if os.Getenv("CHATFLOW_TEST_MAIN") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, Env{}))
	}
	os.Exit(m.Run())
}

// TestServeSIGTERMWithOpenStreams: with visitor event streams open, SIGTERM
// makes serve end every stream with a "reconnect" event and exit 0 within
// a fraction of the grace period (it used to wait the whole 20 s for the
// streams and exit 1).
func TestServeSIGTERMWithOpenStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "serve", "--demo", "--addr", "127.0.0.1:0",
		"--flows", "../../examples/flows", "--data", t.TempDir())
	var stdout strings.Builder
	cmd.Stdout = &stdout
	cmd.Env = append(os.Environ(), "CHATFLOW_TEST_MAIN=1", "REDIS_ADDR=", "CHATFLOW_CONFIG=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addrc := make(chan string, 1)
	var logs strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "chatflow serving" {
				addrc <- line.Addr
			}
		}
		exited <- cmd.Wait()
	}()
	var base string
	select {
	case base = <-addrc:
	case err := <-exited:
		t.Fatalf("serve exited before serving: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}

	const streams = 3
	events := make(chan []string, streams)
	for range streams {
		res, err := http.Post(base+"/v1/conversations", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		var conv struct{ ID string }
		err = json.NewDecoder(res.Body).Decode(&conv)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		res, err = http.Get(base + "/v1/conversations/" + conv.ID + "/events")
		if err != nil {
			t.Fatal(err)
		}
		first := make(chan struct{})
		go func() {
			defer res.Body.Close()
			var names []string
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					if names = append(names, name); len(names) == 1 {
						close(first)
					}
				}
			}
			events <- names
		}()
		select {
		case <-first: // the stream is open and has sent its state
		case <-time.After(10 * time.Second):
			t.Fatal("the event stream sent nothing")
		}
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("serve exited with %v after SIGTERM, want status 0\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10s after SIGTERM\n%s", logs.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("serve took %v to stop, want well within the %v grace period", d, shutdownGrace)
	}
	for range streams {
		names := <-events
		if len(names) == 0 || names[len(names)-1] != "reconnect" {
			t.Errorf("stream events = %v, want the last one to be reconnect", names)
		}
	}
	// make run's welcome: the three pages and how to sign in, on stdout.
	for _, want := range []string{"chatflow is ready at " + base + "\n", base + "/chat ", base + "/agent\n", base + "/admin\n", `"Sign in as Demo Agent"`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still accepts connections after it exited")
	}
}
