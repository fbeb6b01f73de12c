package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var walFixtures = filepath.Join("..", "..", "..", "shared", "fixtures", "zookeeper-3.8.0")

func dumpCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestLogDumpEveryFixtureLog(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(walFixtures, "*", "version-2", "log.*"))
	more, _ := filepath.Glob(filepath.Join(walFixtures, "*", "*", "version-2", "log.*"))
	logs = append(logs, more...)
	if len(logs) < 20 {
		t.Fatalf("found only %d fixture logs", len(logs))
	}
	for _, l := range logs {
		code, out, errs := dumpCmd("logdump", l)
		if code != exitOK || !strings.Contains(out, "zero padding at offset") || strings.Contains(out, "undecodable") {
			t.Fatalf("%s: exit %d, stderr %q, tail %q", l, code, errs, out[max(0, len(out)-200):])
		}
	}
	_, out, _ := dumpCmd("logdump", filepath.Join(walFixtures, "standalone-1/version-2/log.1"))
	for _, want := range []string{"zxid 0x1 createSession timeout=10000", "zxid 0x3 create /app data=\"root:/app\"", "after 100 txns"} {
		if !strings.Contains(out, want) {
			t.Errorf("logdump output lacks %q", want)
		}
	}
}

// copyToTemp copies a fixture file into a temp dir and returns the copy's path.
func copyToTemp(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(walFixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(rel))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0x40
	f.WriteAt(b, off)
}

func TestLogDumpCorruptFileNamesOffset(t *testing.T) {
	p := copyToTemp(t, "standalone-1/version-2/log.1")
	flipByte(t, p, 300) // inside the record at offset 248
	code, out, errs := dumpCmd("logdump", p)
	if code != exitError || !strings.Contains(errs, "offset 248") || !strings.Contains(errs, "crc check failed") {
		t.Fatalf("exit %d stderr %q", code, errs)
	}
	if !strings.Contains(out, "zxid 0x3 create") {
		t.Fatalf("records before the corrupt one were not printed: %q", out)
	}
	if code, _, errs := dumpCmd("logdump", filepath.Join(t.TempDir(), "log.nope")); code != exitError || !strings.Contains(errs, "log.nope") {
		t.Fatalf("missing file: exit %d %q", code, errs)
	}
	if code, _, _ := dumpCmd("logdump"); code != exitUsage {
		t.Fatalf("no argument: exit %d", code)
	}
}

func TestSnapDumpFixtureAndCorrupt(t *testing.T) {
	code, out, errs := dumpCmd("snapdump", "--data", filepath.Join(walFixtures, "standalone-1/version-2/snapshot.63"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"ZNode Details (count=44)", "/zookeeper/config", "Session Details (count=2", "Last zxid: 0x63", `data = "root:/app"`} {
		if !strings.Contains(out, want) {
			t.Errorf("snapdump output lacks %q", want)
		}
	}
	p := copyToTemp(t, "standalone-1/version-2/snapshot.63")
	flipByte(t, p, 2000) // inside a node's stat: only the seal can tell
	code, _, errs = dumpCmd("snapdump", p)
	if code != exitError || !strings.Contains(errs, "snapshot.63 at offset 4115: crc corruption") {
		t.Fatalf("corrupt snapshot: exit %d %q", code, errs)
	}
	p = copyToTemp(t, "standalone-1/version-2/snapshot.63")
	flipByte(t, p, 100) // an ACL scheme length: the decoder stops there
	code, _, errs = dumpCmd("snapdump", p)
	if code != exitError || !strings.Contains(errs, "offset 99") {
		t.Fatalf("corrupt snapshot: exit %d %q", code, errs)
	}
}
