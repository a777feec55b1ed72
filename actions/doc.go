// Package actions is chatflow's plugin API for internal actions: the work a
// flow's `action` step asks for, such as HelpdeskClient.IsBlockedForLiveChat.
//
// An action registers a Spec with a Registry: a name, a JSON Schema for its
// parameters (defaults included), a doc string and a constructor. The
// Registry is a value — actions.NewRegistry() — so every test builds its own
// and cmd/chatflow builds the one the binary uses; there is no global
// registry.
//
// Lifecycle (after Caddy's modules): New constructs the action without side
// effects; if it implements Provisioner, Provision is called once before
// first use; Validate (Validator) checks the provisioned value; Run is called
// per step with validated parameters; Close (io.Closer) is called when the
// registry is closed. Parameters are validated against the schema at load
// time when they are literals and at call time when they hold expressions;
// every problem is reported with its JSON pointer, and schema defaults are
// applied before Run sees them.
//
// Built-in actions live in sub-packages (actions/helpdesk) and are
// registered by cmd/chatflow with the services they need.
package actions
