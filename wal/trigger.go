package wal

import "math/rand/v2"

// DefaultSnapCount is zookeeper.snapCount's default.
const DefaultSnapCount = 100000

// DefaultSnapSizeLimitKB is zookeeper.snapSizeLimitInKb's default (4 GiB).
const DefaultSnapSizeLimitKB = 4 * 1024 * 1024

// SnapTrigger decides when SyncRequestProcessor rolls the log and snapshots: after more
// than snapCount/2 + randRoll txns, or more than snapSize/2 + randSize bytes of log, since
// the last snapshot, where randRoll is uniform in [0, snapCount/2) and randSize in
// [0, snapSize/2), both drawn again after each snapshot from the server's own random
// stream.
type SnapTrigger struct {
	snapCount     int
	snapSizeBytes int64
	randRoll      int
	randSize      int64
	txns          int
}

// NewSnapTrigger returns a trigger with its first random draw made from rng. snapCount
// below 2 is raised to 2 (ZooKeeper's minimum); snapSizeLimitKB <= 0 disables the size rule.
func NewSnapTrigger(snapCount int, snapSizeLimitKB int64, rng *rand.Rand) *SnapTrigger {
	t := &SnapTrigger{snapCount: max(snapCount, 2), snapSizeBytes: snapSizeLimitKB * 1024}
	t.Reset(rng)
	return t
}

// Logged counts one appended txn and, given the bytes of log written since the last
// snapshot (Log.TotalLogSize), says whether to roll and snapshot now. The caller then calls
// Reset, rolls the log, and snapshots.
func (t *SnapTrigger) Logged(logSizeBytes int64) bool {
	t.txns++
	if t.txns > t.snapCount/2+t.randRoll {
		return true
	}
	return t.snapSizeBytes > 0 && logSizeBytes > t.snapSizeBytes/2+t.randSize
}

// Reset redraws the random offsets and restarts the txn count.
func (t *SnapTrigger) Reset(rng *rand.Rand) {
	t.randRoll = rng.IntN(t.snapCount / 2)
	if t.snapSizeBytes > 1 {
		t.randSize = rng.Int64N(t.snapSizeBytes / 2)
	}
	t.txns = 0
}

// Threshold returns the txn count the current draw fires above (snapCount/2 + randRoll).
func (t *SnapTrigger) Threshold() int { return t.snapCount/2 + t.randRoll }
