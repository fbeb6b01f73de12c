package cluster

import (
	"testing"

	"github.com/zabsim/zabsim/sim"
)

// A crash explains a failure as fsync-EIO data loss only when it lost data of a log file
// whose fsync had failed, and only the crashes given count.
func TestFailedSyncLostNeedsALostLogFile(t *testing.T) {
	lostLog := sim.CrashReport{At: 10, FailedSync: []string{"data/version-2/log.200000001"}}
	lostSnap := sim.CrashReport{At: 20, FailedSync: []string{"data/version-2/snapshot.200000003"}}
	if k, ok := failedSyncLost(2, []sim.CrashReport{lostLog}); !ok || k.ID != KnownFailedFsync {
		t.Errorf("a crash that lost a failed-fsync log: %+v, %v; want %s", k, ok, KnownFailedFsync)
	}
	if k, ok := failedSyncLost(2, []sim.CrashReport{lostSnap}); ok {
		t.Errorf("a crash that lost only snapshot data was labelled %+v", k)
	}
	if k, ok := failedSyncLost(2, []sim.CrashReport{{At: 30}}); ok {
		t.Errorf("a crash that lost nothing was labelled %+v", k)
	}
}
