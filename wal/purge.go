package wal

// MinSnapRetainCount is the smallest autopurge.snapRetainCount ZooKeeper accepts.
const MinSnapRetainCount = 3

// Purge deletes old snapshots and logs as PurgeTxnLog.purge does: keep the retain newest
// snapshots that pass IsValidSnapshot; with Z the zxid of the oldest kept one, keep the log
// file that may hold Z (the newest named at or below it) and every later log; remove every
// other snapshot.* in snapDir and log.* in logDir named below Z. It returns the removed
// paths. retain below MinSnapRetainCount is an error. Removals are not followed by a
// directory sync.
func Purge(fs FS, snapDir, logDir string, retain int) ([]string, error) {
	if retain < MinSnapRetainCount {
		return nil, walErr("purge: snapRetainCount %d is below the minimum %d", retain, MinSnapRetainCount)
	}
	snaps, err := listNamed(fs, snapDir, SnapPrefix)
	if err != nil {
		return nil, err
	}
	var kept []namedFile
	for i := len(snaps) - 1; i >= 0 && len(kept) < retain; i-- {
		ok, err := IsValidSnapshot(fs, join(snapDir, snaps[i].name))
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, snaps[i])
		}
	}
	if len(kept) == 0 {
		return nil, nil
	}
	least := kept[len(kept)-1].zxid
	logs, err := listNamed(fs, logDir, LogPrefix)
	if err != nil {
		return nil, err
	}
	var removed []string
	retained := logsFor(logs, least)
	for _, lf := range logs {
		if lf.zxid < least && !containsName(retained, lf.name) {
			removed = append(removed, join(logDir, lf.name))
		}
	}
	for _, sf := range snaps {
		if sf.zxid < least {
			removed = append(removed, join(snapDir, sf.name))
		}
	}
	for _, p := range removed {
		if err := fs.Remove(p); err != nil {
			return nil, walErr("purge: removing %s: %w", p, err)
		}
	}
	return removed, nil
}

// logsFor is FileTxnLog.getLogFiles: the newest log named at or below zxid and all later
// ones.
func logsFor(logs []namedFile, zxid int64) []namedFile {
	var start int64
	for _, lf := range logs {
		if lf.zxid > zxid {
			break
		}
		start = max(start, lf.zxid)
	}
	var out []namedFile
	for _, lf := range logs {
		if lf.zxid >= start {
			out = append(out, lf)
		}
	}
	return out
}

func containsName(files []namedFile, name string) bool {
	for _, f := range files {
		if f.name == name {
			return true
		}
	}
	return false
}
