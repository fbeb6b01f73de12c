package client

import (
	"fmt"
	"strings"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// validateRequest checks what the Java client checks before sending: the paths.
func validateRequest(op cp.OpCode, body cp.RequestBody) error {
	switch b := body.(type) {
	case *cp.CreateRequest:
		return validatePath(b.Path, b.Flags == cp.FlagPersistentSequential || b.Flags == cp.FlagEphemeralSequential)
	case *cp.DeleteRequest:
		return validatePath(b.Path, false)
	case *cp.SetDataRequest:
		return validatePath(b.Path, false)
	case *cp.PathWatchRequest:
		return validatePath(b.Path, false)
	case *cp.CheckVersionRequest:
		return validatePath(b.Path, false)
	case *cp.SyncRequest:
		return validatePath(b.Path, false)
	case *cp.MultiRequest:
		for i, sub := range b.Ops {
			if err := validateRequest(sub.Op, sub.Body); err != nil {
				return fmt.Errorf("multi op %d: %w", i, err)
			}
		}
	}
	return nil
}

// validatePath follows PathUtils.validatePath (reference §6). A sequential path is
// checked as if the server's digits were already appended.
func validatePath(path string, sequential bool) error {
	if sequential {
		path += "1"
	}
	switch {
	case path == "":
		return fmt.Errorf("client: path is empty")
	case path[0] != '/':
		return fmt.Errorf("client: path %q must start with /", path)
	case path == "/":
		return nil
	case strings.HasSuffix(path, "/"):
		return fmt.Errorf("client: path %q must not end with /", path)
	}
	for _, comp := range strings.Split(path[1:], "/") {
		if comp == "" || comp == "." || comp == ".." {
			return fmt.Errorf("client: path %q has an empty, . or .. component", path)
		}
	}
	for _, r := range path {
		if badPathRune(r) {
			return fmt.Errorf("client: path %q has invalid character %U", path, r)
		}
	}
	return nil
}

func badPathRune(r rune) bool {
	return r == 0 || (r > 0 && r < 0x20) || (r >= 0x7f && r <= 0x9f) ||
		(r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff)
}
