package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestQueriesAreConstants: every statement the store sends is a constant
// (queries.go) or a literal, its inputs bound as parameters: no query text is
// built from a value. The one exception is the database's name in CREATE
// DATABASE, which Open checks to be a plain identifier first.
func TestQueriesAreConstants(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]bool{}
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		// Constants, and the statements of queries*.go fixed once at package
		// init (composed of constants and type codes, never of a value).
		fixedAtInit := strings.HasPrefix(e.Name(), "queries")
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && (g.Tok == token.CONST || g.Tok == token.VAR && fixedAtInit) {
				for _, spec := range g.Specs {
					for _, n := range spec.(*ast.ValueSpec).Names {
						consts[n.Name] = true
					}
				}
			}
		}
	}
	calls := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			switch sel.Sel.Name {
			case "Exec", "Query", "QueryRow", "PrepareBatch", "Select", "AsyncInsert":
			default:
				return true
			}
			calls++
			q := call.Args[1]
			switch x := q.(type) {
			case *ast.BasicLit:
				return true
			case *ast.Ident:
				if consts[x.Name] {
					return true
				}
				// A loop over constant statements (migrations read from
				// schemas/, the rebuild's fixed steps) is fine; say where.
				if x.Name == "stmt" || x.Name == "q" || x.Name == "insert" {
					return true
				}
			case *ast.CallExpr:
				// A family's statement, composed in queries*.go of constants and
				// the family's fixed types, never of a value.
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "query" || sel.Sel.Name == "bounds") && len(x.Args) == 0 {
					return true
				}
			case *ast.BinaryExpr:
				if lit, ok := x.X.(*ast.BasicLit); ok && strings.Contains(lit.Value, "CREATE DATABASE IF NOT EXISTS") {
					return true
				}
			}
			t.Errorf("%s: %s's statement is built, not a constant: bind the values as parameters", fset.Position(q.Pos()), sel.Sel.Name)
			return true
		})
	}
	if calls < 10 {
		t.Fatalf("found %d statements only: the check does not see the store's calls", calls)
	}
}
