package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.uber.org/zap"

	"github.com/chatflow/chatflow/actions/suggest"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/schemas"
)

// Action is an internal action. Run executes one call; it must be safe for
// concurrent use, as one Action value serves every conversation.
type Action interface {
	Run(ctx context.Context, call *Call) (Result, error)
}

// Provisioner is implemented by actions that need set-up before first use.
type Provisioner interface {
	Provision(ctx context.Context) error
}

// Validator is implemented by actions that check their provisioned state.
type Validator interface {
	Validate() error
}

// Spec describes an action to the registry.
type Spec struct {
	// Name is how flows call the action, e.g. "HelpdeskClient.IsBlockedForLiveChat".
	Name string
	// Doc is a one-paragraph description for `chatflow actions`.
	Doc string
	// Params is the JSON Schema (draft 2020-12) of the parameters object.
	// Property defaults are applied before Run. Nil means "no parameters".
	Params []byte
	// New constructs the action. It must not have side effects.
	New func() Action
}

// Result is what an action returns to the flow.
type Result struct {
	// Value becomes @InternalActionResult.
	Value any
}

// Call is one invocation of an action from a flow step. The executor owns
// it; an action may change Conversation and Activity (they are saved with the
// turn) and append replies with Reply.
type Call struct {
	// Action is the name of the called action.
	Action string
	// FlowID and StepID locate the calling step (for logs and errors).
	FlowID, StepID string
	// Cause identifies this call: the conversation, the inbound event's
	// idempotency key (or the turn's own id when it has none) and the
	// step. It is the same when a turn is retried after a version
	// conflict or an event is delivered twice, so an action that records
	// something (a block) can record it once per cause.
	Cause string
	// Params holds the validated parameters with defaults applied, in the
	// JSON data model (numbers are json.Number or float64). Read-only.
	Params map[string]any
	// Conversation is the conversation context of this turn.
	Conversation *contextstore.Conversation
	// Activity is the ChatActivityData of an authenticated user, else an
	// empty value; an action that changes the stored entity through a
	// service keeps this copy in step so later steps see it.
	Activity *contextstore.ChatActivityData
	// Now is the turn's clock reading.
	Now time.Time
	// Logger is named for the action and carries conversation fields.
	Logger *zap.Logger

	replies  []string
	silenced bool
}

// Silence asks the executor to skip the say and ask steps that follow in
// this turn — a blocked user gets no survey — unless the flow sets
// prompts_after_block. Replies the action itself queued are still sent.
func (c *Call) Silence() { c.silenced = true }

// Silenced reports whether Silence was called.
func (c *Call) Silenced() bool { return c.silenced }

// Log returns the call's logger, or a no-op logger when none was set.
func (c *Call) Log() *zap.Logger {
	if c.Logger == nil {
		return zap.NewNop()
	}
	return c.Logger
}

// Reply queues a message from the bot to the user.
func (c *Call) Reply(text string) { c.replies = append(c.replies, text) }

// Replies returns the messages queued by Reply.
func (c *Call) Replies() []string { return c.replies }

// Decode strictly decodes Params into v (a pointer to a struct whose field
// names match the schema's properties); unknown fields are an error.
func (c *Call) Decode(v any) error {
	b, err := json.Marshal(c.Params)
	if err != nil {
		return fmt.Errorf("encoding params of %s: %w", c.Action, err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("decoding params of %s: %w", c.Action, err)
	}
	return nil
}

// Sentinel errors of the package.
var (
	// ErrUnknownAction means no action is registered under the name.
	ErrUnknownAction = errors.New("unknown action")
	// ErrInvalidParams is wrapped by *ParamsError.
	ErrInvalidParams = errors.New("invalid params")
)

// Problem is one parameter problem: a JSON pointer into the parameters and
// what is wrong there.
type Problem = schemas.Problem

// ParamsError reports every problem with an action's parameters.
type ParamsError struct {
	Action   string
	Problems []Problem
}

// Error lists the problems as "/pointer: message; ...".
func (e *ParamsError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(params)"
		}
		parts[i] = ptr + ": " + p.Message
	}
	return fmt.Sprintf("invalid params for %s: %s", e.Action, strings.Join(parts, "; "))
}

// Unwrap makes errors.Is(err, ErrInvalidParams) true.
func (e *ParamsError) Unwrap() error { return ErrInvalidParams }

// Registry holds the registered actions. The zero value is not usable; use
// NewRegistry. It is safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	entries map[string]*entry
}

type entry struct {
	spec   Spec
	schema *jsonschema.Schema

	once    sync.Once
	action  Action
	initErr error
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{entries: map[string]*entry{}} }

// Register adds an action. It panics on an empty or duplicate name, a nil
// constructor or a parameter schema that does not compile: those are
// programming errors, found by the first test that builds the registry.
func (r *Registry) Register(s Spec) {
	if s.Name == "" {
		panic("actions: Register with an empty name")
	}
	if s.New == nil {
		panic(fmt.Sprintf("actions: Register %q with a nil constructor", s.Name))
	}
	params := s.Params
	if params == nil {
		params = []byte(`{"type":"object","additionalProperties":false}`)
	}
	sch, err := schemas.Compile(s.Name, params)
	if err != nil {
		panic(fmt.Sprintf("actions: Register %q: %v", s.Name, err))
	}
	s.Params = params
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.entries[s.Name]; dup {
		panic(fmt.Sprintf("actions: action %q registered twice", s.Name))
	}
	r.entries[s.Name] = &entry{spec: s, schema: sch}
}

// Has reports whether an action is registered under name.
func (r *Registry) Has(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.entries[name]
	return ok
}

// Specs returns the registered specs sorted by name.
func (r *Registry) Specs() []Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Spec, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e.spec)
	}
	slices.SortFunc(out, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (r *Registry) lookup(name string) (*entry, error) {
	r.mu.RLock()
	e, ok := r.entries[name]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownAction, name)
	}
	return e, nil
}

// Suggest returns the registered name closest to name, or "" if none is
// close; lint uses it for "did you mean".
func (r *Registry) Suggest(name string) string {
	specs := r.Specs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return suggest.Closest(name, names, len(name)/2)
}

// Prepare validates params (in the JSON data model; see schemas.Normalize)
// against the action's schema and returns them with defaults applied. All
// problems are reported at once in a *ParamsError. params may be nil.
func (r *Registry) Prepare(name string, params map[string]any) (map[string]any, error) {
	e, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	return e.prepare(params)
}

func (e *entry) prepare(params map[string]any) (map[string]any, error) {
	if params == nil {
		params = map[string]any{}
	}
	if err := e.schema.Validate(params); err != nil {
		return nil, &ParamsError{Action: e.spec.Name, Problems: schemas.Problems(err)}
	}
	out := make(map[string]any, len(params)+2)
	for k, v := range params {
		out[k] = v
	}
	schemas.ApplyDefaults(e.schema, out)
	return out, nil
}

// Invoke runs an action. validated says whether call.Params already went
// through Prepare (literal params are prepared once, at load); otherwise
// they are validated and defaulted here.
func (r *Registry) Invoke(ctx context.Context, call *Call, validated bool) (Result, error) {
	e, err := r.lookup(call.Action)
	if err != nil {
		return Result{}, err
	}
	if !validated {
		p, err := e.prepare(call.Params)
		if err != nil {
			return Result{}, err
		}
		call.Params = p
	}
	a, err := e.instance(ctx)
	if err != nil {
		return Result{}, err
	}
	return a.Run(ctx, call)
}

func (e *entry) instance(ctx context.Context) (Action, error) {
	e.once.Do(func() {
		a := e.spec.New()
		if p, ok := a.(Provisioner); ok {
			if err := p.Provision(ctx); err != nil {
				e.initErr = fmt.Errorf("provisioning action %s: %w", e.spec.Name, err)
				return
			}
		}
		if v, ok := a.(Validator); ok {
			if err := v.Validate(); err != nil {
				e.initErr = fmt.Errorf("validating action %s: %w", e.spec.Name, err)
				return
			}
		}
		e.action = a
	})
	return e.action, e.initErr
}

// Provision constructs, provisions and validates every registered action
// now, with ctx from the runtime (not a turn's), and returns every
// failure at once, each naming its action; a server calls it at start-up
// so that a broken action stops the start rather than the first turn
// that uses it. `chatflow validate` does not call it (it provisions
// nothing). Actions provisioned here are not provisioned again.
func (r *Registry) Provision(ctx context.Context) error {
	r.mu.RLock()
	entries := make([]*entry, 0, len(r.entries))
	for _, e := range r.entries {
		entries = append(entries, e)
	}
	r.mu.RUnlock()
	slices.SortFunc(entries, func(a, b *entry) int { return strings.Compare(a.spec.Name, b.spec.Name) })
	var errs []error
	for _, e := range entries {
		if _, err := e.instance(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes every instantiated action that implements io.Closer and
// returns their errors joined.
func (r *Registry) Close() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var errs []error
	for _, e := range r.entries {
		if c, ok := e.action.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing action %s: %w", e.spec.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}
