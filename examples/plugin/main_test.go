package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow"

	"example.com/chatflow-plugin/greet"
	"example.com/chatflow-plugin/logstore"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := chatflow.Main(context.Background(), args, chatflow.WithAction(greet.Spec()),
		chatflow.WithStore("logstore", logstore.Open), chatflow.WithIO(strings.NewReader(""), &out, &errOut))
	return code, out.String(), errOut.String()
}

// TestBinary: the binary lists its action, and validate checks a flow that
// calls it (and refuses bad parameters with their place).
func TestBinary(t *testing.T) {
	code, out, _ := run(t, "actions")
	if code != 0 || !strings.Contains(out, "Example.Greet") || !strings.Contains(out, "HelpdeskClient.IsBlockedForLiveChat") {
		t.Fatalf("actions: %d\n%s", code, out)
	}
	if code, out, errOut := run(t, "validate", "flows"); code != 0 {
		t.Fatalf("validate flows: %d\n%s%s", code, out, errOut)
	}
	dir := t.TempDir()
	bad := dir + "/bad.flow.yaml"
	if err := writeFile(bad, "id: bad\nversion: 1\ntrigger: message\nsteps:\n  - action: Example.Greet\n    params: {Language: fr}\n"); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "validate", bad)
	if code != 1 || !strings.Contains(out, "bad.flow.yaml:6:") || !strings.Contains(out, "Name") {
		t.Fatalf("validate of bad params: %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "serve", "--store", "nope", "--data", dir); code != 2 || !strings.Contains(errOut, `unknown store "nope"; use embedded, redis, logstore`) {
		t.Fatalf("serve --store nope: %d\n%s", code, errOut)
	}
}

// TestServeOnTheCustomStore: serve runs on the backend the binary adds and
// answers a visitor with the custom action.
func TestServeOnTheCustomStore(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() {
		done <- chatflow.Main(ctx, []string{"serve", "--store", "logstore", "--addr", addr, "--flows", "flows", "--data", t.TempDir()},
			chatflow.WithAction(greet.Spec()), chatflow.WithStore("logstore", logstore.Open), chatflow.WithIO(strings.NewReader(""), io.Discard, &errOut))
	}()
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		res, err := http.Post("http://"+addr+"/v1/conversations", "application/json", strings.NewReader(`{}`))
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer: %v\n%s", err, errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var conv struct{ ID string }
	if err := json.Unmarshal([]byte(body), &conv); err != nil || conv.ID == "" {
		t.Fatalf("start: %s (%v)", body, err)
	}
	res, err := http.Post("http://"+addr+"/v1/conversations/"+conv.ID+"/messages", "application/json", strings.NewReader(`{"text": "hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(reply), "Hallo, friend!") {
		t.Errorf("the custom action did not answer: %d %s\n%s", res.StatusCode, reply, errOut.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d\n%s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), `"store":"logstore"`) || !strings.Contains(errOut.String(), "conversation saved") {
		t.Errorf("the server did not run on logstore:\n%s", errOut.String())
	}
}
