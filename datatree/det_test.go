package datatree

import (
	"path/filepath"
	"testing"

	"github.com/zabsim/zabsim/internal/detcheck"
	"github.com/zabsim/zabsim/internal/jute"
)

// TestDeterminismContract runs the project's determinism check on this package alone,
// so a violation here is caught even while another package does not build.
func TestDeterminismContract(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	vs, checked, err := detcheck.CheckPatterns(root, []string{"./datatree/..."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) == 0 {
		t.Fatal("datatree was not checked")
	}
	for _, v := range vs {
		t.Errorf("%s", v)
	}
}

func jutedec(b []byte) *jute.Decoder { return jute.NewDecoder(b, 0) }
