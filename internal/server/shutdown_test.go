package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/server"
)

// waitAction signals entered, then blocks until release is closed.
type waitAction struct{ entered, release chan struct{} }

func (a waitAction) Run(context.Context, *actions.Call) (actions.Result, error) {
	close(a.entered)
	<-a.release
	return actions.Result{Value: true}, nil
}

// TestGracefulShutdownFinishesInFlightTurn: a request is inside a slow
// action when Shutdown starts; the listener closes at once, but the
// request completes with 200 and its reply before Shutdown returns.
func TestGracefulShutdownFinishesInFlightTurn(t *testing.T) {
	a, err := app.New(t.Context(), app.Options{Store: memory.New(), FlowPaths: []string{"../../examples/flows"}})
	if err != nil {
		t.Fatal(err)
	}
	wait := waitAction{entered: make(chan struct{}), release: make(chan struct{})}
	a.Registry.Register(actions.Spec{Name: "Test.Wait", Doc: "Blocks until the test releases it.", New: func() actions.Action { return wait }})
	set, probs := a.Loader.Load("testdata/slow.flow.yaml")
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	if probs := a.Executor.Reload(set); probs.HasErrors() {
		t.Fatal(probs.Err())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: server.New(a, nil), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	post := func(path, body string) (int, map[string]any, error) {
		res, err := client.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		var v map[string]any
		err = json.NewDecoder(res.Body).Decode(&v)
		return res.StatusCode, v, err
	}
	status, v, err := post("/v1/conversations", `{}`)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("start: %d %v", status, err)
	}
	id := v["id"].(string)

	type result struct {
		status int
		body   map[string]any
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		s, b, err := post("/v1/conversations/"+id+"/messages", `{"text":"slow"}`)
		inflight <- result{s, b, err}
	}()
	select {
	case <-wait.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the slow action")
	}

	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(context.Background()) }()
	// Shutdown closes the listener first: once new connections are
	// refused, it is under way.
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener is still open after Shutdown started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}

	close(wait.release)
	r := <-inflight
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("in-flight request: status %d, err %v; want 200", r.status, r.err)
	}
	if replies, _ := r.body["replies"].([]any); !slices.Equal(replies, []any{"done"}) {
		t.Errorf("replies = %v, want [done]", r.body["replies"])
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	// The turn was saved: the reply is in the transcript.
	c, err := a.Store.GetConversation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if last := c.Transcript[len(c.Transcript)-1]; last.From != "bot" || last.Text != "done" {
		t.Errorf("last transcript message = %+v, want the bot's done", last)
	}
}
