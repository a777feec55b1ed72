package expression

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// benchCases are evaluated by both BenchmarkOurProgram and
// BenchmarkExprDirect, with the same compiled program and environment.
var benchCases = []struct{ name, src string }{
	{"time", "[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate()"},
	{"string", `Lower([[ChatUser]].Name) == "ann lee" && @LastUserMessage != ""`},
}

var benchSink any

func benchProgram(b *testing.B, src string) *Program {
	b.Helper()
	p, err := Compile(src, Options{Expect: KindBool})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkOurProgram evaluates through Runner.Run.
func BenchmarkOurProgram(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			p := benchProgram(b, bc.src)
			env := testEnv()
			var r Runner
			b.ReportAllocs()
			for b.Loop() {
				v, err := r.Run(p, env)
				if err != nil || v != true {
					b.Fatal(v, err)
				}
				benchSink = v
			}
		})
	}
}

// BenchmarkExprDirect evaluates the same expr program with expr.Run, the
// documented way of calling expr (a fresh VM per call).
func BenchmarkExprDirect(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			p := benchProgram(b, bc.src)
			env := testEnv()
			b.ReportAllocs()
			for b.Loop() {
				v, err := expr.Run(p.prog, env)
				if err != nil || v != true {
					b.Fatal(v, err)
				}
				benchSink = v
			}
		})
	}
}

// BenchmarkExprDirectVM evaluates the same expr program on one reused
// vm.VM: the fastest way to call expr, and the fair baseline for Runner.
func BenchmarkExprDirectVM(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			p := benchProgram(b, bc.src)
			env := testEnv()
			var machine vm.VM
			b.ReportAllocs()
			for b.Loop() {
				v, err := machine.Run(p.prog, env)
				if err != nil || v != true {
					b.Fatal(v, err)
				}
				benchSink = v
			}
		})
	}
}

func BenchmarkTemplateRender(b *testing.B) {
	t, err := CompileTemplate("Hello ${[[ChatUser]].Name}, you can chat again after ${[[ConversationInfo]].LiveChatBlockedUntil}.", Options{})
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	var r Runner
	b.ReportAllocs()
	for b.Loop() {
		s, err := t.Render(&r, env)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = s
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p, err := Compile(benchCases[0].src, Options{Expect: KindBool})
		if err != nil {
			b.Fatal(err)
		}
		benchSink = p
	}
}

// TestRunAllocatesLikeExpr checks the deterministic half of the performance
// contract: Runner.Run allocates no more than a reused expr VM does.
func TestRunAllocatesLikeExpr(t *testing.T) {
	for _, bc := range benchCases {
		t.Run(bc.name, func(t *testing.T) {
			p, err := Compile(bc.src, Options{Expect: KindBool})
			if err != nil {
				t.Fatal(err)
			}
			env := testEnv()
			var r Runner
			var machine vm.VM
			ours := testing.AllocsPerRun(200, func() { benchSink, _ = r.Run(p, env) })
			direct := testing.AllocsPerRun(200, func() { benchSink, _ = machine.Run(p.prog, env) })
			if ours > direct {
				t.Fatalf("Runner.Run allocates %v per run, expr's VM %v", ours, direct)
			}
		})
	}
}
