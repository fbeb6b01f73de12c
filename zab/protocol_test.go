package zab

import (
	"testing"
)

const tickNs = 2000 * msNs

func (w *tworld) startAll() {
	for _, id := range []int64{1, 2, 3} {
		if _, ok := w.disks[id]; ok {
			w.start(id)
		}
	}
}

func TestEmptyEnsembleElectsAndSyncsWithEmptyDiff(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatalf("ensemble did not start serving\n%s", w.dump())
	}
	l := w.leader()
	st := w.servers[l].Status()
	if st.CurrentEpoch != 1 || st.AcceptedEpoch != 1 {
		t.Errorf("leader epochs = %d/%d, want 1/1", st.AcceptedEpoch, st.CurrentEpoch)
	}
	for _, id := range w.ids() {
		if id == l {
			continue
		}
		var modes []SyncMode
		for _, e := range w.effects[id] {
			if s, ok := e.(Synced); ok {
				modes = append(modes, s.Mode)
			}
		}
		if len(modes) != 1 || modes[0] != SyncDiff {
			t.Errorf("follower %d sync modes %v, want [DIFF]", id, modes)
		}
		if d := w.disks[id]; d.currentEpoch != 1 || d.acceptedEpoch != 1 {
			t.Errorf("follower %d durable epochs %d/%d, want 1/1", id, d.acceptedEpoch, d.currentEpoch)
		}
	}
}
