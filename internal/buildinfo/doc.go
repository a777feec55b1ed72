// Package buildinfo tells which build of chatflow is running: the module
// version and the version-control revision that the Go toolchain stamps
// into every binary (runtime/debug.ReadBuildInfo). `chatflow version`
// prints it and the chatflow_build_info metric exports it.
//
// A binary built by `go build` or `go install` in a git checkout carries
// the revision, its commit time and whether the tree had local changes;
// from Go 1.24 on its version is the tag of the commit, or a pseudo-version
// such as v0.0.0-20261204185751-4a49832c1f0e+dirty. `go run` and test
// binaries carry no revision: those fields read "unknown".
package buildinfo
