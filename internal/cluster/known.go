package cluster

import (
	"fmt"
	"path"
	"strings"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/sim"
)

// Known names a weakness of real ZooKeeper 3.8 that a failure reproduces: an issue id
// (or a reference section) and one line saying what happened.
type Known struct {
	ID          string
	Explanation string
	// lostAtNs is when the power loss that took the server's durable state happened
	// (for the weaknesses that lose state): ExplainRun counts failures from then on as
	// its consequences.
	lostAtNs int64
}

// Refusal is a server that would not start after a restart (the recovery error ZooKeeper
// exits with), at virtual time AtNs.
type Refusal struct {
	Server int64
	AtNs   int64
	Err    string
	// crashes is how many power losses the server's host had had by then (the harness
	// cuts the power of a host that refused right after, at the same instant).
	crashes int
	// since is how many it had had at its last successful start: only the power losses
	// after it can explain the refusal (the server started from the disk they left).
	since int
	// files are the paths on the server's disk when it refused: the disk it refused
	// to start from (the power cut that follows may undo names on it).
	files []string
}

// Refusals lists the restarts whose recovery failed, in order.
func (c *Cluster) Refusals() []Refusal { return append([]Refusal(nil), c.refusals...) }

// Known ZooKeeper 3.8 weaknesses the simulated disk reproduces.
const (
	// KnownEpochRename: acceptedEpoch/currentEpoch are written tmp + fsync + rename and the
	// directory is never fsynced (AtomicFileOutputStream; reference §3), so a power loss
	// can revert the rename after the server acted on the new value.
	KnownEpochRename = "ZK-1653 class (epoch file rename not durable)"
	// KnownSyncSnapshotBeforeEpoch: a learner writes its sync snapshot (or log) of the new
	// epoch before currentEpoch; a power loss in between leaves a disk 3.8 refuses to start
	// from (reference §3 and §11, ZK-1653; the currentEpoch.tmp fallback needs the tmp file).
	KnownSyncSnapshotBeforeEpoch = "ZK-1653 (new-epoch data on disk before currentEpoch)"
	// KnownTruncNotSynced: FileTxnLog.truncate only sets the file length, never fsyncs
	// (reference §8), so a power loss can bring truncated txns back.
	KnownTruncNotSynced = "ZK reference §8 (TRUNC not fsynced)"
	// KnownLogCreateNotDurable: ZooKeeper never fsyncs the log directory after creating a
	// log file (reference §8); on a disk where only a directory fsync makes a new name
	// durable (strict POSIX), a power loss removes the file with every txn in it.
	KnownLogCreateNotDurable = "ZK reference §8 (new log file, directory never fsynced)"
	// KnownFailedFsync: an fsync of the log failed (EIO); Linux marks the unwritten pages
	// clean, ZooKeeper exits, and after a power loss the log's committed size covers data
	// that never reached the disk, which 3.8 cannot read at startup.
	KnownFailedFsync = "fsync EIO data loss (Linux clean-after-error; ZooKeeper exits)"
	// KnownTornLog: page writes of the log reached the disk out of order, so a record's
	// end persisted while its middle did not; 3.8 fails the CRC check at startup.
	KnownTornLog = "ZOOKEEPER-2560/2561 (torn log record)"
)

// ExplainFailure returns the known weakness behind a checker failure, decided from what
// the power losses of the failure's servers undid on their disks before it was seen.
func (c *Cluster) ExplainFailure(f checker.Failure) (Known, bool) {
	for _, sid := range f.Servers {
		if c.bySID[int64(sid)] == nil {
			continue
		}
		reps := c.crashesBefore(int64(sid), f.At)
		if f.At > 0 {
			// The regression shows at the first start after the power losses: those
			// since the start before it (a refused restart is no start).
			reps = c.nodeOf(sid).sinceStartBefore(reps, f.At)
		}
		if k, ok := c.nodeOf(sid).staleReloadBefore(f); ok {
			return k, true
		}
		if f.Invariant == checker.InvOneLeaderPerEpoch {
			break // below: the epoch went back on a server in the second quorum
		}
		if f.Invariant == checker.InvEpochMonotonic {
			named := func(file string) bool { return strings.Contains(f.Explanation, file) }
			if k, ok := epochRenameUndone(int64(sid), reps, named); ok {
				return k, true
			}
			continue
		}
		if k, ok := logChangeUndone(int64(sid), reps); ok {
			return k, true
		}
		if k, ok := failedSyncLost(int64(sid), reps); ok {
			return k, true
		}
	}
	if f.Invariant == checker.InvOneLeaderPerEpoch {
		return c.acceptedEpochWentBack(f)
	}
	return Known{}, false
}

// acceptedEpochWentBack explains a second leader established in an epoch E at virtual
// time atNs as ZooKeeper's: its discovery counts only learners whose acceptedEpoch was
// below E, so a quorum wrote acceptedEpoch = E afresh for it (from the leader's own write
// to the establishment), and that quorum meets the first leader's in a server that had
// accepted E before, lost that rename in a power loss and accepted E again.
func (c *Cluster) acceptedEpochWentBack(f checker.Failure) (Known, bool) {
	epoch, ok := c.epochEstablishedAt(f)
	if !ok {
		return Known{}, false
	}
	discoveryAt, ok := c.node(int64(f.Servers[1])).lastAcceptedWrite(epoch, f.At)
	if !ok {
		return Known{}, false
	}
	var fresh []int64
	for _, sid := range c.ServerIDs() {
		if c.node(sid).acceptedEpochWritten(epoch, discoveryAt-1, f.At) {
			fresh = append(fresh, sid)
		}
	}
	if len(fresh) <= len(c.ServerIDs())/2 {
		return Known{}, false // learners already in E were counted: not ZooKeeper's rule
	}
	isAccepted := func(file string) bool { return file == "acceptedEpoch" }
	for _, sid := range fresh {
		for _, rep := range c.crashesBefore(sid, discoveryAt) {
			if !c.node(sid).acceptedEpochWritten(epoch, -1, int64(rep.At)) {
				continue
			}
			if k, ok := epochRenameUndone(sid, []sim.CrashReport{rep}, isAccepted); ok {
				k.Explanation += fmt.Sprintf("; it accepted epoch %d a second time", epoch)
				return k, true
			}
		}
	}
	return Known{}, false
}

// epochEstablishedAt returns the epoch in which a one-leader-per-epoch failure's second
// leader was established.
func (c *Cluster) epochEstablishedAt(f checker.Failure) (int64, bool) {
	if len(f.Servers) != 2 {
		return 0, false
	}
	for _, e := range c.established {
		if e.AtNs == f.At && e.Leader == int64(f.Servers[1]) {
			return e.Epoch, true
		}
	}
	return 0, false
}

// ExplainRefusal returns the known weakness behind a server refusing to start.
func (c *Cluster) ExplainRefusal(r Refusal) (Known, bool) {
	reps := c.CrashReports(r.Server)[r.since:r.crashes]
	switch {
	case strings.Contains(r.Err, "is older than the last zxid") || strings.Contains(r.Err, "accepted epoch"):
		if k, ok := epochRenameUndone(r.Server, reps, func(string) bool { return true }); ok {
			return k, true
		}
		// ZooKeeper persists a learner's sync state at NEWLEADER before it writes
		// currentEpoch; a server that goes down in between, by power loss or exit (a
		// failed write), leaves exactly this disk.
		return c.newEpochDataBehind(r)
	case strings.Contains(r.Err, "epochs:") && strings.Contains(r.Err, "Epoch.tmp"):
		// ZooKeeper writes an epoch file at startup only when it is missing; a power
		// loss that undid its rename took it, and the rewrite failed (a disk fault).
		named := func(file string) bool { return strings.Contains(r.Err, file+".tmp") }
		if k, ok := epochRenameUndone(r.Server, reps, named); ok {
			k.Explanation += "; at restart ZooKeeper wrote the missing file again and that write failed"
			return k, true
		}
		return Known{}, false
	}
	for _, rep := range reps {
		for _, name := range rep.FailedSync {
			if isLogFile(name) && strings.Contains(r.Err, name) {
				return Known{ID: KnownFailedFsync, Explanation: fmt.Sprintf(
					"an fsync of %s on server %d had failed (EIO), so its written data never reached the disk; after the power loss at %v the log does not read back",
					name, r.Server, rep.At)}, true
			}
		}
		for _, name := range rep.Torn {
			if isLogFile(name) && rep.Model != sim.DiskOrdered {
				return Known{ID: KnownTornLog, Explanation: fmt.Sprintf(
					"server %d lost power at %v while %s had unsynced writes; the %s disk kept them out of order and the log no longer reads back",
					r.Server, rep.At, name, rep.Model)}, true
			}
		}
	}
	return Known{}, false
}

// snapshotFile finds the snapshot named zxid on the disk the server refused to start
// from.
func (r Refusal) snapshotFile(zxid int64) (string, bool) {
	want := fmt.Sprintf("snapshot.%x", zxid)
	for _, f := range r.files {
		if path.Base(f) == want {
			return f, true
		}
	}
	return "", false
}

// crashesBefore returns sid's crash reports up to virtual time at (all when at <= 0).
func (c *Cluster) crashesBefore(sid int64, at int64) []sim.CrashReport {
	var out []sim.CrashReport
	for _, rep := range c.CrashReports(sid) {
		if at <= 0 || int64(rep.At) <= at {
			out = append(out, rep)
		}
	}
	return out
}

func isEpochFile(p string) bool {
	base := path.Base(p)
	return base == "acceptedEpoch" || base == "currentEpoch"
}

func isLogFile(p string) bool { return strings.HasPrefix(path.Base(p), "log.") }

// epochRenameUndone finds, newest crash first, an undone rename of an epoch file that
// want accepts (by base name).
func epochRenameUndone(sid int64, reps []sim.CrashReport, want func(file string) bool) (Known, bool) {
	for i := len(reps) - 1; i >= 0; i-- {
		for _, u := range reps[i].UndoneNames {
			if u.Op == "rename" && isEpochFile(u.NewPath) && want(path.Base(u.NewPath)) {
				return Known{ID: KnownEpochRename, lostAtNs: int64(reps[i].At), Explanation: fmt.Sprintf(
					"server %d lost power at %v before the rename of %s (tmp + fsync + rename, directory never fsynced) was durable; the older value came back",
					sid, reps[i].At, u.NewPath)}, true
			}
		}
	}
	return Known{}, false
}

// logChangeUndone finds, newest crash first, a change to the log files that the crash
// reverted and ZooKeeper never makes durable: a new log file's name, a TRUNC's cut or its
// removal of later log files.
func logChangeUndone(sid int64, reps []sim.CrashReport) (Known, bool) {
	for i := len(reps) - 1; i >= 0; i-- {
		for _, u := range reps[i].UndoneNames {
			if u.Op == "create" && isLogFile(u.Path) {
				return Known{ID: KnownLogCreateNotDurable, lostAtNs: int64(reps[i].At), Explanation: fmt.Sprintf(
					"server %d lost power at %v before the name of its new log file %s was durable (the directory is never fsynced); the file and its txns are gone",
					sid, reps[i].At, u.Path)}, true
			}
			if u.Op == "remove" && isLogFile(u.Path) {
				return Known{ID: KnownTruncNotSynced, lostAtNs: int64(reps[i].At), Explanation: fmt.Sprintf(
					"server %d lost power at %v before the removal of %s (TRUNC deletes later log files, directory never fsynced) was durable; its txns came back",
					sid, reps[i].At, u.Path)}, true
			}
		}
		for _, sc := range reps[i].SizeChanges {
			if isLogFile(sc.Path) && sc.After > sc.Before {
				return Known{ID: KnownTruncNotSynced, lostAtNs: int64(reps[i].At), Explanation: fmt.Sprintf(
					"server %d lost power at %v before the truncation of %s (%d bytes, back to %d) was durable; truncated txns came back",
					sid, reps[i].At, sc.Path, sc.Before, sc.After)}, true
			}
		}
	}
	return Known{}, false
}

// failedSyncLost finds, newest crash first, log data a crash lost because its fsync had
// failed (EIO marks the pages clean unwritten): ZooKeeper exited, but a restart before
// the power loss read the data back from the page cache and acted on it, so the loss
// leaves a hole in the log that 3.8's replay does not notice (reference §11, ZK-4882).
func failedSyncLost(sid int64, reps []sim.CrashReport) (Known, bool) {
	for i := len(reps) - 1; i >= 0; i-- {
		for _, name := range reps[i].FailedSync {
			if isLogFile(name) {
				return Known{ID: KnownFailedFsync, lostAtNs: int64(reps[i].At), Explanation: fmt.Sprintf(
					"an fsync of %s on server %d had failed (EIO), so its written data never reached the disk; the power loss at %v took those txns from its log",
					name, sid, reps[i].At)}, true
			}
		}
	}
	return Known{}, false
}

// ExplainRun returns the known weakness that accounts for everything that went wrong in
// a run: every harness error is a refusal to start that ExplainRefusal explains, and
// every checker failure is explained by ExplainFailure, or is a liveness failure that an
// explained refusal accounts for (a server that will not start cannot converge), or is a
// replication failure seen after a server lost durable state for a known reason (an
// epoch that went back, a log file or truncation a power loss undid, log data a failed
// fsync never wrote): what such a loss leads to — a txn committed by a quorum that then
// forgot it, diverging txns. (A second leader of one epoch must be explained by
// ExplainFailure itself: a server that lost its acceptedEpoch and started again.) ok is false when nothing went wrong or anything is left
// unexplained. (A run labelled so can hide a second, independent bug; the label names
// the first cause only.)
func (c *Cluster) ExplainRun(rep checker.Report) (k Known, ok bool) {
	refused := 0
	for _, r := range c.refusals {
		rk, ok := c.ExplainRefusal(r)
		if !ok {
			return Known{}, false
		}
		if refused == 0 {
			k = rk
		}
		refused++
	}
	if len(c.errors) != refused {
		return Known{}, false // an error that is not a refusal
	}
	lossAt := int64(-1) // the power loss in which a server first lost durable state for a known reason
	explained := make([]bool, len(rep.Failures))
	for i, f := range rep.Failures {
		fk, ok := c.ExplainFailure(f)
		if !ok {
			continue
		}
		explained[i] = true
		if k.ID == "" {
			k = fk
		}
		if losesState(fk.ID) && fk.lostAtNs > 0 && (lossAt < 0 || fk.lostAtNs < lossAt) {
			lossAt = fk.lostAtNs
		}
	}
	for i, f := range rep.Failures {
		switch {
		case explained[i]:
		case refused > 0 && followsFromRefusal(f.Invariant):
		case lossAt >= 0 && followsFromLoss(f, lossAt):
		default:
			return Known{}, false
		}
	}
	return k, k.ID != ""
}

// losesState: the known weaknesses in which a server forgets durable state it had acted
// on.
func losesState(id string) bool {
	return id == KnownEpochRename || id == KnownLogCreateNotDurable || id == KnownTruncNotSynced ||
		id == KnownFailedFsync
}

// followsFromLoss: a replication or liveness failure seen after a server lost durable
// state (final-state checks, At 0, count as after). The epoch checks are not among them:
// only a server's own epoch file going back breaks them, and ExplainFailure must show
// which (a lost log or truncation never gives a leader an epoch twice).
func followsFromLoss(f checker.Failure, lossAt int64) bool {
	switch f.Invariant {
	case checker.InvSameTxnAtZxid, checker.InvCommittedPrefix, checker.InvLostWrite, checker.InvDigest:
	default:
		if !strings.HasPrefix(f.Invariant, "liveness") {
			return false
		}
	}
	return f.At == 0 || f.At >= lossAt
}

// followsFromRefusal: the failures a server that will not start causes by itself (the
// run's crash verdict for the refusal, and no convergence or progress after it).
func followsFromRefusal(inv string) bool {
	return strings.HasPrefix(inv, "liveness") || inv == checker.InvCrash
}
