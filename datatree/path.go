package datatree

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidatePath checks a path by ZooKeeper's PathUtils.validatePath rules: it must start
// with '/', "/" alone is the root, no trailing '/', no empty component, no "." or ".."
// component, and no NUL, control (U+0001–U+001F, U+007F–U+009F), surrogate/private-use
// (U+D800–U+F8FF, and every character beyond U+FFFF, which Java holds as surrogates) or
// U+FFF0–U+FFFF character. Bytes that are not UTF-8 decode to U+FFFD, as on the server,
// and are rejected too. The error names the offending byte offset.
func ValidatePath(path string) error {
	switch {
	case path == "":
		return fmt.Errorf("datatree: invalid path: path length must be > 0")
	case path[0] != '/':
		return fmt.Errorf("datatree: invalid path %q: path must start with / character", path)
	case path == "/":
		return nil
	case path[len(path)-1] == '/':
		return fmt.Errorf("datatree: invalid path %q: path must not end with / character", path)
	}
	for i := 1; i < len(path); {
		r, size := utf8.DecodeRuneInString(path[i:])
		if reason := badChar(path, i, r); reason != "" {
			return fmt.Errorf("datatree: invalid path %q: %s @%d", path, reason, i)
		}
		i += size
	}
	return nil
}

// badChar returns why the rune r at byte offset i of path is not allowed, or "".
func badChar(path string, i int, r rune) string {
	switch {
	case r == 0:
		return "null character not allowed"
	case r == '/' && path[i-1] == '/':
		return "empty node name specified"
	case r == '.' && isDotComponent(path, i):
		return "relative paths not allowed"
	case r > 0 && r <= 0x1f, r >= 0x7f && r <= 0x9f, r >= 0xd800 && r <= 0xf8ff, r >= 0xfff0:
		return "invalid character"
	}
	return ""
}

// isDotComponent reports whether the '.' at offset i ends a "." or ".." component.
func isDotComponent(path string, i int) bool {
	start := strings.LastIndexByte(path[:i], '/') + 1
	end := i + 1
	if end != len(path) && path[end] != '/' {
		return false
	}
	comp := path[start:end]
	return comp == "." || comp == ".."
}

// parentOf splits a path at its last '/': parentOf("/a/b") = ("/a", "b"),
// parentOf("/a") = ("", "a") — ZooKeeper's parent of a top-level node is "", the root's
// other name. ok is false when the path has no '/'.
func parentOf(path string) (parent, child string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}
