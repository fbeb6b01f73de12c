package scenarios

import (
	"strings"
	"testing"
	"time"
)

// Swarm3 seed 17 with its follower 2 powered off at 3.067s: servers 1 and 3, a quorum with
// the same vote, must elect soon after they go LOOKING. They stayed LOOKING from about
// 22 s until the liveness phase healed everything at 60 s, because every notification to
// the powered-off server held the election's sender for the 5 s connect timeout and the
// votes to each other (and to themselves) queued behind those dials. ZooKeeper 3.8 dials
// asynchronously (ZOOKEEPER-3756), so one unreachable peer delays nothing else.
func TestElectionNotStalledByPoweredOffPeer(t *testing.T) {
	sc, err := Lookup("swarm3")
	if err != nil {
		t.Fatal(err)
	}
	o := sc.Options(17)
	o.Schedule, err = ParseSchedule(strings.NewReader("at 3.067s crash 2\n"), "h13")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(o, SimBackend(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != OK {
		t.Fatalf("verdict %s %v: %s\n%s", res.Verdict, res.Failed, res.Explanation, res.TimelineString())
	}
	// The bound: the crashed peer's connection breaks within 2 s, one 5 s connect timeout
	// of a dial to it, finalizeWait, and initLimit (2.5 s) for the sync; 10 s covers them.
	// Before the fix the leaderless interval after the crash lasted 56 s.
	const boundLeaderless = 10 * time.Second
	if len(res.Elections) < 2 {
		t.Fatalf("elections %v: want the first one and at least one after the crash\n%s", res.Elections, res.TimelineString())
	}
	for i, took := range res.Elections[1:] {
		if took > boundLeaderless {
			t.Errorf("leaderless interval %d lasted %v, want at most %v\n%s", i+1, took, boundLeaderless, res.TimelineString())
		}
	}
}
