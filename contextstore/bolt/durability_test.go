package bolt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// helperEnv names the variable that turns TestHelperProcess into the
// writer child of TestDurabilityAcrossKill; its value is the store path.
const helperEnv = "CHATFLOW_BOLT_HELPER_DB"

// TestHelperProcess is not a real test: run by TestDurabilityAcrossKill as
// a child process, it writes to the store in a loop from a few goroutines
// and prints each write's id to stdout once the write is acknowledged,
// until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestDurabilityAcrossKill")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex // one line per write, never interleaved
	ack := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(os.Stdout, line+"\n"); err != nil {
			os.Exit(3)
		}
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%06d", w, i)
				var err error
				var line string
				if i%2 == 0 {
					c := &contextstore.Conversation{ID: id, Vars: map[string]any{"i": float64(i)}, UpdatedAt: t0}
					err, line = s.PutConversation(ctx, c), "conv "+id
				} else {
					b := &contextstore.Block{ID: id, Kind: contextstore.KindUser, UserID: "u" + id, CreatedAt: t0,
						Outbox: []contextstore.OutboxEvent{{Type: "block.created", At: t0, Subject: id, Data: []byte(`{}`)}}}
					err, line = s.CreateBlock(ctx, b), "block "+id
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(4)
				}
				ack(line)
			}
		})
	}
	wg.Wait()
}

// TestDurabilityAcrossKill proves that every write a process saw
// acknowledged is in the file after the process is killed with SIGKILL
// mid-load: no buffering in the store loses acknowledged writes. (A kill
// leaves the OS page cache intact; surviving a power cut additionally
// relies on the fsync that bbolt does on every commit, which this test
// cannot observe.)
func TestDurabilityAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := tempPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// Read acknowledgements until enough have arrived (or a time limit),
	// kill the child in the middle of its load, then drain what it wrote
	// before dying. Only complete lines count as acknowledged.
	r := bufio.NewReader(out)
	var acked []string
	const want = 300
	deadline := time.Now().Add(1500 * time.Millisecond)
	killed := false
	for {
		line, err := r.ReadString('\n')
		if err == nil {
			acked = append(acked, strings.TrimSuffix(line, "\n"))
		}
		if !killed && (len(acked) >= want || time.Now().After(deadline)) {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
	}
	werr := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v; stderr:\n%s", werr, stderr.String())
	}
	if len(acked) < 10 {
		t.Fatalf("child acknowledged only %d writes before the kill; stderr:\n%s", len(acked), stderr.String())
	}

	s := openAt(t, path, Options{})
	ctx := t.Context()
	var convs, blocks int
	for _, line := range acked {
		kind, id, _ := strings.Cut(line, " ")
		switch kind {
		case "conv":
			convs++
			if _, err := s.GetConversation(ctx, id); err != nil {
				t.Errorf("acknowledged conversation %s lost: %v", id, err)
			}
		case "block":
			blocks++
			b, err := s.GetBlock(ctx, id)
			if err != nil {
				t.Errorf("acknowledged block %s lost: %v", id, err)
				continue
			}
			// The index entry committed in the same transaction.
			got, err := s.ListBlocks(ctx, contextstore.BlockQuery{UserID: b.UserID})
			if err != nil || len(got) != 1 {
				t.Errorf("index of block %s: %v, %v", id, got, err)
			}
		default:
			t.Logf("ignoring child output %q", line)
		}
	}
	// The outbox: an event for every acknowledged block, and none for a
	// block that is not there (each was written with its change).
	events, err := s.ReadOutbox(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]bool{}
	for _, e := range events {
		subjects[e.Subject] = true
		if _, err := s.GetBlock(ctx, e.Subject); err != nil {
			t.Errorf("outbox event %s for block %s, which is not stored: %v", e.ID, e.Subject, err)
		}
	}
	for _, line := range acked {
		if kind, id, _ := strings.Cut(line, " "); kind == "block" && !subjects[id] {
			t.Errorf("acknowledged block %s has no outbox event", id)
		}
	}
	t.Logf("%d acknowledged writes (%d conversations, %d blocks) all present after SIGKILL, with %d outbox events", len(acked), convs, blocks, len(events))
}
