package flows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chatflow/chatflow/flows/expression"
)

// Trigger is the kind of event that starts a flow.
type Trigger string

// The triggers a flow can declare.
const (
	// TriggerStart runs when a conversation begins.
	TriggerStart Trigger = "start"
	// TriggerMessage runs when the user writes and no flow waits for input.
	TriggerMessage Trigger = "message"
	// TriggerAgentDisconnected runs after the helpdesk agent left the chat
	// and gave feedback ([[AgentFeedback]]).
	TriggerAgentDisconnected Trigger = "agent_disconnected"
)

// StepKind is what a step does.
type StepKind int

// The step kinds.
const (
	StepSay StepKind = iota + 1
	StepAsk
	StepSet
	StepAction
	StepBranch
	StepGoto
	StepEnd
)

var kindNames = map[StepKind]string{
	StepSay: "say", StepAsk: "ask", StepSet: "set", StepAction: "action",
	StepBranch: "branch", StepGoto: "goto", StepEnd: "end",
}

// String returns the step kind's key in a flow file.
func (k StepKind) String() string { return kindNames[k] }

// Pos is a position in a flow file (1-based).
type Pos struct {
	File      string
	Line, Col int
}

// String formats the position as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Flow is a loaded, checked flow. It is immutable and shared by every
// conversation that runs it.
type Flow struct {
	ID          string
	Version     int
	Trigger     Trigger
	Description string
	File        string
	// Digest is the SHA-256 (hex) of the file the flow was loaded from: a
	// reload refuses a flow whose content changed under the same version.
	Digest string
	// When is the routing condition (nil: the trigger's fallback flow).
	When *expression.Program
	// Priority orders flows with When (highest first).
	Priority int
	// PromptsAfterBlock lets say and ask steps run after an action
	// silenced the bot in a turn (see actions.Call.Silence).
	PromptsAfterBlock bool
	// Vars are the declared variables with their initial values.
	Vars  map[string]any
	Steps []*Step

	index map[string]int
}

// Step returns the index of the step with the given id.
func (f *Flow) Step(id string) (int, bool) {
	i, ok := f.index[id]
	return i, ok
}

// VarNames returns the flow's declared variable names, sorted.
func (f *Flow) VarNames() []string {
	names := make([]string, 0, len(f.Vars))
	for n := range f.Vars {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Step is one compiled step. Jump targets are step indexes; -1 means "none".
type Step struct {
	// ID is the declared id, or "#N" (1-based position) when none was given.
	ID   string
	Kind StepKind
	Pos  Pos

	// Text is the message of say and the prompt of ask; for a text written
	// per language, the default one (see TextFor).
	Text *expression.Template
	// Texts are the texts by language (lower-case tag) of a say or ask
	// written per language; nil for a single text.
	Texts map[string]*expression.Template
	// Into is the variable an ask step stores the user's answer in.
	Into string

	Assign []Assignment

	Action string
	Params *Params
	// OnError is where an action step continues when the action fails.
	OnError int

	Cases []Case
	// Else is where a branch continues when no case matches; -1 falls
	// through to the next step.
	Else int

	Goto int
	// EndConversation is set by `end: conversation`.
	EndConversation bool
}

// Case is one `if` → `goto` of a branch step.
type Case struct {
	Cond *expression.Program
	Goto int
	// Pos is where the case is written.
	Pos Pos
}

// Assignment is one target = value of a set step.
type Assignment struct {
	Target *expression.Target
	Value  Value
}

// Value is a literal, an expression ('=' prefix) or an interpolated string.
type Value struct {
	Prog *expression.Program
	Tmpl *expression.Template
	Lit  any
}

// IsLiteral reports whether v needs no evaluation.
func (v *Value) IsLiteral() bool { return v.Prog == nil && v.Tmpl == nil }

// Eval returns the value at run time.
func (v *Value) Eval(r *expression.Runner, env *expression.Env) (any, error) {
	switch {
	case v.Prog != nil:
		return r.Run(v.Prog, env)
	case v.Tmpl != nil:
		return v.Tmpl.Render(r, env)
	default:
		return v.Lit, nil
	}
}

// Params are an action step's parameters. When no value needs evaluation
// they were validated and defaulted at load (Prepared); otherwise Tree holds
// literals and *Value leaves, evaluated and validated per call.
type Params struct {
	Prepared map[string]any
	Tree     map[string]any
}

// TextFor returns the text of a say or ask step in lang (a tag such as
// "de" or "de-AT"): its own, else its base language's, else the default.
func (s *Step) TextFor(lang string) *expression.Template {
	if s.Texts != nil && lang != "" {
		l := strings.ToLower(lang)
		if t, ok := s.Texts[l]; ok {
			return t
		}
		if base, _, ok := strings.Cut(l, "-"); ok {
			if t, ok := s.Texts[base]; ok {
				return t
			}
		}
	}
	return s.Text
}
