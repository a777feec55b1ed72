package expression

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func FuzzHang(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		p, err := Compile(src, Options{Vars: testVars})
		mid := time.Since(start)
		if err == nil {
			new(Runner).Run(p, testEnv())
		}
		if d := time.Since(start); d > 300*time.Millisecond {
			fh, _ := os.OpenFile("/tmp/slow.txt", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			fmt.Fprintf(fh, "%v (compile %v) %q\n", d, mid, src)
			fh.Close()
		}
	})
}
