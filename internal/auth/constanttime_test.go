package auth_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// TestConstantTimeCompare checks the source: Authenticate compares the
// bootstrap token and the stored token hash with
// crypto/subtle.ConstantTimeCompare (twice), and compares nothing with ==
// or != whose operands mention a token, hash or the bootstrap secret, so
// the time a refusal takes does not depend on how much of a guess matched.
func TestConstantTimeCompare(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "service.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "Authenticate" && fd.Recv != nil {
			fn = fd
		}
	}
	if fn == nil {
		t.Fatal("no method Authenticate in service.go")
	}
	calls := 0
	secret := map[string]bool{"bearer": true, "hash": true, "sum": true, "TokenHash": true, "bootstrap": true}
	mentionsSecret := func(e ast.Expr) bool {
		found := false
		ast.Inspect(e, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				found = found || secret[x.Name]
			case *ast.CallExpr:
				// len(bearer) is public, and the result of
				// ConstantTimeCompare is what may be compared.
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "len" {
					return false
				}
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ConstantTimeCompare" {
					return false
				}
			}
			return true
		})
		return found
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ConstantTimeCompare" {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "subtle" {
					calls++
				}
			}
		case *ast.BinaryExpr:
			if (x.Op == token.EQL || x.Op == token.NEQ) && (mentionsSecret(x.X) || mentionsSecret(x.Y)) {
				// bearer == "" and s.bootstrap != nil reveal nothing secret.
				if isEmptyOrNil(x.Y) {
					return true
				}
				t.Errorf("%s: secret compared with %s; use subtle.ConstantTimeCompare", fset.Position(x.Pos()), x.Op)
			}
		}
		return true
	})
	if calls != 2 {
		t.Fatalf("Authenticate calls subtle.ConstantTimeCompare %d times, want 2 (bootstrap token, stored hash)", calls)
	}
}

func isEmptyOrNil(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return x.Value == `""`
	case *ast.Ident:
		return x.Name == "nil"
	}
	return false
}
