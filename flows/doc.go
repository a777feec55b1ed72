// Package flows loads, lints and executes chat flows.
//
// A flow file (YAML or JSON, named *.flow.yaml, *.flow.yml or *.flow.json)
// has an id, a version, a trigger and steps; its format is
// schemas/flow.schema.json. The Loader parses a file keeping every node's
// line and column, validates it against the schema, compiles every
// expression once (package flows/expression), validates literal action
// parameters against the action's schema, resolves step references, and
// reports every problem at once as "file:line:col: message" — a flow with
// errors is never executed.
//
// The Executor runs one turn per inbound Event: it loads the conversation
// context from a contextstore, runs steps until the flow waits for input or
// ends (at most Options.StepBudget steps per turn), and saves the context
// with a compare-and-swap on its version, retrying the whole turn on
// conflict, so concurrent turns of one conversation never lose an update.
// Turns of one conversation inside one process are also serialized with a
// striped lock, so conflicts (and re-run actions) only arise between
// instances. An event whose idempotency key was already processed is
// answered from the record saved with the context and not executed again.
//
// A conversation is pinned to the version of each flow it first ran and
// keeps it until it ends, even when newer versions are loaded.
package flows
