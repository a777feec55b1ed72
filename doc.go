// Package chatflow is the public composition root of the chat-flow
// runtime: a program built on it is the chatflow binary — serve,
// validate, test, run, actions, version — with internal actions and store
// backends of its own.
//
//	func main() {
//		os.Exit(chatflow.Main(context.Background(), os.Args[1:],
//			chatflow.WithAction(greet.Spec()),
//			chatflow.WithStore("sqlite", sqlite.Open),
//		))
//	}
//
// An action is an actions.Spec (a name, a JSON Schema of its parameters, a
// constructor): it is listed by `chatflow actions`, its parameters are
// checked by `chatflow validate` and at load, and the server provisions it
// at start-up (actions.Provisioner, with the runtime's context; a failure
// stops the start) and closes it at shutdown (io.Closer). A store is a
// contextstore.Store that passes contextstore/storetest.Run, opened by name
// with `chatflow serve --store NAME` (env CHATFLOW_STORE). examples/plugin
// is a module of its own that builds such a binary.
//
// cmd/chatflow is chatflow's own binary: Main with no options.
package chatflow
