package wal

// TruncateLog cuts the log in dir after the txn with zxid (ZooKeeper's FileTxnLog.truncate,
// the TRUNC sync): the file holding the first record at or above zxid is cut just after
// that record, and every later log file is removed. Snapshots are not touched. The caller
// must close its Log first and reload its database afterwards, as ZooKeeper does.
//
// Like ZooKeeper, it fails when no record at or above zxid exists ("No log files found to
// truncate"). The cut file's length is not synced here; ZooKeeper does not sync it either.
func TruncateLog(fs FS, dir string, zxid int64) error {
	it, err := ReadLog(fs, dir, zxid)
	if err != nil {
		return err
	}
	defer it.Close()
	if !it.Next() {
		if err := it.Err(); err != nil {
			return walErr("truncating log to %#x: %w", zxid, err)
		}
		return walErr("truncating log to %#x: no log record at or after it in %s (log files deleted, or dataLogDir changed?)", zxid, dir)
	}
	name, off := it.Position()
	path := join(dir, name)
	f, err := fs.Open(path)
	if err != nil {
		return walErr("truncating %s: %w", path, err)
	}
	if err := f.Truncate(off); err != nil {
		f.Close()
		return walErr("truncating %s to %d bytes: %w", path, off, err)
	}
	if err := f.Close(); err != nil {
		return walErr("closing %s: %w", path, err)
	}
	it.Close()
	for _, later := range it.remaining {
		if err := fs.Remove(join(dir, later.name)); err != nil {
			return walErr("truncating log: removing %s: %w", join(dir, later.name), err)
		}
	}
	return nil
}

// LastLoggedZxid returns the zxid of the last readable txn in dir's logs, the start zxid
// of the newest log file if it holds no txn, or -1 if there are no log files
// (FileTxnLog.getLastLoggedZxid without its in-memory shortcut).
func LastLoggedZxid(fs FS, dir string) (int64, error) {
	files, err := listNamed(fs, dir, LogPrefix)
	if err != nil {
		return -1, err
	}
	if len(files) == 0 {
		return -1, nil
	}
	newest := files[len(files)-1].zxid
	it, err := ReadLog(fs, dir, newest)
	if err != nil {
		return -1, err
	}
	defer it.Close()
	zxid := newest
	for it.Next() {
		zxid = it.Txn().Header.Zxid
	}
	return zxid, it.Err()
}
