package wal_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

// tinyTree is a tree section with one node besides the root, holding tag as data.
func tinyTree(tag string) wal.TreeSection {
	return wal.TreeSection{Nodes: []wal.SnapNode{
		{Path: "", ACL: -1},
		{Path: "/a", Data: []byte(tag), ACL: -1, Stat: wal.StatPersisted{Czxid: 1, Mzxid: 1, Pzxid: 1}},
	}}
}

func writeSnap(t *testing.T, fs wal.FS, zxid int64, tag string, fsync bool) {
	t.Helper()
	sessions := []wal.Session{{ID: 7, TimeoutMs: 4000}, {ID: 0x100000001, TimeoutMs: 6000}}
	if _, err := wal.WriteSnapshot(fs, dir, zxid, sessions, tinyTree(tag).Encode, &wal.SnapDigest{Zxid: zxid, Version: 2, Digest: 99}, fsync); err != nil {
		t.Fatal(err)
	}
}

func load(fs wal.FS, opts wal.SnapshotLoadOptions) (string, wal.SnapshotInfo, bool, []wal.SkippedSnapshot, error) {
	var tree wal.TreeSection
	info, found, skipped, err := wal.LoadSnapshot(fs, dir, func(d *jute.Decoder) (err error) {
		tree, err = wal.DecodeTreeSection(d)
		return err
	}, opts)
	tag := ""
	if found {
		tag = string(tree.Nodes[1].Data)
	}
	return tag, info, found, skipped, err
}

func TestSnapshotRoundTripAndSelection(t *testing.T) {
	fs := newFS(t)
	if _, _, found, _, err := load(fs, wal.SnapshotLoadOptions{MaxZxid: -1}); found || err != nil {
		t.Fatalf("empty dir: found=%v err=%v", found, err)
	}
	writeSnap(t, fs, 0x10, "old", false)
	writeSnap(t, fs, 0x20, "mid", true)
	writeSnap(t, fs, 0x30, "new", false)
	tag, info, found, _, err := load(fs, wal.SnapshotLoadOptions{MaxZxid: -1})
	if err != nil || !found || tag != "new" || info.Zxid != 0x30 || info.Digest.Digest != 99 || len(info.Sessions) != 2 {
		t.Fatalf("newest: tag=%q info=%+v found=%v err=%v", tag, info, found, err)
	}
	if names, _ := fs.ReadDir(dir); slices.Contains(names, "snapshot.20.tmp") {
		t.Fatalf("fsynced snapshot left its tmp file: %v", names)
	}
	// The ZOOKEEPER-4837 fix: skip snapshots newer than the truncation point.
	if tag, _, _, _, _ := load(fs, wal.SnapshotLoadOptions{MaxZxid: 0x2f}); tag != "mid" {
		t.Fatalf("MaxZxid: got %q", tag)
	}
	// A snapshot failing the trailer check is ignored; one whose seal does not match is
	// tried and skipped.
	f, _ := fs.Open(dir + "/snapshot.30")
	size, _ := f.Size()
	f.Truncate(size - 3)
	f, _ = fs.Open(dir + "/snapshot.20")
	f.WriteAt([]byte{0xee}, 40)
	tag, _, _, skipped, err := load(fs, wal.SnapshotLoadOptions{MaxZxid: -1})
	if err != nil || tag != "old" || len(skipped) != 2 {
		t.Fatalf("fallback: tag=%q skipped=%v err=%v", tag, skipped, err)
	}
	if !strings.Contains(skipped[0].Err.Error(), "trailer") || !errors.Is(skipped[1].Err, wal.ErrCorrupt) {
		t.Fatalf("skip reasons: %v", skipped)
	}
	// Valid-looking snapshots of which none reads: refuse to start.
	f, _ = fs.Open(dir + "/snapshot.10")
	f.WriteAt([]byte{0xee}, 40)
	if _, _, _, _, err := load(fs, wal.SnapshotLoadOptions{MaxZxid: -1}); err == nil || !strings.Contains(err.Error(), "not able to find a valid snapshot") {
		t.Fatalf("all corrupt: %v", err)
	}
}

func TestSnapshotWriteErrorRemovesFile(t *testing.T) {
	fs := newFS(t)
	fs.Inject = func(op memfs.Op, _ string) error {
		if op == memfs.OpWrite {
			return errors.New("ENOSPC")
		}
		return nil
	}
	_, err := wal.WriteSnapshot(fs, dir, 5, nil, tinyTree("x").Encode, nil, false)
	if err == nil || !strings.Contains(err.Error(), "ENOSPC") {
		t.Fatalf("err = %v", err)
	}
	if names, _ := fs.ReadDir(dir); len(names) != 0 {
		t.Fatalf("left behind %v", names)
	}
}

func TestPurge(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
	// logs 1, 11, 21, 31, 41; snapshots at 15, 25, 35, 45.
	for start := int64(1); start <= 41; start += 10 {
		appendAll(t, l, start, start+9, 5)
		l.Roll()
		if start > 1 {
			writeSnap(t, fs, start+4, "s", false)
		}
	}
	if _, err := wal.Purge(fs, dir, dir, 2); err == nil {
		t.Fatal("retain 2 accepted")
	}
	removed, err := wal.Purge(fs, dir, dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Keep snapshots 25, 35, 45; the oldest kept is 0x19 (25): keep log.15 (21), which may
	// hold it, and later logs.
	want := []string{dir + "/log.1", dir + "/log.b", dir + "/snapshot.f"}
	if !slices.Equal(removed, want) {
		t.Fatalf("removed %v, want %v", removed, want)
	}
	if got, err := readZxids(t, fs, 0x19); err != nil || got[0] != 0x19 {
		t.Fatalf("txns after the oldest kept snapshot are no longer readable: %v %v", got, err)
	}
}

func TestLoadSnapshotNotFuzzyPastMax(t *testing.T) {
	fs := newFS(t)
	writeSnap(t, fs, 0x10, "old", false)
	// A fuzzy snapshot: named 0x30, but serialization finished at 0x35.
	if _, err := wal.WriteSnapshot(fs, dir, 0x30, nil, tinyTree("fuzzy").Encode, &wal.SnapDigest{Zxid: 0x35, Version: 2}, false); err != nil {
		t.Fatal(err)
	}
	if tag, _, _, _, _ := load(fs, wal.SnapshotLoadOptions{MaxZxid: 0x32}); tag != "fuzzy" {
		t.Fatalf("by name only: %q", tag)
	}
	tag, _, _, skipped, err := load(fs, wal.SnapshotLoadOptions{MaxZxid: 0x32, NotFuzzyPastMax: true})
	if err != nil || tag != "old" || len(skipped) != 1 || !strings.Contains(skipped[0].Err.Error(), "after 0x32") {
		t.Fatalf("fuzzy past max: %q %v %v", tag, skipped, err)
	}
}
