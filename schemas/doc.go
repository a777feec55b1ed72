// Package schemas embeds chatflow's JSON Schemas (draft 2020-12): the flow
// file format (flow.schema.json), the parameters of each built-in internal
// action (actions/<ActionName>.json) and the system entities
// (entities/<Entity>.json), and compiles them with
// santhosh-tekuri/jsonschema/v5.
//
// The schemas are the documentation of record: `chatflow actions --json`
// prints the action schemas, and tests check that the entity schemas list
// exactly the fields of the Go entity types in package contextstore.
package schemas
