package cli

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
)

// TestReloadOnHangup: SIGHUP reloads the flow directory; a broken set is
// refused with its problems logged and the old flows kept.
func TestReloadOnHangup(t *testing.T) {
	// Catch SIGHUP in this process first, so that a signal sent before
	// reloadOnHangup registers cannot end the test binary.
	guard := make(chan os.Signal, 16)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	dir := t.TempDir()
	file := filepath.Join(dir, "hello.flow.yaml")
	body := "id: hello\nversion: %d\ntrigger: message\nsteps:\n  - say: \"hi\"\n"
	if err := os.WriteFile(file, []byte(strings.Replace(body, "%d", "1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	go reloadOnHangup(t.Context(), a, zap.New(core))

	hangUpUntil := func(what string, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !done(); {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 10s of SIGHUP", what)
			}
			_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := os.WriteFile(file, []byte(strings.Replace(body, "%d", "2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	hangUpUntil("reload", func() bool { return len(a.Executor.Flows().Flows()) == 2 })
	if err := os.WriteFile(file, []byte("id: hello\nversion: 3\ntrigger: nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hangUpUntil("refusal", func() bool { return logs.FilterMessage("flow reload refused; the old flows stay").Len() > 0 })
	if n := len(a.Executor.Flows().Flows()); n != 2 {
		t.Errorf("after a refused reload %d flows are loaded, want the 2 of before", n)
	}
}
