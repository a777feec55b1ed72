// Package examples holds the example flows (flows/*.flow.yaml), their
// scripted conversation tests (tests/*.test.yaml) and a configuration
// (chatflow.yaml). Its Go tests lint every flow and run every script, so
// the examples in the README never rot.
package examples
