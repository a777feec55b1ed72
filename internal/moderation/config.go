package moderation

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/moderation/match"
	"github.com/chatflow/chatflow/internal/ratelimit"
)

// Duration is a time.Duration written as "10s", "90m", "2160h" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q (use e.g. 10s, 90m, 24h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Limit is one rate limit in the configuration: Burst events at once, then
// Rate events per Per (the GCRA of package ratelimit). Off disables it.
type Limit struct {
	Rate  int      `yaml:"rate"`
	Burst int      `yaml:"burst"`
	Per   Duration `yaml:"per"`
	Off   bool     `yaml:"off"`
}

// RateLimit returns l as a ratelimit.Limit.
func (l Limit) RateLimit() ratelimit.Limit {
	return ratelimit.Limit{Rate: l.Rate, Burst: l.Burst, Period: time.Duration(l.Per)}
}

// String renders the limit as "30 per 1m0s (burst 10)".
func (l Limit) String() string {
	if l.Off {
		return "off"
	}
	return fmt.Sprintf("%d per %s (burst %d)", l.Rate, time.Duration(l.Per), l.Burst)
}

// The names of the limits (LimitError.Limit, the strike's Rule, metrics).
const (
	LimitConversationMessages = "conversation_messages"
	LimitVisitorMessages      = "visitor_messages"
	LimitNewConversations     = "new_conversations_per_ip"
	LimitAgentRequests        = "agent_requests"
	LimitAppeals              = "appeals"
	LimitStaff                = "staff"
)

// Limits are the rate limits, each keyed as its doc says. A nil entry
// takes its default (DefaultLimits); `off: true` disables one.
type Limits struct {
	// ConversationMessages: visitor messages per conversation.
	ConversationMessages *Limit `yaml:"conversation_messages"`
	// VisitorMessages: visitor messages per visitor (the user, or the
	// keyed hash of the anonymous visitor's IP) across conversations.
	VisitorMessages *Limit `yaml:"visitor_messages"`
	// NewConversationsPerIP: anonymous POST /v1/conversations per IP.
	NewConversationsPerIP *Limit `yaml:"new_conversations_per_ip"`
	// AgentRequests: agent API requests per conversation (messages,
	// warnings, blocks, disconnects).
	AgentRequests *Limit `yaml:"agent_requests"`
	// Appeals: appeal submissions per visitor (the key the appeals API
	// will use: "appeal:" + the visitor subject).
	Appeals *Limit `yaml:"appeals"`
	// Staff: requests per staff account to the agent and admin APIs.
	Staff *Limit `yaml:"staff"`
}

// DefaultLimits are the limits in force when the configuration says
// nothing (documented in examples/chatflow.yaml and the README). A person
// typing never meets them; a script does within seconds.
func DefaultLimits() map[string]Limit {
	return map[string]Limit{
		LimitConversationMessages: {Rate: 20, Burst: 10, Per: Duration(time.Minute)},
		LimitVisitorMessages:      {Rate: 40, Burst: 20, Per: Duration(time.Minute)},
		LimitNewConversations:     {Rate: 30, Burst: 10, Per: Duration(time.Hour)},
		LimitAgentRequests:        {Rate: 120, Burst: 30, Per: Duration(time.Minute)},
		LimitAppeals:              {Rate: 3, Burst: 2, Per: Duration(24 * time.Hour)},
		LimitStaff:                {Rate: 600, Burst: 120, Per: Duration(time.Minute)},
	}
}

// Ladder turns strikes into graduated sanctions: Strikes violations within
// Window make an offence; the n-th offence within Decay is sanctioned for
// Periods[n-1] (the last period repeats). Strikes and offences older than
// Decay are forgotten.
type Ladder struct {
	Strikes int      `yaml:"strikes"`
	Window  Duration `yaml:"window"`
	Periods []string `yaml:"periods"`
	Decay   Duration `yaml:"decay"`
}

// DefaultLadder is 3 strikes in 10 minutes → 1 hour, then 1 day, 1 week,
// permanent; strikes decay after 90 days.
func DefaultLadder() Ladder {
	return Ladder{Strikes: 3, Window: Duration(10 * time.Minute), Periods: []string{"1h", "1d", "1w", "permanent"}, Decay: Duration(90 * 24 * time.Hour)}
}

// Rule is one watched-word rule of the configuration.
type Rule struct {
	ID     string   `yaml:"id"`
	Action string   `yaml:"action"`
	Words  []string `yaml:"words"`
	// Patterns are RE2 regular expressions over the folded text (see
	// package match).
	Patterns []string `yaml:"patterns"`
	// Shadow records what the rule would have done without doing it.
	Shadow bool `yaml:"shadow"`
	// Warning is what the bot says on a warn (default: Config.Warning).
	Warning string `yaml:"warning"`
	// Period of a block; empty: the ladder's next step.
	Period string `yaml:"period"`
	// ReasonCategory of a block (default abusive_language).
	ReasonCategory string `yaml:"reason_category"`
	// Strikes a hit adds (default 1 for warn, hold and block; 0 for
	// censor and flag).
	Strikes *int `yaml:"strikes"`
}

// StrikeCount returns how many strikes a hit of r adds.
func (r Rule) StrikeCount() int {
	if r.Strikes != nil {
		return *r.Strikes
	}
	switch match.Action(r.Action) {
	case match.ActionWarn, match.ActionHold, match.ActionBlock:
		return 1
	}
	return 0
}

// Category returns the rule's reason category, abusive_language by default.
func (r Rule) Category() string {
	if r.ReasonCategory == "" {
		return blocking.CategoryAbusiveLanguage
	}
	return r.ReasonCategory
}

// DefaultWarning is the bot's warning when neither the rule nor the
// configuration gives one.
const DefaultWarning = "Please keep the conversation respectful."

// Config is the `moderation:` section of the configuration. The zero value
// is the defaults: every limit on, the default ladder, no rules.
type Config struct {
	// Off disables automatic moderation entirely.
	Off    bool   `yaml:"off"`
	Limits Limits `yaml:"limits"`
	// Ladder; zero fields take DefaultLadder's.
	Ladder Ladder `yaml:"ladder"`
	// Warning is the bot's default warning (DefaultWarning).
	Warning string `yaml:"warning"`
	// Rules are the watched-word rules, checked in order.
	Rules []Rule `yaml:"rules"`
	// RulesFile names a YAML file with more rules (a `rules:` list),
	// relative to the configuration file.
	RulesFile string `yaml:"rules_file"`

	// Where each value was written, for lint messages.
	file  string
	nodes map[string]*yaml.Node
}

// UnmarshalYAML decodes the section strictly and keeps the positions of its
// values for Check.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	type plain Config
	var p plain
	if err := decodeStrict(n, &p); err != nil {
		return err
	}
	*c = Config(p)
	c.nodes = map[string]*yaml.Node{}
	index(n, "", c.nodes)
	return nil
}

// decodeStrict decodes n into v, refusing keys that v does not have with
// their line and column (yaml.Node.Decode is not strict by itself).
func decodeStrict(n *yaml.Node, v any) error {
	if err := knownKeys(n, reflect.TypeOf(v)); err != nil {
		return err
	}
	return n.Decode(v)
}

// KeyError is an unknown key in a moderation section or rules file.
type KeyError struct {
	Line, Col int
	Key       string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("line %d, column %d: unknown key %q", e.Line, e.Col, e.Key)
}

// keyProblems turns the KeyErrors in err into problems of file; ok is
// false when err has other errors.
func keyProblems(file string, err error) (Problems, bool) {
	var ps Problems
	for _, e := range unjoin(err) {
		ke, isKey := e.(*KeyError)
		if !isKey {
			return nil, false
		}
		ps = append(ps, Problem{File: file, Line: ke.Line, Col: ke.Col, Msg: fmt.Sprintf("unknown key %q", ke.Key)})
	}
	return ps, true
}

// knownKeys checks every mapping key of n against the yaml tags of t.
func knownKeys(n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		if t == reflect.TypeOf(Duration(0)) {
			return nil
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				errs = append(errs, &KeyError{Line: k.Line, Col: k.Column, Key: k.Value})
				continue
			}
			if err := knownKeys(n.Content[i+1], ft); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		var errs []error
		for _, e := range n.Content {
			if err := knownKeys(e, t.Elem()); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return nil
}

// index records the value node of every path ("rules.0.action").
func index(n *yaml.Node, path string, out map[string]*yaml.Node) {
	if path != "" {
		out[path] = n
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			index(n.Content[i+1], join(n.Content[i].Value), out)
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			index(e, join(fmt.Sprint(i)), out)
		}
	}
}

// SetFile records the file the section was read from (lint messages name
// it) and loads RulesFile, relative to it.
func (c *Config) SetFile(path string) error {
	c.file = path
	if c.nodes == nil {
		c.nodes = map[string]*yaml.Node{}
	}
	if c.RulesFile == "" {
		return nil
	}
	rf := c.RulesFile
	if !filepath.IsAbs(rf) {
		rf = filepath.Join(filepath.Dir(path), rf)
	}
	more, err := LoadRulesFile(rf)
	if err != nil {
		return err
	}
	base := len(c.Rules)
	c.Rules = append(c.Rules, more.Rules...)
	for k, v := range more.nodes {
		if rest, ok := strings.CutPrefix(k, "rules."); ok {
			i, tail, _ := strings.Cut(rest, ".")
			var idx int
			fmt.Sscan(i, &idx)
			key := fmt.Sprintf("rules.%d", base+idx)
			if tail != "" {
				key += "." + tail
			}
			c.nodes[key] = v
			c.fileOf(key, rf)
		}
	}
	return nil
}

// fileOf remembers that the value at key came from another file.
func (c *Config) fileOf(key, file string) {
	c.nodes["@"+key] = &yaml.Node{Value: file}
}

// LoadRulesFile reads a rules file: a YAML mapping with a `rules:` list.
func LoadRulesFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading moderation rules: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var f struct {
		Rules []Rule `yaml:"rules"`
	}
	c := &Config{file: path, nodes: map[string]*yaml.Node{}}
	if len(doc.Content) > 0 {
		if err := decodeStrict(doc.Content[0], &f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		index(doc.Content[0], "", c.nodes)
	}
	c.Rules = f.Rules
	return c, nil
}

// Problem is one lint finding, with the place it was written.
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

// String renders "file:line:col: message".
func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Problems is every finding of Check.
type Problems []Problem

// Err returns the problems as one error, or nil.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Errorf("%w:\n  %s", ErrConfig, strings.Join(lines, "\n  "))
}

// at returns a problem at the node written for key (or its closest parent).
func (c *Config) at(key, msg string) Problem {
	file := c.file
	if f, ok := c.nodes["@"+key]; ok {
		file = f.Value
	}
	for k := key; k != ""; {
		if f, ok := c.nodes["@"+k]; ok {
			file = f.Value
		}
		if n, ok := c.nodes[k]; ok {
			return Problem{File: file, Line: n.Line, Col: n.Column, Msg: msg}
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return Problem{File: file, Msg: msg}
}

// Check reports every problem of the section at once, each with its
// file:line:col: a limit that cannot be enforced, a ladder that does not
// increase or has a bad period, a rule with an unknown action, a bad
// regular expression, an unknown reason category, a bad period, duplicate
// or missing ids.
func (c *Config) Check() Problems {
	var ps Problems
	add := func(key, format string, args ...any) { ps = append(ps, c.at(key, fmt.Sprintf(format, args...))) }
	limits := c.limitMap(false)
	for _, name := range limitNames {
		l, ok := limits[name]
		if !ok || l.Off {
			continue
		}
		if err := l.RateLimit().Validate(); err != nil {
			add("limits."+name, "limit %s: %s", name, strings.TrimPrefix(err.Error(), ratelimit.ErrInvalidLimit.Error()+": "))
		}
	}
	lad := c.ladder()
	if lad.Strikes <= 0 {
		add("ladder.strikes", "ladder: strikes must be positive, not %d", lad.Strikes)
	}
	if lad.Window <= 0 || lad.Decay <= 0 {
		add("ladder", "ladder: window and decay must be positive")
	}
	if lad.Decay < lad.Window {
		add("ladder.decay", "ladder: decay %s is shorter than the window %s", time.Duration(lad.Decay), time.Duration(lad.Window))
	}
	var prev *contextstore.Period
	prevText := ""
	for i, s := range lad.Periods {
		key := fmt.Sprintf("ladder.periods.%d", i)
		p, err := blocking.ParsePeriod(s)
		if err != nil {
			add(key, "ladder: period %q: %s", s, periodMsg(err))
			continue
		}
		if prev != nil && !increases(*prev, p) {
			add(key, "ladder: period %s does not increase on %s before it", s, prevText)
		}
		prev, prevText = &p, s
	}
	if len(lad.Periods) == 0 {
		add("ladder.periods", "ladder: no periods")
	}
	seen := map[string]bool{}
	var rules []match.Rule
	for i, r := range c.Rules {
		key := fmt.Sprintf("rules.%d", i)
		switch {
		case r.ID == "":
			add(key, "rule %d has no id", i+1)
		case seen[r.ID]:
			add(key+".id", "duplicate rule id %q", r.ID)
		case strings.ContainsAny(r.ID, " \t\n:/"):
			add(key+".id", "rule id %q: use letters, digits, - and _ only", r.ID)
		}
		seen[r.ID] = true
		if !match.Action(r.Action).Valid() {
			add(key+".action", "rule %q: unknown action %q; use one of %s", r.ID, r.Action, actionList())
		}
		for j, pat := range r.Patterns {
			if _, err := regexp.Compile(pat); err != nil {
				add(fmt.Sprintf("%s.patterns.%d", key, j), "rule %q: bad regular expression %q: %s", r.ID, pat, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
		}
		if len(r.Words) == 0 && len(r.Patterns) == 0 {
			add(key, "rule %q has no words and no patterns", r.ID)
		}
		if r.ReasonCategory != "" && !slices.Contains(blocking.Categories(), r.ReasonCategory) {
			add(key+".reason_category", "rule %q: unknown reason category %q; use one of %s", r.ID, r.ReasonCategory, strings.Join(blocking.Categories(), ", "))
		}
		if r.Period != "" {
			if _, err := blocking.ParsePeriod(r.Period); err != nil {
				add(key+".period", "rule %q: period %q: %s", r.ID, r.Period, periodMsg(err))
			}
			if match.Action(r.Action) != match.ActionBlock {
				add(key+".period", "rule %q: a period is for block rules only", r.ID)
			}
		}
		if r.Strikes != nil && *r.Strikes < 0 {
			add(key+".strikes", "rule %q: strikes must not be negative", r.ID)
		}
		rules = append(rules, match.Rule{ID: r.ID, Action: match.Action(r.Action), Words: r.Words, Patterns: r.Patterns})
	}
	if len(ps) == 0 {
		// What only the matcher knows (a word without letters or digits).
		if _, err := match.Compile(rules); err != nil {
			for _, e := range unjoin(err) {
				var re *match.RuleError
				if errors.As(e, &re) {
					key := fmt.Sprintf("rules.%d", re.Index)
					if i := slices.Index(c.Rules[re.Index].Words, re.Word); re.Word != "" && i >= 0 {
						key += fmt.Sprintf(".words.%d", i)
					}
					add(key, "%v", e)
				} else {
					add("rules", "%v", e)
				}
			}
		}
	}
	return ps
}

// unjoin flattens (nested) errors.Join.
func unjoin(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, unjoin(e)...)
	}
	return out
}

func periodMsg(err error) string {
	var ve *blocking.ValidationError
	if errors.As(err, &ve) && len(ve.Problems) > 0 {
		return ve.Problems[0].Message
	}
	return err.Error()
}

// increases reports whether b is longer than a (permanent is the longest).
func increases(a, b contextstore.Period) bool {
	switch {
	case a.Permanent:
		return false
	case b.Permanent:
		return true
	}
	return b.Minutes > a.Minutes
}

func actionList() string {
	s := make([]string, len(match.Actions))
	for i, a := range match.Actions {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

var limitNames = []string{LimitConversationMessages, LimitVisitorMessages, LimitNewConversations, LimitAgentRequests, LimitAppeals, LimitStaff}

// limitMap returns the limits by name with the defaults filled in; with
// enforced it leaves out the limits that are off.
func (c *Config) limitMap(enforced bool) map[string]Limit {
	def := DefaultLimits()
	given := map[string]*Limit{
		LimitConversationMessages: c.Limits.ConversationMessages,
		LimitVisitorMessages:      c.Limits.VisitorMessages,
		LimitNewConversations:     c.Limits.NewConversationsPerIP,
		LimitAgentRequests:        c.Limits.AgentRequests,
		LimitAppeals:              c.Limits.Appeals,
		LimitStaff:                c.Limits.Staff,
	}
	out := map[string]Limit{}
	for _, name := range limitNames {
		l := def[name]
		if g := given[name]; g != nil {
			l = *g
		}
		if enforced && l.Off {
			continue
		}
		out[name] = l
	}
	return out
}

// ladder returns the ladder with the defaults filled in.
func (c *Config) ladder() Ladder {
	l, d := c.Ladder, DefaultLadder()
	if l.Strikes == 0 {
		l.Strikes = d.Strikes
	}
	if l.Window == 0 {
		l.Window = d.Window
	}
	if l.Decay == 0 {
		l.Decay = d.Decay
	}
	if len(l.Periods) == 0 {
		l.Periods = d.Periods
	}
	return l
}

// LintFile checks a moderation file: a rules file (a `rules:` list) or a
// service configuration with a `moderation:` section (and the rules file
// it names). Every problem has its file:line:col.
func LintFile(path string) Problems {
	data, err := os.ReadFile(path)
	if err != nil {
		return Problems{{File: path, Msg: err.Error()}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Problems{{File: path, Msg: err.Error()}}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "moderation" {
			continue
		}
		var c Config
		if err := knownKeys(root.Content[i+1], reflect.TypeOf(c)); err != nil {
			if ps, ok := keyProblems(path, err); ok {
				return ps
			}
		}
		if err := root.Content[i+1].Decode(&c); err != nil {
			return Problems{{File: path, Line: root.Content[i].Line, Col: root.Content[i].Column, Msg: err.Error()}}
		}
		if err := c.SetFile(path); err != nil {
			return Problems{{File: path, Line: root.Content[i].Line, Col: root.Content[i].Column, Msg: err.Error()}}
		}
		return c.Check()
	}
	c, err := LoadRulesFile(path)
	if err != nil {
		if ps, ok := keyProblems(path, errors.Unwrap(err)); ok {
			return ps
		}
		return Problems{{File: path, Msg: err.Error()}}
	}
	return c.Check()
}
