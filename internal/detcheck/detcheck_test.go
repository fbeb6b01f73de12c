package detcheck

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"testing"
)

// simulatedPackages are the go list patterns of every package that runs inside the
// simulation. A new simulated package must be covered by one of these patterns.
var simulatedPackages = []string{
	"./sim/...",
	"./zab/...",
	"./datatree/...",
	"./wal/...",
	"./internal/cluster/...",
	"./internal/zkdb/...",
	"./internal/simfs/...",
	"./internal/jute/...",
}

// exceptions are the only forbidden imports simulated packages may use, each with why.
var exceptions = map[string][]string{
	// wal/osfs adapts wal's filesystem interface to the real OS for the command line
	// (logdump, snapdump, recover of real ZooKeeper data dirs). It never runs inside a
	// simulation: the simulator hands wal sim's disk instead.
	"github.com/zabsim/zabsim/wal/osfs": {"os"},
}

// TestProjectIsDeterministic is the contract test: it fails on any violation in the
// project's simulated code.
func TestProjectIsDeterministic(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	vs, checked, err := CheckPatterns(root, simulatedPackages, exceptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) == 0 {
		t.Fatal("no simulated packages were checked")
	}
	for _, v := range vs {
		t.Errorf("%s", v)
	}
	t.Logf("checked %d packages: %s", len(checked), strings.Join(checked, " "))
}

// checkSource type-checks one synthetic file and runs the rules on it.
func checkSource(t *testing.T, src string) []Violation {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.Default()}
	if _, err := conf.Check("x", fset, []*ast.File{f}, info); err != nil {
		t.Fatal(err)
	}
	return CheckFiles(fset, []*ast.File{f}, info, nil)
}

func TestRulesCatchEachViolation(t *testing.T) {
	cases := []struct {
		name, body, imports, rule string
	}{
		{"wall clock", `_ = time.Now()`, `"time"`, "wall-clock/global-rand"},
		{"sleep", `time.Sleep(1)`, `"time"`, "wall-clock/global-rand"},
		{"timer", `_ = time.After(1)`, `"time"`, "wall-clock/global-rand"},
		{"global rand v2", `_ = rand.IntN(3)`, `"math/rand/v2"`, "wall-clock/global-rand"},
		{"goroutine", `go func() {}()`, ``, "goroutine"},
		{"select", `select {}`, ``, "select"},
		{"map range", `m := map[int]int{}; for k := range m { _ = k }`, ``, "map-order"},
		{"maps.Keys range", `m := map[int]int{}; for k := range maps.Keys(m) { _ = k }`, `"maps"`, "map-order"},
		{"os import", `_ = os.Args`, `"os"`, "import"},
		{"math/rand v1 import", `_ = rand.Int()`, `"math/rand"`, "import"},
		{"sync import", `var mu sync.Mutex; mu.Lock()`, `"sync"`, "import"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "package x\n"
			if c.imports != "" {
				src += "import " + c.imports + "\n"
			}
			src += "func f() {\n" + c.body + "\n}\n"
			vs := checkSource(t, src)
			if len(vs) != 1 || vs[0].Rule != c.rule {
				t.Fatalf("want exactly one %q violation, got %v", c.rule, vs)
			}
		})
	}
}

func TestRulesAllowDeterministicCode(t *testing.T) {
	src := `package x
import (
	"maps"
	"math/rand/v2"
	"slices"
	"time"
)
func f(m map[string]int) time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		_ = k
	}
	n := 0
	for range m { //det:unordered-ok counting does not depend on order
		n++
	}
	return time.Duration(r.IntN(10)+n) * time.Millisecond
}
`
	if vs := checkSource(t, src); len(vs) != 0 {
		t.Fatalf("deterministic code flagged: %v", vs)
	}
}

func TestUnorderedMarkerNeedsReason(t *testing.T) {
	src := "package x\nfunc f(m map[int]int) {\n\tfor k := range m { //det:unordered-ok\n\t\t_ = k\n\t}\n}\n"
	if vs := checkSource(t, src); len(vs) != 1 {
		t.Fatalf("a marker without a reason must not excuse the loop, got %v", vs)
	}
}
