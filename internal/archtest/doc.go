// Package archtest holds the test that enforces chatflow's import rules
// (DESIGN.md "Architecture"): data flows one way, from the channels down
// to the store, so a package may import only the layers below it. It has
// no code of its own.
package archtest
