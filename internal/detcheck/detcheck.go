// Package detcheck enforces zabsim's determinism contract by reading source code.
//
// Simulated code (sim, zab, datatree, wal and the cluster harness) must behave the
// same on every run of a seed. Go makes a few things nondeterministic by default, so
// this package rejects them at the source level:
//
//   - wall-clock time: time.Now, Since, Until, Sleep, After, AfterFunc, Tick, NewTimer,
//     NewTicker (time.Duration and the other pure helpers of package time are fine);
//   - global randomness: importing math/rand or crypto/rand, and the top-level
//     functions of math/rand/v2 (rand.New with an explicit seeded source is fine);
//   - concurrency: go statements, select statements, and importing sync, sync/atomic;
//   - the operating system and the network: importing os, os/*, net, net/*, syscall;
//   - map iteration order: ranging over a map, or over maps.Keys/Values/All, unless
//     the loop's line carries a "//det:unordered-ok <reason>" comment that says why
//     the order cannot matter (for example, the keys are sorted right after).
//
// A package may be granted named exceptions (an import it may use) in the table the
// project test keeps; every exception is listed there with its reason.
package detcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Violation is one place where source code breaks the determinism contract.
type Violation struct {
	Pos  token.Position
	Rule string // short rule name, e.g. "wall-clock"
	Msg  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: [%s] %s", v.Pos, v.Rule, v.Msg)
}

// forbiddenImports maps an import path (or a prefix ending in "/") to the reason it is
// not allowed in simulated code.
var forbiddenImports = map[string]string{
	"os":          "the operating system is outside the simulation",
	"os/":         "the operating system is outside the simulation",
	"net":         "the real network is outside the simulation",
	"net/":        "the real network is outside the simulation",
	"syscall":     "the operating system is outside the simulation",
	"math/rand":   "global math/rand is not seeded by the run; use math/rand/v2 with a forked stream",
	"crypto/rand": "crypto/rand is not reproducible",
	"sync":        "simulated code is single-threaded; the scheduler is the only loop",
	"sync/atomic": "simulated code is single-threaded; the scheduler is the only loop",
}

// forbiddenTime lists the functions of package time that read or wait on the wall clock.
var forbiddenTime = []string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"}

// allowedRandV2 lists what simulated code may use of math/rand/v2: constructors that
// take an explicit seed, and types. Everything else at package level draws from the
// global, run-independent source.
var allowedRandV2 = []string{"New", "NewPCG", "NewChaCha8", "NewZipf", "Rand", "PCG", "ChaCha8", "Source", "Zipf"}

// UnorderedOK is the comment marker that allows one map iteration.
const UnorderedOK = "//det:unordered-ok"

// CheckFiles checks already parsed and type-checked files of one package.
// allowed lists import paths this package may use despite the rules.
func CheckFiles(fset *token.FileSet, files []*ast.File, info *types.Info, allowed []string) []Violation {
	var out []Violation
	for _, f := range files {
		out = append(out, checkImports(fset, f, allowed)...)
		out = append(out, checkBody(fset, f, info)...)
	}
	slices.SortFunc(out, func(a, b Violation) int {
		if c := strings.Compare(a.Pos.Filename, b.Pos.Filename); c != 0 {
			return c
		}
		return a.Pos.Line - b.Pos.Line
	})
	return out
}

func checkImports(fset *token.FileSet, f *ast.File, allowed []string) []Violation {
	var out []Violation
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		if slices.Contains(allowed, path) {
			continue
		}
		if reason, bad := importReason(path); bad {
			out = append(out, Violation{fset.Position(imp.Pos()), "import", fmt.Sprintf("import %q: %s", path, reason)})
		}
	}
	return out
}

func importReason(path string) (string, bool) {
	if r, ok := forbiddenImports[path]; ok {
		return r, true
	}
	for prefix, r := range forbiddenImports { //det:unordered-ok at most one prefix matches a path
		if strings.HasSuffix(prefix, "/") && strings.HasPrefix(path, prefix) {
			return r, true
		}
	}
	return "", false
}

func checkBody(fset *token.FileSet, f *ast.File, info *types.Info) []Violation {
	okLines := unorderedOKLines(fset, f)
	var out []Violation
	add := func(n ast.Node, rule, msg string) {
		out = append(out, Violation{fset.Position(n.Pos()), rule, msg})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			add(n, "goroutine", "go statement: simulated code must not spawn goroutines")
		case *ast.SelectStmt:
			add(n, "select", "select statement: simulated code must not wait on channels")
		case *ast.SelectorExpr:
			if pkg, name, ok := pkgFunc(info, n); ok {
				if msg := forbiddenCall(pkg, name); msg != "" {
					add(n, "wall-clock/global-rand", msg)
				}
			}
		case *ast.RangeStmt:
			if okLines[fset.Position(n.Pos()).Line] {
				return true
			}
			if msg := unorderedRange(info, n.X); msg != "" {
				add(n, "map-order", msg+" (sort the keys first, or mark the line "+UnorderedOK+" <reason>)")
			}
		}
		return true
	})
	return out
}

// pkgFunc resolves sel to a package-level object (pkg path, name) when sel is a
// qualified identifier such as time.Now.
func pkgFunc(info *types.Info, sel *ast.SelectorExpr) (string, string, bool) {
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", "", false
	}
	pn, ok := info.Uses[id].(*types.PkgName)
	if !ok {
		return "", "", false
	}
	return pn.Imported().Path(), sel.Sel.Name, true
}

func forbiddenCall(pkg, name string) string {
	switch pkg {
	case "time":
		if slices.Contains(forbiddenTime, name) {
			return "time." + name + " reads or waits on the wall clock; use the simulated clock"
		}
	case "math/rand/v2":
		if !slices.Contains(allowedRandV2, name) {
			return "rand." + name + " uses the global random source; draw from a stream forked from the run's seed"
		}
	}
	return ""
}

// unorderedRange reports why ranging over x depends on map order, or "" if it does not.
func unorderedRange(info *types.Info, x ast.Expr) string {
	if tv, ok := info.Types[x]; ok {
		if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
			return "range over a map: iteration order is random"
		}
	}
	if call, ok := x.(*ast.CallExpr); ok {
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
			if pkg, name, ok := pkgFunc(info, sel); ok && pkg == "maps" && (name == "Keys" || name == "Values" || name == "All") {
				return "range over maps." + name + ": iteration order is random"
			}
		}
	}
	return ""
}

// unorderedOKLines returns the lines that carry an UnorderedOK marker with a reason.
func unorderedOKLines(fset *token.FileSet, f *ast.File) map[int]bool {
	lines := map[int]bool{}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if rest, ok := strings.CutPrefix(c.Text, UnorderedOK); ok && strings.TrimSpace(rest) != "" {
				lines[fset.Position(c.Pos()).Line] = true
			}
		}
	}
	return lines
}

// listedPackage is the part of `go list -json` output this package reads.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	DepOnly    bool
	Error      *struct{ Err string }
}

// CheckPatterns type-checks the packages matched by the go list patterns (run in
// dir, a module root) and checks their non-test files. exceptions maps an import
// path of a checked package to the forbidden imports it may use.
func CheckPatterns(dir string, patterns []string, exceptions map[string][]string) ([]Violation, []string, error) {
	pkgs, err := goList(dir, patterns)
	if err != nil {
		return nil, nil, err
	}
	exports := map[string]string{}
	for _, p := range pkgs {
		exports[p.ImportPath] = p.Export
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("detcheck: no export data for %q", path)
		}
		return os.Open(file)
	})
	var all []Violation
	var checked []string
	for _, p := range pkgs {
		if p.DepOnly {
			continue
		}
		if p.Error != nil {
			return nil, nil, fmt.Errorf("detcheck: package %s: %s", p.ImportPath, p.Error.Err)
		}
		vs, err := checkPackage(fset, imp, p, exceptions[p.ImportPath])
		if err != nil {
			return nil, nil, err
		}
		all = append(all, vs...)
		checked = append(checked, p.ImportPath)
	}
	return all, checked, nil
}

func checkPackage(fset *token.FileSet, imp types.Importer, p listedPackage, allowed []string) ([]Violation, error) {
	var files []*ast.File
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
		return nil, fmt.Errorf("detcheck: type-checking %s: %w", p.ImportPath, err)
	}
	return CheckFiles(fset, files, info, allowed), nil
}

func goList(dir string, patterns []string) ([]listedPackage, error) {
	args := append([]string{"list", "-e", "-json", "-export", "-deps"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("detcheck: go list: %v: %s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("detcheck: decoding go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}
