package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecoverStandaloneFixturePrintsTreeJSON(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(walFixtures, "standalone-1/tree.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"standalone-1", "standalone-1/version-2"} {
		code, out, errs := dumpCmd("recover", filepath.Join(walFixtures, dir))
		if code != exitOK || out != string(want)+"\n" {
			t.Fatalf("%s: exit %d, stderr %q, output equal: %v", dir, code, errs, out == string(want)+"\n")
		}
		if !strings.Contains(errs, "snapshot snapshot.222, then 43 txns replayed") {
			t.Errorf("summary: %q", errs)
		}
	}
}

func TestRecoverUpTo(t *testing.T) {
	code, out, errs := dumpCmd("recover", "-q", "--upto", "0x10", filepath.Join(walFixtures, "standalone-1"))
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d %q", code, errs)
	}
	if !strings.Contains(out, `"mzxid": 16`) || strings.Contains(out, `"mzxid": 17`) {
		t.Fatalf("state at 0x10 has the wrong zxids")
	}
	if code, _, _ := dumpCmd("recover", "--upto", "x", walFixtures); code != exitUsage {
		t.Fatalf("bad --upto: exit %d", code)
	}
}

func TestRecoverErrors(t *testing.T) {
	empty := t.TempDir()
	code, _, errs := dumpCmd("recover", empty)
	if code != exitError || !strings.Contains(errs, "no version-2 directory") {
		t.Fatalf("no version-2: exit %d %q", code, errs)
	}
	// An empty version-2 directory recovers as an empty tree and stays empty: recover
	// never writes (ZooKeeper would create snapshot.0).
	os.Mkdir(filepath.Join(empty, "version-2"), 0o755)
	code, out, errs := dumpCmd("recover", empty)
	if code != exitOK || !strings.Contains(out, `"path": "/zookeeper/quota"`) {
		t.Fatalf("empty dir: exit %d %q", code, errs)
	}
	if entries, _ := os.ReadDir(filepath.Join(empty, "version-2")); len(entries) != 0 {
		t.Fatalf("recover wrote %v", entries)
	}
	// A corrupt log record stops recovery with the file and offset.
	dir := filepath.Join(t.TempDir(), "version-2")
	os.Mkdir(dir, 0o755)
	for _, f := range []string{"snapshot.222", "log.224"} {
		b, _ := os.ReadFile(filepath.Join(walFixtures, "standalone-1/version-2", f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	flipByte(t, filepath.Join(dir, "log.224"), 40)
	code, _, errs = dumpCmd("recover", dir)
	if code != exitError || !strings.Contains(errs, "log.224 at offset 16: crc check failed") {
		t.Fatalf("corrupt log: exit %d %q", code, errs)
	}
}

func TestRecoverSeparateDataLogDir(t *testing.T) {
	data, logs := t.TempDir(), t.TempDir()
	src := filepath.Join(walFixtures, "standalone-1", "version-2")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(data, "version-2"), 0o755)
	os.Mkdir(filepath.Join(logs, "version-2"), 0o755)
	for _, e := range entries {
		dst := data
		if strings.HasPrefix(e.Name(), "log.") {
			dst = logs
		}
		b, _ := os.ReadFile(filepath.Join(src, e.Name()))
		os.WriteFile(filepath.Join(dst, "version-2", e.Name()), b, 0o644)
	}
	want, _ := os.ReadFile(filepath.Join(walFixtures, "standalone-1/tree.json"))
	code, out, errs := dumpCmd("recover", data, "--datalogdir", logs)
	if code != exitOK || out != string(want)+"\n" {
		t.Fatalf("exit %d, stderr %q, tree equal %v", code, errs, out == string(want)+"\n")
	}
	// Without the log dir the txns after the newest snapshot are missing, and ZooKeeper's
	// rule is not to mind: the snapshot alone is a valid (older) state.
	code, out, _ = dumpCmd("recover", data)
	if code != exitOK || out == string(want)+"\n" {
		t.Fatalf("recovering without the log dir: exit %d, same tree %v", code, out == string(want)+"\n")
	}
}
