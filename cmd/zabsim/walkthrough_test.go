package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWalkthroughCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"walkthrough", "--seed", "3"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	s := out.String()
	for _, want := range []string{"Mode: leader", "Mode: follower", "create /app1 \"hello\"", "elected", `-> "hello"`, "after the old leader rejoined"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestWalkthroughCommandConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	text := "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/data\nclientPort=2181\n" +
		"server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"walkthrough", "--config", cfg}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	bad := filepath.Join(dir, "bad.cfg")
	if err := os.WriteFile(bad, []byte("tickTime=abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := dispatch([]string{"walkthrough", "--config", bad}, &out, &errOut); code != exitError {
		t.Fatalf("bad config: exit %d", code)
	}
	if !strings.Contains(errOut.String(), "bad.cfg") {
		t.Errorf("error does not name the file: %s", errOut.String())
	}
	if code := dispatch([]string{"walkthrough", "--nope"}, &out, &errOut); code != exitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
}
