package flowtest

import (
	"context"
	"errors"
	"fmt"
	"github.com/chatflow/chatflow/internal/duration"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/flows/expression"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/schemas"
)

// DefaultClock is where a script's clock starts unless it says otherwise:
// Monday 5 January 2026, 10:00 UTC.
var DefaultClock = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// System is what a script runs against: built fresh for each script.
type System struct {
	Executor *flows.Executor
	Store    contextstore.Store
	Clock    *clock.Fake
	// Commands are extra script commands, by key.
	Commands map[string]Command
}

// Spec says what a script runs against: flow files or directories and an
// optional service configuration file (paths resolved against the script).
type Spec struct {
	Flows  []string
	Config string
	// Hooks are executor hooks the Builder must add to the System's
	// executor (after its own), such as the Runner's Coverage.
	Hooks []flows.Hook
}

// Builder builds a System for a Spec with the given clock.
type Builder func(ctx context.Context, spec Spec, clk *clock.Fake) (*System, error)

// Command executes one script step. arg is the value of the step's key.
type Command func(ctx context.Context, s *Session, arg *yaml.Node) error

// Session is the state of a running script.
type Session struct {
	Sys *System
	// Conversation is the id of the current conversation.
	Conversation string
	// Replies are the bot's replies of the last turn.
	Replies []string
	// Last is the result of the last turn.
	Last *flows.TurnResult
	// LastErr is the error of the last event (nil when it succeeded);
	// expect_error checks it.
	LastErr error

	users   map[string]convSpec
	eventNo int
}

type convSpec struct {
	ID      string    `yaml:"id"`
	User    *userSpec `yaml:"user"`
	Channel string    `yaml:"channel"`
	IP      string    `yaml:"ip"`
}

type userSpec struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
}

func (c convSpec) event(typ flows.EventType) flows.Event {
	ev := flows.Event{Type: typ, ConversationID: c.ID, Channel: c.Channel, VisitorIP: c.IP}
	if c.User != nil {
		ev.User = &contextstore.ChatUser{UserID: c.User.ID, Name: c.User.Name, Email: c.User.Email, IsAuthenticated: c.User.ID != ""}
	}
	return ev
}

// Send runs one event for the current conversation and remembers its replies.
func (s *Session) Send(ctx context.Context, ev flows.Event) error {
	spec := s.users[s.Conversation]
	base := spec.event(ev.Type)
	ev.ConversationID = s.Conversation
	if ev.User == nil {
		ev.User = base.User
	}
	if ev.Channel == "" {
		ev.Channel = base.Channel
	}
	if ev.VisitorIP == "" {
		ev.VisitorIP = base.VisitorIP
	}
	s.eventNo++
	if ev.Key == "" {
		ev.Key = "script-" + strconv.Itoa(s.eventNo)
	}
	res, err := s.Sys.Executor.Handle(ctx, ev)
	s.LastErr = err
	if err != nil {
		s.Replies = nil
		return nil
	}
	s.Last, s.Replies = res, res.Replies
	return nil
}

// Conv returns the stored current conversation.
func (s *Session) Conv(ctx context.Context) (*contextstore.Conversation, error) {
	return s.Sys.Store.GetConversation(ctx, s.Conversation)
}

// Script is a parsed test script.
type Script struct {
	Name         string    `yaml:"name"`
	Flows        Paths     `yaml:"flows"`
	Config       string    `yaml:"config"`
	Clock        time.Time `yaml:"clock"`
	Conversation convSpec  `yaml:"conversation"`
	Steps        yaml.Node `yaml:"steps"`
}

// Paths is one path or a list of paths in YAML.
type Paths []string

// UnmarshalYAML accepts a string or a list of strings.
func (p *Paths) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*p = Paths{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*p = l
	return nil
}

// Result is the outcome of one script.
type Result struct {
	File   string
	Name   string
	Steps  int
	Failed bool
	// Failure says which step failed and how (with a diff).
	Failure string
}

// Runner runs scripts.
type Runner struct {
	Build Builder
	// Out receives progress lines ("PASS name", "FAIL name" + diff).
	Out io.Writer
	// Coverage, when set, records the steps and branch arms the scripts
	// run (see Coverage); the Builder must honour Spec.Hooks.
	Coverage *Coverage
}

// Files expands paths (files and directories walked for *.test.yaml and
// *.test.yml) into a sorted list of script files.
func Files(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err == nil && flows.OtherModule(p, path, d) {
				return filepath.SkipDir
			}
			if err == nil && !d.IsDir() && IsScript(d.Name()) {
				out = append(out, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// IsScript reports whether a file name is a test script by its suffix.
func IsScript(name string) bool {
	return strings.HasSuffix(name, ".test.yaml") || strings.HasSuffix(name, ".test.yml")
}

// RunAll runs every script and returns their results; it prints progress and
// a final "N passed, M failed" line to r.Out.
func (r *Runner) RunAll(ctx context.Context, files []string) []Result {
	var results []Result
	passed, failed := 0, 0
	for _, f := range files {
		res := r.RunFile(ctx, f)
		results = append(results, res)
		if res.Failed {
			failed++
			fmt.Fprintf(r.Out, "FAIL %s (%s)\n%s\n", res.Name, res.File, indent(res.Failure))
		} else {
			passed++
			fmt.Fprintf(r.Out, "PASS %s (%s, %d steps)\n", res.Name, res.File, res.Steps)
		}
	}
	fmt.Fprintf(r.Out, "%d passed, %d failed\n", passed, failed)
	return results
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// RunFile runs one script.
func (r *Runner) RunFile(ctx context.Context, file string) Result {
	res := Result{File: file, Name: filepath.Base(file)}
	fail := func(format string, args ...any) Result {
		res.Failed, res.Failure = true, fmt.Sprintf(format, args...)
		return res
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fail("%v", err)
	}
	var sc Script
	if err := yaml.Unmarshal(data, &sc); err != nil {
		return fail("%s: invalid script: %v", file, err)
	}
	if sc.Name != "" {
		res.Name = sc.Name
	}
	if len(sc.Flows) == 0 {
		sc.Flows = Paths{"../flows"}
	}
	if sc.Clock.IsZero() {
		sc.Clock = DefaultClock
	}
	if sc.Conversation.ID == "" {
		sc.Conversation.ID = "c1"
	}
	if sc.Steps.Kind != yaml.SequenceNode {
		return fail("%s: a script needs a list of steps", file)
	}
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(file), p)
	}
	paths := make([]string, len(sc.Flows))
	for i, p := range sc.Flows {
		paths[i] = rel(p)
	}
	spec := Spec{Flows: paths}
	if sc.Config != "" {
		spec.Config = rel(sc.Config)
	}
	if r.Coverage != nil {
		spec.Hooks = append(spec.Hooks, r.Coverage)
	}
	sys, err := r.Build(ctx, spec, clock.NewFake(sc.Clock))
	if err != nil {
		return fail("%s: %v", file, err)
	}
	if r.Coverage != nil {
		r.Coverage.AddFlows(sys.Executor.Flows().Flows())
	}
	defer sys.Store.Close()
	s := &Session{Sys: sys, Conversation: sc.Conversation.ID, users: map[string]convSpec{sc.Conversation.ID: sc.Conversation}}
	for i, step := range sc.Steps.Content {
		if step.Kind != yaml.MappingNode || len(step.Content) != 2 {
			return fail("%s:%d:%d: step %d: a step is a map with one key", file, step.Line, step.Column, i+1)
		}
		key, arg := step.Content[0].Value, step.Content[1]
		cmd := builtinCommands()[key]
		if cmd == nil {
			cmd = sys.Commands[key]
		}
		if cmd == nil {
			return fail("%s:%d:%d: step %d: %s", file, step.Line, step.Column, i+1, unknownCommand(key, knownCommands(sys)))
		}
		if err := cmd(ctx, s, arg); err != nil {
			return fail("%s:%d:%d: step %d (%s): %v", file, step.Line, step.Column, i+1, key, err)
		}
		if s.LastErr != nil && !isExpectError(sc.Steps.Content, i) {
			return fail("%s:%d:%d: step %d (%s): %v", file, step.Line, step.Column, i+1, key, s.LastErr)
		}
		res.Steps++
	}
	return res
}

// isExpectError reports whether the step after i checks the error of i.
func isExpectError(steps []*yaml.Node, i int) bool {
	return i+1 < len(steps) && len(steps[i+1].Content) == 2 && steps[i+1].Content[0].Value == "expect_error"
}

func knownCommands(sys *System) []string {
	var names []string
	for k := range builtinCommands() {
		names = append(names, k)
	}
	for k := range sys.Commands {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// builtinCommands returns the commands every script has.
func builtinCommands() map[string]Command {
	return map[string]Command{
		"start":              cmdStart,
		"user":               cmdUser,
		"bot":                cmdBot,
		"bot_contains":       cmdBotContains,
		"bot_not_contains":   cmdBotNotContains,
		"expect":             cmdExpect,
		"assert":             cmdAssert,
		"advance":            cmdAdvance,
		"agent_disconnected": cmdAgentDisconnected,
		"conversation":       cmdConversation,
		"end":                cmdEnd,
		"expect_error":       cmdExpectError,
	}
}

func cmdStart(ctx context.Context, s *Session, _ *yaml.Node) error {
	return s.Send(ctx, flows.Event{Type: flows.EventStart})
}

func cmdEnd(ctx context.Context, s *Session, _ *yaml.Node) error {
	return s.Send(ctx, flows.Event{Type: flows.EventEnd})
}

func cmdUser(ctx context.Context, s *Session, arg *yaml.Node) error {
	return s.Send(ctx, flows.Event{Type: flows.EventMessage, Text: arg.Value})
}

func cmdExpectError(_ context.Context, s *Session, arg *yaml.Node) error {
	if s.LastErr == nil {
		return fmt.Errorf("expected the last event to fail with %q, but it succeeded", arg.Value)
	}
	if !strings.Contains(s.LastErr.Error(), arg.Value) {
		return fmt.Errorf("expected an error containing %q, got: %v", arg.Value, s.LastErr)
	}
	s.LastErr = nil
	return nil
}

func strList(n *yaml.Node) ([]string, error) {
	var out []string
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	err := n.Decode(&out)
	return out, err
}

func cmdBot(_ context.Context, s *Session, arg *yaml.Node) error {
	want, err := strList(arg)
	if err != nil {
		return err
	}
	if slices.Equal(want, s.Replies) {
		return nil
	}
	return fmt.Errorf("bot replies differ (- expected, + actual):\n%s", Diff(want, s.Replies))
}

func cmdBotContains(_ context.Context, s *Session, arg *yaml.Node) error {
	for _, r := range s.Replies {
		if strings.Contains(r, arg.Value) {
			return nil
		}
	}
	return fmt.Errorf("no bot reply contains %q; replies were:\n%s", arg.Value, Diff(nil, s.Replies))
}

func cmdBotNotContains(_ context.Context, s *Session, arg *yaml.Node) error {
	for _, r := range s.Replies {
		if strings.Contains(r, arg.Value) {
			return fmt.Errorf("a bot reply contains %q: %q", arg.Value, r)
		}
	}
	return nil
}

func cmdAdvance(_ context.Context, s *Session, arg *yaml.Node) error {
	d, err := ParseDuration(arg.Value)
	if err != nil {
		return err
	}
	s.Sys.Clock.Advance(d)
	return nil
}

// ParseDuration parses the clock move of an advance step in chatflow's
// one duration grammar (internal/duration): "90m", "24h", "1d", "2w"; a
// leading "-" moves the clock back.
func ParseDuration(v string) (time.Duration, error) {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(v), "-"); ok {
		d, err := duration.Parse(rest)
		if err != nil {
			return 0, &duration.Error{Input: v, Reason: err.(*duration.Error).Reason}
		}
		return -d, nil
	}
	return duration.Parse(v)
}

func cmdAgentDisconnected(ctx context.Context, s *Session, arg *yaml.Node) error {
	var fb struct {
		Agent   string `yaml:"agent"`
		Block   bool   `yaml:"block"`
		Reason  string `yaml:"reason"`
		Notes   string `yaml:"notes"`
		Minutes int    `yaml:"minutes"`
		Rating  int    `yaml:"rating"`
		Spam    bool   `yaml:"spam"`
	}
	if err := arg.Decode(&fb); err != nil {
		return err
	}
	return s.Send(ctx, flows.Event{Type: flows.EventAgentDisconnected, Feedback: &contextstore.AgentFeedback{
		AgentEmail: fb.Agent, Block: fb.Block, ReasonCategory: fb.Reason, Notes: fb.Notes, BlockIntervalMinutes: fb.Minutes, Rating: fb.Rating, MarkSpam: fb.Spam,
	}})
}

func cmdConversation(_ context.Context, s *Session, arg *yaml.Node) error {
	var c convSpec
	if err := arg.Decode(&c); err != nil {
		return err
	}
	if c.ID == "" {
		return errors.New("conversation needs an id")
	}
	if prev, ok := s.users[c.ID]; ok && c.User == nil && c.IP == "" && c.Channel == "" {
		c = prev
	}
	s.users[c.ID] = c
	s.Conversation = c.ID
	s.Replies, s.Last = nil, nil
	return nil
}

// env builds an expression environment from the stored conversation.
func (s *Session) env(ctx context.Context) (*expression.Env, error) {
	c, err := s.Conv(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading conversation %s: %w", s.Conversation, err)
	}
	act := &contextstore.ChatActivityData{}
	if c.User.IsAuthenticated {
		if a, err := s.Sys.Store.GetActivity(ctx, c.User.UserID); err == nil {
			act = a
		} else if !errors.Is(err, contextstore.ErrNotFound) {
			return nil, err
		}
	}
	return &expression.Env{ConversationInfo: &c.Info, ChatUser: &c.User, ChatActivityData: act,
		AgentFeedback: &c.Feedback, HelpdeskClient: &c.Helpdesk, Vars: c.Vars, Now: s.Sys.Clock.Now()}, nil
}

// Eval evaluates an expression (with or without the leading '=') against
// the stored current conversation.
func (s *Session) Eval(ctx context.Context, src string) (any, error) {
	env, err := s.env(ctx)
	if err != nil {
		return nil, err
	}
	p, err := expression.Compile(strings.TrimPrefix(src, "="), expression.Options{})
	if err != nil {
		return nil, err
	}
	var r expression.Runner
	return r.Run(p, env)
}

func cmdAssert(ctx context.Context, s *Session, arg *yaml.Node) error {
	v, err := s.Eval(ctx, arg.Value)
	if err != nil {
		return err
	}
	if b, ok := v.(bool); !ok || !b {
		return fmt.Errorf("assertion %s is %v", arg.Value, show(v))
	}
	return nil
}

func cmdExpect(ctx context.Context, s *Session, arg *yaml.Node) error {
	if arg.Kind != yaml.MappingNode {
		return errors.New("expect takes a map of expression: expected value")
	}
	var diffs []string
	for i := 0; i+1 < len(arg.Content); i += 2 {
		path, vn := arg.Content[i].Value, arg.Content[i+1]
		got, err := s.Eval(ctx, path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		var want any
		if vn.Kind == yaml.ScalarNode && vn.Tag == "!!str" && strings.HasPrefix(vn.Value, "=") {
			if want, err = s.Eval(ctx, vn.Value); err != nil {
				return fmt.Errorf("expected value of %s: %w", path, err)
			}
		} else if err := vn.Decode(&want); err != nil {
			return err
		}
		if !Equal(got, want) {
			diffs = append(diffs, fmt.Sprintf("%s:\n  - %s\n  + %s", path, show(want), show(got)))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("context differs (- expected, + actual):\n%s", strings.Join(diffs, "\n"))
	}
	return nil
}

// Equal compares an actual context value with an expected one, treating
// times by instant (an RFC 3339 string matches the same time.Time), all
// numbers as float64, and a nil pointer as null.
func Equal(got, want any) bool {
	g, w := canon(got), canon(want)
	if gt, ok := g.(time.Time); ok {
		if ws, ok := w.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, ws); err == nil {
				return gt.Equal(t)
			}
		}
		if wt, ok := w.(time.Time); ok {
			return gt.Equal(wt)
		}
		return false
	}
	return reflect.DeepEqual(g, w)
}

func canon(v any) any {
	switch x := v.(type) {
	case *time.Time:
		if x == nil {
			return nil
		}
		return *x
	case time.Time:
		return x
	case nil:
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	n, err := schemas.Normalize(v)
	if err != nil {
		return v
	}
	return n
}

func show(v any) string {
	switch x := canon(v).(type) {
	case nil:
		return "null"
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case string:
		return strconv.Quote(x)
	default:
		return fmt.Sprint(x)
	}
}

// Diff renders expected and actual lines as a "- expected / + actual" diff,
// marking equal lines with two spaces.
func Diff(want, got []string) string {
	var b strings.Builder
	n := max(len(want), len(got))
	for i := 0; i < n; i++ {
		switch {
		case i < len(want) && i < len(got) && want[i] == got[i]:
			fmt.Fprintf(&b, "    %q\n", want[i])
		default:
			if i < len(want) {
				fmt.Fprintf(&b, "  - %q\n", want[i])
			}
			if i < len(got) {
				fmt.Fprintf(&b, "  + %q\n", got[i])
			}
		}
	}
	if n == 0 {
		b.WriteString("    (no replies)\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
