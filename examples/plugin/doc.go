// Command chatflow-plugin is a chatflow binary built by a third party, in a
// module of its own: chatflow's own commands (serve, validate, test, run,
// actions, version) plus an internal action (Example.Greet, package greet)
// and a store backend (logstore: `serve --store logstore`). It is the
// example of README "Writing a custom action"; CI builds it and runs its
// tests.
package main
