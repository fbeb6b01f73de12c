package wal

import (
	"fmt"

	"github.com/zabsim/zabsim/internal/jute"
)

// SnapshotLoadOptions tune which snapshot LoadSnapshot picks.
type SnapshotLoadOptions struct {
	// MaxZxid, when >= 0, skips snapshots named above it. ZooKeeper 3.8 has no such
	// limit (so after a TRUNC it reloads a snapshot newer than the truncation point,
	// ZOOKEEPER-4837); the proposed fix sets it to the truncation zxid. -1 means no limit.
	MaxZxid int64
	// NotFuzzyPastMax also skips a snapshot whose digest section says serialization
	// finished after MaxZxid (a fuzzy snapshot can hold changes newer than its name), so
	// that the loaded state can be rolled forward to exactly MaxZxid. For debugging
	// (recover --upto); ZooKeeper has no such rule.
	NotFuzzyPastMax bool
}

// SkippedSnapshot is a snapshot recovery passed over, with why.
type SkippedSnapshot struct {
	Name string
	Err  error
}

// LoadSnapshot picks the snapshot to recover from, as FileSnap.deserialize does: among the
// (up to 100) newest snapshot files of dir that pass IsValidSnapshot, the first one that
// reads whole with matching seals. readTree is called once per attempt and must start
// from an empty tree each time. found is false when dir holds no valid-looking snapshot;
// if some look valid but none reads, the error says so (ZooKeeper refuses to start).
func LoadSnapshot(fs FS, dir string, readTree func(*jute.Decoder) error, opts SnapshotLoadOptions) (info SnapshotInfo, found bool, skipped []SkippedSnapshot, err error) {
	files, err := listNamed(fs, dir, SnapPrefix)
	if err != nil {
		return SnapshotInfo{}, false, nil, err
	}
	var candidates []namedFile
	for i := len(files) - 1; i >= 0 && len(candidates) < maxSnapshotsTried; i-- {
		nf := files[i]
		if opts.MaxZxid >= 0 && nf.zxid > opts.MaxZxid {
			skipped = append(skipped, SkippedSnapshot{nf.name, fmt.Errorf("named after %#x, the truncation point", opts.MaxZxid)})
			continue
		}
		ok, err := IsValidSnapshot(fs, join(dir, nf.name))
		if err != nil {
			return SnapshotInfo{}, false, skipped, err
		}
		if !ok {
			skipped = append(skipped, SkippedSnapshot{nf.name, fmt.Errorf("trailer check failed (not ending in a seal)")})
			continue
		}
		candidates = append(candidates, nf)
	}
	if len(candidates) == 0 {
		return SnapshotInfo{}, false, skipped, nil
	}
	var firstErr error
	for _, nf := range candidates {
		info, err := ReadSnapshot(fs, join(dir, nf.name), readTree)
		if err == nil && opts.NotFuzzyPastMax && opts.MaxZxid >= 0 && info.Digest != nil && info.Digest.Zxid > opts.MaxZxid {
			skipped = append(skipped, SkippedSnapshot{nf.name, fmt.Errorf("holds changes up to %#x, after %#x", info.Digest.Zxid, opts.MaxZxid)})
			continue
		}
		if err == nil {
			return info, true, skipped, nil
		}
		skipped = append(skipped, SkippedSnapshot{nf.name, err})
		if firstErr == nil {
			firstErr = err
		}
	}
	return SnapshotInfo{}, false, skipped, walErr("%w in %s (%d tried): %w", ErrNoValidSnapshot, dir, len(candidates), firstErr)
}

// NewestSnapshotSize returns the size of the newest snapshot in dir that passes
// IsValidSnapshot, or 0 if there is none (FileSnap.findMostRecentSnapshot, whose size
// times snapshotSizeFactor caps a DIFF from the log).
func NewestSnapshotSize(fs FS, dir string) (int64, error) {
	files, err := listNamed(fs, dir, SnapPrefix)
	if err != nil {
		return 0, err
	}
	for i := len(files) - 1; i >= 0; i-- {
		path := join(dir, files[i].name)
		ok, err := IsValidSnapshot(fs, path)
		if err != nil {
			return 0, err
		}
		if ok {
			f, size, err := openSized(fs, path)
			if err != nil {
				return 0, err
			}
			f.Close()
			return size, nil
		}
	}
	return 0, nil
}
