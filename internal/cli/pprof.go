//go:build pprof

package cli

import (
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

// With -tags pprof (make loadtest PROFILE=1), the binary serves
// net/http/pprof on CHATFLOW_PPROF_ADDR (a loopback address), so the load
// harness can take a CPU profile of a server under load. Release builds
// do not contain it.
func init() {
	addr := os.Getenv("CHATFLOW_PPROF_ADDR")
	if addr == "" {
		return
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		panic("pprof listener: " + err.Error())
	}
	go func() { _ = http.Serve(l, nil) }()
}
