package wal

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// File name prefixes, as ZooKeeper's Util.makeLogName / makeSnapshotName write them.
const (
	LogPrefix  = "log"
	SnapPrefix = "snapshot"
	// VersionDir is the sub-directory of dataDir and dataLogDir that holds the files.
	VersionDir = "version-2"
)

// LogName returns the name of the log file whose first txn has zxid: "log.<lowercase hex>".
func LogName(zxid int64) string { return LogPrefix + "." + strconv.FormatUint(uint64(zxid), 16) }

// SnapName returns the name of the snapshot taken at zxid: "snapshot.<lowercase hex>".
func SnapName(zxid int64) string { return SnapPrefix + "." + strconv.FormatUint(uint64(zxid), 16) }

// ZxidFromName parses "<prefix>.<hex>" and returns the zxid, or -1 if name is not such a
// file (ZooKeeper's Util.getZxidFromName, which also answers -1).
func ZxidFromName(name, prefix string) int64 {
	rest, ok := strings.CutPrefix(name, prefix+".")
	if !ok || rest == "" {
		return -1
	}
	z, err := strconv.ParseUint(rest, 16, 64)
	if err != nil {
		return -1
	}
	return int64(z)
}

// namedFile is a log or snapshot file with the zxid of its name.
type namedFile struct {
	name string
	zxid int64
}

// listNamed returns dir's files named "<prefix>.<hex zxid>", sorted by zxid ascending (ties,
// impossible for well-formed names but possible for "log.01" and "log.1", by name).
func listNamed(fs FS, dir, prefix string) ([]namedFile, error) {
	names, err := fs.ReadDir(dir)
	if err != nil {
		return nil, walErr("listing %s: %w", dir, err)
	}
	var out []namedFile
	for _, n := range names {
		if z := ZxidFromName(n, prefix); z >= 0 {
			out = append(out, namedFile{name: n, zxid: z})
		}
	}
	slices.SortFunc(out, func(a, b namedFile) int {
		return cmp.Or(cmp.Compare(a.zxid, b.zxid), strings.Compare(a.name, b.name))
	})
	return out, nil
}

// join joins slash-separated path elements, ignoring empty ones.
func join(elems ...string) string {
	var parts []string
	for _, e := range elems {
		e = strings.Trim(e, "/")
		if e != "" && e != "." {
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, "/")
}
