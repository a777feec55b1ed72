package expression

import (
	"reflect"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// Names of the built-in flow variables. They are always declared: an
// expression may read them even when Options.Vars does not list them.
const (
	// VarInternalActionResult is @InternalActionResult, the result of the
	// last internal action step (for example the bool that
	// ConnectToHelpdeskAgent returns).
	VarInternalActionResult = "InternalActionResult"
	// VarLastUserMessage is @LastUserMessage, the text of the last message
	// the user sent in this conversation.
	VarLastUserMessage = "LastUserMessage"
)

// Env is the evaluation environment of one turn. All entity pointers are
// non-nil during evaluation; the executor builds one Env per turn and passes
// it by pointer, so evaluating an expression allocates no environment.
//
// Every exported field except Now is visible to expressions: the entity
// pointers as [[Entity]] (or Entity), Vars as @Name. The exported methods of
// *Env are the functions of the expression language, so Env must not grow
// other exported methods.
type Env struct {
	ConversationInfo *contextstore.ConversationInfo
	ChatUser         *contextstore.ChatUser
	ChatActivityData *contextstore.ChatActivityData
	AgentFeedback    *contextstore.AgentFeedback
	HelpdeskClient   *contextstore.HelpdeskClient
	// Vars holds the flow variables, read as @Name. A declared variable that
	// was never set reads as null. Target.Set creates the map when it is nil.
	Vars map[string]any
	// Now is the injected clock's value for this turn, returned (in UTC) by
	// GetDate(). It is hidden from expressions.
	Now time.Time `expr:"-"`
}

// GetDate returns the current time of this turn, e.Now, in UTC. It is the
// GetDate() function of the expression language (written GetDate or
// GetDate() in flows); a turn sees one constant "now".
func (e *Env) GetDate() time.Time {
	return e.Now.UTC()
}

// entityField describes one entity pointer field of Env.
type entityField struct {
	name  string
	index int          // field index in Env
	typ   reflect.Type // the struct type the field points to
}

// entities lists the entity fields of Env in declaration order. It is
// computed from the Env type on each call; callers keep the result.
func entities() []entityField {
	t := reflect.TypeFor[Env]()
	var out []entityField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct {
			out = append(out, entityField{name: f.Name, index: i, typ: f.Type.Elem()})
		}
	}
	return out
}

// lookupEntity returns the entity field of Env called name.
func lookupEntity(name string) (entityField, bool) {
	for _, e := range entities() {
		if e.name == name {
			return e, true
		}
	}
	return entityField{}, false
}

// entityNames returns the names of the entities, for suggestions.
func entityNames() []string {
	es := entities()
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.name
	}
	return names
}

// fieldNames returns the exported field names of struct type t.
func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("expr") != "-" {
			names = append(names, f.Name)
		}
	}
	return names
}
