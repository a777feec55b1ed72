package expression

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCorpusTiming(t *testing.T) {
	dir := os.Getenv("CORPUS")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		lines := strings.SplitN(string(data), "\n", 2)
		arg := strings.TrimSpace(lines[1])
		arg = strings.TrimSuffix(strings.TrimPrefix(arg, "string("), ")")
		src, err := strconv.Unquote(arg)
		if err != nil {
			t.Logf("skip %s: %v", f, err)
			continue
		}
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			p, err := Compile(src, Options{Vars: testVars})
			if err == nil {
				new(Runner).Run(p, testEnv())
			}
		}()
		select {
		case <-done:
			if d := time.Since(start); d > 200*time.Millisecond {
				t.Logf("slow %v: %q", d, src)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("hang: %q", src)
		}
	}
}
