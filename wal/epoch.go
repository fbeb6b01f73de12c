package wal

import (
	"strconv"
	"strings"
)

// Epoch file names, in the snapshot directory (dataDir/version-2).
const (
	AcceptedEpochFile = "acceptedEpoch"
	CurrentEpochFile  = "currentEpoch"
	tmpSuffix         = ".tmp"
)

// WriteEpoch writes an epoch file as ZooKeeper's AtomicFileOutputStream does: the decimal
// number with no newline into <name>.tmp, fsync, rename over <name>. The directory is not
// synced, so on a disk that loses unsynced renames the old value can come back.
func WriteEpoch(fs FS, dir, name string, epoch int64) error {
	return writeFileAtomic(fs, join(dir, name), []byte(strconv.FormatInt(epoch, 10)))
}

// ReadEpoch reads an epoch file. exists is false when the file is missing. The content is
// read like Java's BufferedReader.readLine + Long.parseLong: the first line, which must be
// a decimal number.
func ReadEpoch(fs FS, dir, name string) (epoch int64, exists bool, err error) {
	path := join(dir, name)
	b, err := readAll(fs, path)
	if err != nil {
		if isNotExist(err) {
			return 0, false, nil
		}
		return 0, false, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	v, err := strconv.ParseInt(line, 10, 64)
	if err != nil {
		return 0, true, walErr("%s: not a decimal epoch: %q", path, line)
	}
	return v, true, nil
}

// Epochs are a server's durable epochs.
type Epochs struct {
	Accepted int64
	Current  int64
}

// LoadEpochs applies QuorumPeer.loadDataBase's epoch rules after the database is loaded
// with lastZxid (dir is the snapshot directory):
//
//   - a missing currentEpoch (or acceptedEpoch) is created from the epoch of lastZxid;
//   - if the epoch of lastZxid is newer than currentEpoch, currentEpoch.tmp is used (and
//     written to currentEpoch) when it exists (ZOOKEEPER-4269), else loading fails;
//   - acceptedEpoch < currentEpoch fails.
func LoadEpochs(fs FS, dir string, lastZxid int64) (Epochs, error) {
	zxidEpoch := lastZxid >> 32
	if lastZxid < 0 {
		zxidEpoch = -1 // ZxidUtils.getEpochFromZxid(-1)
	}
	current, err := readOrCreateEpoch(fs, dir, CurrentEpochFile, zxidEpoch)
	if err != nil {
		return Epochs{}, err
	}
	if zxidEpoch > current {
		tmp, exists, err := ReadEpoch(fs, dir, CurrentEpochFile+tmpSuffix)
		if err != nil {
			return Epochs{}, err
		}
		if !exists {
			return Epochs{}, walErr("the current epoch, %#x, is older than the last zxid, %#x", current, lastZxid)
		}
		if err := WriteEpoch(fs, dir, CurrentEpochFile, tmp); err != nil {
			return Epochs{}, err
		}
		current = tmp
	}
	accepted, err := readOrCreateEpoch(fs, dir, AcceptedEpochFile, zxidEpoch)
	if err != nil {
		return Epochs{}, err
	}
	if accepted < current {
		return Epochs{}, walErr("the accepted epoch, %#x, is less than the current epoch, %#x", accepted, current)
	}
	return Epochs{Accepted: accepted, Current: current}, nil
}

func readOrCreateEpoch(fs FS, dir, name string, fallback int64) (int64, error) {
	v, exists, err := ReadEpoch(fs, dir, name)
	if err != nil || exists {
		return v, err
	}
	return fallback, WriteEpoch(fs, dir, name, fallback)
}
