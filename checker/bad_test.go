package checker

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// Each known-bad history is paired with its corrected twin, which must pass: the test
// then shows that the checker tells the two apart, not merely that it complains.

func TestLostAcknowledgedWrite(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindSetData, "/t/k").data("a").at(30, 40).ok(zx(1, 3)).stat(Stat{Mzxid: zx(1, 3), Version: 1, DataLength: 1}),
		mk(2, KindSetData, "/t/k").data("b").at(50, 60).ok(zx(1, 4)).stat(Stat{Mzxid: zx(1, 4), Version: 2, DataLength: 1}),
	)
	good := []FinalServer{{Server: 1, Zxids: []int64{zx(1, 1), zx(1, 2), zx(1, 3), zx(1, 4)}}}
	expectOK(t, Input{History: hist(ops...), Final: good})
	// Server 2 ended in epoch 2 without zxid 1:3 (an ACK before fsync, then a crash).
	lost := append(good, FinalServer{Server: 2, Zxids: []int64{zx(1, 1), zx(1, 2), zx(1, 4), zx(2, 1)}})
	rep := expectFailure(t, Input{History: hist(ops...), Final: lost}, InvLostWrite)
	if f := rep.Failures[0]; f.Zxid != zx(1, 3) || f.Ops[0] != 2 {
		t.Fatalf("failure names the wrong write: %+v", f)
	}
	// Writes older than a final log's first entry may be in a snapshot: not judged.
	snap := []FinalServer{{Server: 1, Zxids: []int64{zx(1, 4), zx(2, 1)}}}
	expectOK(t, Input{History: hist(ops...), Final: snap})
	// No server ever committed the last write (the replica checker saw every commit).
	r := NewReplicas()
	for _, z := range []int64{zx(1, 1), zx(1, 2), zx(1, 3)} {
		r.Committed(1, z, nil, 0, false, 70)
	}
	expectFailure(t, Input{History: hist(ops...), Replicas: r}, InvLostWrite)
	r.Committed(1, zx(1, 4), nil, 0, false, 80)
	expectOK(t, Input{History: hist(ops...), Replicas: r})
}

func TestStaleReadGoingBackwardsInSession(t *testing.T) {
	read := func(zxid int64, data string, mzxid int64) *ob {
		return mk(3, KindGetData, "/t/k").got(data, Stat{Mzxid: mzxid, Czxid: zx(1, 2), Version: int32(len(data)), DataLength: int32(len(data))})
	}
	ops := append(setupRoot(),
		mk(2, KindSetData, "/t/k").data("a").at(30, 40).ok(zx(1, 3)).stat(Stat{Mzxid: zx(1, 3), Czxid: zx(1, 2), Version: 1, DataLength: 1}),
		read(zx(1, 3), "a", zx(1, 3)).at(50, 60).ok(zx(1, 3)),
		// A stale follower read of the old value is legal...
		mk(4, KindGetData, "/t/k").at(70, 80).ok(zx(1, 2)).got("", Stat{Mzxid: zx(1, 2), Czxid: zx(1, 2)}),
	)
	expectOK(t, Input{History: hist(ops...)})
	// ...but not by the session that already saw zxid 1:3, even after a reconnect.
	bad := append(ops, read(zx(1, 2), "", zx(1, 2)).at(90, 100).ok(zx(1, 2)))
	bad[len(bad)-1].o.Server = 2
	expectFailure(t, Input{History: hist(bad...)}, InvMonotonicSession)
}

func TestReadYourWrites(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindSetData, "/t/k").data("a").at(30, 40).ok(zx(1, 3)).stat(Stat{Mzxid: zx(1, 3), Version: 1, DataLength: 1}),
	)
	// The same session reads the old value afterwards, from a server behind its write.
	bad := append(ops, mk(2, KindGetData, "/t/k").at(50, 60).ok(zx(1, 2)).got("", Stat{Mzxid: zx(1, 2), Czxid: zx(1, 2)}))
	rep := Check(Input{History: hist(bad...)})
	if !rep.Has(InvReadYourWrites) && !rep.Has(InvMonotonicSession) {
		t.Fatalf("want a session failure, got:\n%s", rep.String())
	}
	// If the write's outcome was unknown (connection lost), the read is legal.
	unknown := append(setupRoot(), mk(2, KindSetData, "/t/k").data("a").at(30, 0).unknown(UnknownConnectionLoss),
		mk(2, KindGetData, "/t/k").at(50, 60).ok(zx(1, 2)).got("", Stat{Mzxid: zx(1, 2), Czxid: zx(1, 2)}))
	expectOK(t, Input{History: hist(unknown...)})
}

// twoLeaders feeds a replica checker two servers that each believe they lead epoch 1
// and commit different txns at the same zxid.
func TestTwoLeadersCommittingInOneEpoch(t *testing.T) {
	r := NewReplicas()
	r.LeaderEstablished(1, 1, 100)
	r.Committed(1, zx(1, 1), []byte("create /a"), 11, true, 110)
	r.LeaderEstablished(2, 1, 120)
	r.Committed(2, zx(1, 1), []byte("create /b"), 12, true, 130)
	rep := expectFailure(t, Input{Replicas: r}, InvOneLeaderPerEpoch)
	for _, inv := range []string{InvSameTxnAtZxid, InvDigest} {
		if !rep.Has(inv) {
			t.Errorf("also want %s, got:\n%s", inv, rep.String())
		}
	}
	// A new leader in a new epoch is fine.
	ok := NewReplicas()
	ok.LeaderEstablished(1, 1, 100)
	ok.Committed(1, zx(1, 1), []byte("create /a"), 11, true, 110)
	ok.LeaderEstablished(2, 2, 120)
	ok.Committed(2, zx(1, 1), []byte("create /a"), 11, true, 125)
	ok.Committed(2, zx(2, 1), []byte("create /b"), 12, true, 130)
	expectOK(t, Input{Replicas: ok})
}

func TestDivergentTxnsAtOneZxid(t *testing.T) {
	r := NewReplicas()
	r.Logged(1, zx(1, 5), []byte{1, 2, 3}, 10)
	r.Logged(2, zx(1, 5), []byte{1, 2, 3}, 11)
	expectOK(t, Input{Replicas: r})
	r.Logged(3, zx(1, 5), []byte{1, 2, 4}, 12)
	rep := expectFailure(t, Input{Replicas: r}, InvSameTxnAtZxid)
	if f := rep.Failures[0]; f.Zxid != zx(1, 5) || f.Servers[1] != 3 {
		t.Fatalf("failure names the wrong place: %+v", f)
	}
}

func TestWrongSequentialSuffix(t *testing.T) {
	seq := func(s int64, call, ret int64, name string, z int64) *ob {
		return mk(s, KindCreate, "/t/k/q-").flags(clientproto.FlagPersistentSequential).at(call, ret).ok(z).created(name)
	}
	good := append(setupRoot(),
		seq(2, 30, 40, "/t/k/q-0000000000", zx(1, 3)),
		seq(3, 50, 60, "/t/k/q-0000000001", zx(1, 4)),
	)
	expectOK(t, Input{History: hist(good...)})
	// The second create, strictly after the first, got the same suffix.
	dup := append(setupRoot(),
		seq(2, 30, 40, "/t/k/q-0000000000", zx(1, 3)),
		seq(3, 50, 60, "/t/k/q-0000000000", zx(1, 4)),
	)
	expectFailure(t, Input{History: hist(dup...)}, InvLinearizable)
	// A suffix that is not ten digits.
	short := append(setupRoot(), seq(2, 30, 40, "/t/k/q-1", zx(1, 3)))
	expectFailure(t, Input{History: hist(short...)}, InvLinearizable)
	// A suffix going down in real time.
	down := append(setupRoot(),
		seq(2, 30, 40, "/t/k/q-0000000005", zx(1, 3)),
		seq(3, 50, 60, "/t/k/q-0000000004", zx(1, 4)),
	)
	expectFailure(t, Input{History: hist(down...)}, InvLinearizable)
}

func TestWrongStatVersion(t *testing.T) {
	set := func(s int64, call, ret int64, data string, z int64, version int32) *ob {
		return mk(s, KindSetData, "/t/k").data(data).at(call, ret).ok(z).
			stat(Stat{Mzxid: z, Version: version, DataLength: int32(len(data))})
	}
	good := append(setupRoot(), set(2, 30, 40, "a", zx(1, 3), 1), set(3, 50, 60, "bb", zx(1, 4), 2))
	expectOK(t, Input{History: hist(good...)})
	bad := append(setupRoot(), set(2, 30, 40, "a", zx(1, 3), 1), set(3, 50, 60, "bb", zx(1, 4), 3))
	rep := expectFailure(t, Input{History: hist(bad...)}, InvLinearizable)
	if !strings.Contains(rep.Failures[0].Explanation, "the model answers #3 with ok, version 2") {
		t.Fatalf("explanation does not say what op #3 should have answered: %s", rep.Failures[0].Explanation)
	}
}

func TestLostUpdateWithVersions(t *testing.T) {
	// Two conditional setData on version 0 cannot both succeed.
	ops := append(setupRoot(),
		mk(2, KindSetData, "/t/k").data("a").ver(0).at(30, 40).ok(zx(1, 3)),
		mk(3, KindSetData, "/t/k").data("b").ver(0).at(35, 45).ok(zx(1, 4)),
	)
	expectFailure(t, Input{History: hist(ops...)}, InvLinearizable)
	ops[3] = mk(3, KindSetData, "/t/k").data("b").ver(0).at(35, 45).fail(clientproto.ErrBadVersion, zx(1, 4))
	expectOK(t, Input{History: hist(ops...)})
}

func TestReadFromTheFuture(t *testing.T) {
	ops := append(setupRoot(),
		mk(3, KindGetData, "/t/k").at(30, 40).ok(zx(1, 3)).got("x", Stat{Mzxid: zx(1, 3), Czxid: zx(1, 2), Version: 1, DataLength: 1}),
		mk(2, KindSetData, "/t/k").data("x").at(50, 60).ok(zx(1, 3)),
	)
	expectFailure(t, Input{History: hist(ops...)}, InvNoFutureReads)
}

func TestReadIsSnapshotAtReplyZxid(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindSetData, "/t/k").data("a").at(30, 40).ok(zx(1, 3)),
		mk(2, KindSetData, "/t/k").data("b").at(50, 60).ok(zx(1, 4)),
	)
	// At zxid 1:4 the value must be "b"; the server answers "a" with reply zxid 1:4.
	bad := append(ops, mk(3, KindGetData, "/t/k").at(70, 80).ok(zx(1, 4)).got("a", Stat{Mzxid: zx(1, 3), Czxid: zx(1, 2), Version: 1, DataLength: 1}))
	expectFailure(t, Input{History: hist(bad...)}, InvReadSnapshot)
	// Wrong value for its mzxid.
	wrong := append(ops, mk(3, KindGetData, "/t/k").at(70, 80).ok(zx(1, 3)).got("b", Stat{Mzxid: zx(1, 3), Czxid: zx(1, 2), Version: 1, DataLength: 1}))
	expectFailure(t, Input{History: hist(wrong...)}, InvReadSnapshot)
	// A missing child and a NoNode for a node that exists.
	kids := append(ops, mk(1, KindCreate, "/t/k/c").at(90, 95).ok(zx(1, 5)),
		mk(3, KindGetChildren, "/t/k").at(100, 110).ok(zx(1, 5)).kids())
	expectFailure(t, Input{History: hist(kids...)}, InvReadSnapshot)
	none := append(ops, mk(1, KindCreate, "/t/k/c").at(90, 95).ok(zx(1, 5)),
		mk(3, KindExists, "/t/k/c").at(100, 110).fail(clientproto.ErrNoNode, zx(1, 5)))
	expectFailure(t, Input{History: hist(none...)}, InvReadSnapshot)
	// The legal versions of the same reads.
	fine := append(ops, mk(1, KindCreate, "/t/k/c").at(90, 95).ok(zx(1, 5)),
		mk(3, KindGetChildren, "/t/k").at(100, 110).ok(zx(1, 5)).kids("c"),
		mk(4, KindExists, "/t/k/c").at(100, 110).fail(clientproto.ErrNoNode, zx(1, 4)),
		mk(5, KindGetData, "/t/k").at(70, 80).ok(zx(1, 3)).got("a", Stat{Mzxid: zx(1, 3), Czxid: zx(1, 2), Version: 1, DataLength: 1}))
	expectOK(t, Input{History: hist(fine...)})
}

func TestWriteZxidOrder(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindCreate, "/t/k/a").at(30, 40).ok(zx(1, 4)),
		mk(3, KindCreate, "/t/k/b").at(50, 60).ok(zx(1, 3)),
	)
	expectFailure(t, Input{History: hist(ops...)}, InvZxidRealTime)
	dup := append(setupRoot(),
		mk(2, KindCreate, "/t/k/a").at(30, 40).ok(zx(1, 3)),
		mk(3, KindCreate, "/t/k/b").at(35, 60).ok(zx(1, 3)),
	)
	expectFailure(t, Input{History: hist(dup...)}, InvUniqueZxid)
}

func TestMultiIsAtomic(t *testing.T) {
	multi := mk(2, KindMulti, "").at(30, 40).subs(
		SubOp{Kind: KindCreate, Path: "/t/k/a", Data: []byte("1")},
		SubOp{Kind: KindSetData, Path: "/t/k/missing", Data: []byte("2"), Version: -1},
	).fail(clientproto.ErrNoNode, zx(1, 3)).results(SubResult{Err: 0}, SubResult{Err: clientproto.ErrNoNode})
	// The failed multi must not have created /t/k/a: a later create of it succeeds.
	good := append(setupRoot(), multi, mk(3, KindCreate, "/t/k/a").at(50, 60).ok(zx(1, 4)))
	expectOK(t, Input{History: hist(good...)})
	bad := append(setupRoot(), multi, mk(3, KindCreate, "/t/k/a").at(50, 60).fail(clientproto.ErrNodeExists, zx(1, 4)))
	expectFailure(t, Input{History: hist(bad...)}, InvLinearizable)
}

func TestEphemeralOutlivesClosedSession(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindCreate, "/t/k/e").flags(clientproto.FlagEphemeral).at(30, 40).ok(zx(1, 3)),
		mk(2, KindCloseSession, "").at(50, 60).ok(zx(1, 4)),
	)
	good := append(ops, mk(3, KindCreate, "/t/k/e").at(70, 80).ok(zx(1, 5)))
	expectOK(t, Input{History: hist(good...)})
	bad := append(ops, mk(3, KindCreate, "/t/k/e").at(70, 80).fail(clientproto.ErrNodeExists, zx(1, 5)))
	expectFailure(t, Input{History: hist(bad...)}, InvLinearizable)
	// Replica view: a server still holding the ephemeral after the close committed.
	r := NewReplicas()
	r.SessionClosed(2, zx(1, 4))
	r.Ephemerals(1, zx(1, 3), []EphemeralNode{{Path: "/t/k/e", Owner: 2}}, 10)
	expectOK(t, Input{Replicas: r})
	r.Ephemerals(1, zx(1, 5), []EphemeralNode{{Path: "/t/k/e", Owner: 2}}, 20)
	expectFailure(t, Input{Replicas: r}, InvEphemeralOwner)
}

func TestCommittedPrefixAndDigests(t *testing.T) {
	r := NewReplicas()
	for s := 1; s <= 2; s++ {
		r.Committed(s, zx(1, 1), nil, 100, true, 10)
		r.Committed(s, zx(1, 2), nil, 200, true, 20)
	}
	expectOK(t, Input{Replicas: r})
	// Server 3 skips 1:2 (a follower that missed a txn).
	r.Committed(3, zx(1, 1), nil, 100, true, 30)
	r.Committed(3, zx(1, 3), nil, 300, true, 40)
	expectFailure(t, Input{Replicas: r}, InvCommittedPrefix)
	// A follower that kept a txn it should have truncated shows a different digest.
	d := NewReplicas()
	d.Committed(1, zx(2, 1), nil, 500, true, 10)
	d.Recovered(2, zx(2, 1), 999, true, 20)
	expectFailure(t, Input{Replicas: d}, InvDigest)
	// The later server learning of an earlier gap: server 1 has 1:1,1:3, then 2 commits 1:2.
	g := NewReplicas()
	g.Committed(1, zx(1, 1), nil, 0, false, 10)
	g.Committed(1, zx(1, 3), nil, 0, false, 20)
	g.Committed(2, zx(1, 1), nil, 0, false, 30)
	g.Committed(2, zx(1, 2), nil, 0, false, 40)
	expectFailure(t, Input{Replicas: g}, InvCommittedPrefix)
}

func TestEpochsMonotonic(t *testing.T) {
	r := NewReplicas()
	r.Epoch(1, AcceptedEpoch, 3, 10)
	r.Epoch(1, CurrentEpoch, 3, 20)
	expectOK(t, Input{Replicas: r})
	r.Epoch(1, AcceptedEpoch, 2, 30) // read back after a crash: the write was not durable
	expectFailure(t, Input{Replicas: r}, InvEpochMonotonic)
}

func TestLiveness(t *testing.T) {
	timing := Timing{TickTimeMs: 2000, InitLimit: 10, SyncLimit: 5}
	bound := int64(LivenessBound(timing))
	r := NewReplicas()
	r.LeaderEstablished(1, 1, 10)
	r.LeaderLost(1, 20)
	live := &Liveness{HealedAt: 100, EndAt: 100 + bound + 1, Timing: timing}
	expectFailure(t, Input{Replicas: r, Liveness: live}, InvLeaderElected)
	r.LeaderEstablished(2, 2, 200)
	r.Committed(1, zx(2, 1), nil, 7, true, 300)
	r.Committed(2, zx(2, 1), nil, 7, true, 300)
	expectOK(t, Input{Replicas: r, Liveness: live})
	r.Committed(2, zx(2, 2), nil, 8, true, 400)
	expectFailure(t, Input{Replicas: r, Liveness: live}, InvConverged)
	// A run that ends before the deadline cannot be judged.
	early := &Liveness{HealedAt: 100, EndAt: 200, Timing: timing}
	if rep := Check(Input{Replicas: NewReplicas(), Liveness: early}); rep.Verdict != VerdictInconclusive {
		t.Fatalf("want inconclusive, got %s", rep.String())
	}
	pending := hist(mk(2, KindGetData, "/t").at(50, 0).unknown(UnknownPending))
	expectFailure(t, Input{History: pending, Liveness: live}, InvOpsComplete)
	// A call invoked after healing that has not had the bound yet is not judged.
	recent := hist(mk(2, KindGetData, "/t").at(150, 0).unknown(UnknownPending))
	expectOK(t, Input{History: recent, Liveness: live})
}

func TestCrashVerdictWins(t *testing.T) {
	ops := append(setupRoot(), mk(2, KindCreate, "/t/k/a").at(30, 40).ok(zx(1, 4)),
		mk(3, KindCreate, "/t/k/b").at(50, 60).ok(zx(1, 3)))
	rep := Check(Input{History: hist(ops...), Crash: "server 2 panicked: boom"})
	if rep.Verdict != VerdictCrash || !rep.Has(InvZxidRealTime) {
		t.Fatalf("want crash verdict with the other failures kept, got:\n%s", rep.String())
	}
}

func TestMalformedHistoryIsReported(t *testing.T) {
	for name, o := range map[string]*ob{
		"bad kind":       mk(1, Kind(99), "/a").at(0, 1).ok(1),
		"bad outcome":    mk(1, KindGetData, "/a").at(0, 1),
		"return < call":  mk(1, KindGetData, "/a").at(5, 1).ok(1),
		"bad path":       mk(1, KindCreate, "a/b").at(0, 1).ok(1),
		"bad multi sub":  mk(1, KindMulti, "").subs(SubOp{Kind: KindGetData, Path: "/a"}).at(0, 1).ok(1),
		"close in multi": mk(1, KindMulti, "").subs(SubOp{Kind: KindCloseSession, Path: "/a"}).at(0, 1).ok(1),
		"multi results":  mk(1, KindMulti, "").subs(SubOp{Kind: KindCheck, Path: "/a"}).results(SubResult{}, SubResult{}).at(0, 1).ok(1),
		"relative path":  mk(1, KindSetData, "a/b").at(0, 1).ok(1),
	} {
		rep := Check(Input{History: hist(o)})
		if !rep.Has(InvHistoryWellFormed) {
			t.Errorf("%s: want %s, got:\n%s", name, InvHistoryWellFormed, rep.String())
		}
	}
}

func TestVisualizationWrittenWithAnnotations(t *testing.T) {
	dir := t.TempDir()
	ops := append(setupRoot(),
		mk(2, KindSetData, "/t/k").data("a").ver(0).at(30, 40).ok(zx(1, 3)),
		mk(3, KindSetData, "/t/k").data("b").ver(0).at(35, 45).ok(zx(1, 4)),
	)
	rep := Check(Input{History: hist(ops...), Options: Options{VisualizeDir: dir},
		Annotations: []Annotation{{Tag: "nemesis", Start: 25, End: 50, Description: "partition {1} | {2,3}"}}})
	if len(rep.Visualizations) != 1 {
		t.Fatalf("want one visualisation, got %v\n%s", rep.Visualizations, rep.String())
	}
	html, err := os.ReadFile(rep.Visualizations[0])
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(rep.Visualizations[0]) != dir || !strings.Contains(string(html), "partition {1} | {2,3}") {
		t.Fatalf("visualisation lacks the annotation")
	}
}

func TestReplicaOracleResolvesUnknownWrites(t *testing.T) {
	lost := mk(2, KindCreate, "/t/k/a").data("x").at(30, 0).unknown(UnknownConnectionLoss)
	lost.o.Xid = 9
	ops := append(setupRoot(), lost, mk(3, KindCreate, "/t/k/a").at(50, 60).fail(clientproto.ErrNodeExists, zx(1, 4)))
	// From the history alone, the lost create explains NodeExists.
	expectOK(t, Input{History: hist(ops...)})
	feed := func(logged, committed, errorTxn bool) *Replicas {
		r := NewReplicas()
		r.Committed(1, zx(1, 1), txnHeader(1, 1, zx(1, 1)), 0, false, 1)
		r.Committed(1, zx(1, 2), txnHeader(1, 2, zx(1, 2)), 0, false, 2)
		body := txnHeader(2, 9, zx(1, 3))
		if errorTxn {
			binary.BigEndian.PutUint32(body[28:], uint32(0xffffffff)) // TxnHeader.type -1
		}
		if logged {
			r.Logged(1, zx(1, 3), body, 3)
		}
		if committed {
			r.Committed(1, zx(1, 3), body, 0, false, 3)
		}
		r.Committed(1, zx(1, 4), txnHeader(3, 1, zx(1, 4)), 0, false, 4)
		return r
	}
	// Logged somewhere but not seen committed: it may still have taken effect.
	expectOK(t, Input{History: hist(ops...), Replicas: feed(true, false, false)})
	// No server ever logged it: it never happened, so NodeExists is a bug.
	expectFailure(t, Input{History: hist(ops...), Replicas: feed(false, false, false)}, InvLinearizable)
	// Committed at 1:3: placed there exactly.
	rep := expectOK(t, Input{History: hist(ops...), Replicas: feed(true, true, false)})
	// Committed as an error txn: it changed nothing, so NodeExists is again a bug.
	expectFailure(t, Input{History: hist(ops...), Replicas: feed(true, true, true)}, InvLinearizable)
	// A client that reused the xid makes the oracle's answer ambiguous: not used.
	reused := mk(2, KindGetData, "/nothing").at(20, 25).fail(clientproto.ErrNoNode, zx(1, 2))
	reused.o.Xid = 9
	expectOK(t, Input{History: hist(append(ops, reused)...), Replicas: feed(false, false, false)})
	if rep.Stats.ResolvedUnknown != 1 {
		t.Fatalf("want the unknown create placed by the oracle, got %+v", rep.Stats)
	}
}

// A server may answer a failed multi with header rc 0 and the codes in the results (the
// Java client then throws the first error); the checker reads it as a failed multi.
func TestFailedMultiWithOKHeader(t *testing.T) {
	multi := mk(2, KindMulti, "").at(30, 40).subs(
		SubOp{Kind: KindCreate, Path: "/t/k/a", Data: []byte("1")},
		SubOp{Kind: KindSetData, Path: "/t/k/missing", Data: []byte("2"), Version: -1},
	).ok(zx(1, 3)).results(SubResult{Err: 0}, SubResult{Err: clientproto.ErrNoNode})
	in := Input{History: hist(append(setupRoot(), multi, mk(3, KindCreate, "/t/k/a").at(50, 60).ok(zx(1, 4)))...)}
	expectOK(t, in)
	if in.History.Ops[2].Outcome != OutcomeOK {
		t.Fatal("Check modified the caller's history")
	}
}

// A partition Porcupine cannot finish within its budget is inconclusive: neither a pass
// nor a failure.
func TestBudgetExhaustedIsInconclusive(t *testing.T) {
	ops := setupRoot()
	for i := range 40 {
		ops = append(ops, mk(int64(10+i), KindSetData, "/t/k").data(fmt.Sprint(i)).at(int64(30+i), 0).unknown(UnknownTimeout))
	}
	// Version 100 after at most 40 writes: impossible, but only an exhaustive search knows.
	ops = append(ops, mk(2, KindSetData, "/t/k").data("last").ver(100).at(100, 110).ok(zx(1, 50)))
	rep := Check(Input{History: hist(ops...), Options: Options{PartitionBudget: 50 * time.Millisecond}})
	if rep.Verdict != VerdictInconclusive || len(rep.Inconclusive) != 1 || rep.Failed() {
		t.Fatalf("want inconclusive, got:\n%s", rep.String())
	}
	if !strings.Contains(rep.Inconclusive[0], "/t/k") {
		t.Fatalf("inconclusive note does not name the partition: %s", rep.Inconclusive[0])
	}
}

func TestSessionFIFO(t *testing.T) {
	// Pipelined writes of one session, both acknowledged, committed out of send order.
	ops := append(setupRoot(),
		mk(2, KindCreate, "/t/k/a").at(30, 60).ok(zx(1, 4)),
		mk(2, KindCreate, "/t/k/b").at(31, 50).ok(zx(1, 3)),
	)
	expectFailure(t, Input{History: hist(ops...)}, InvSessionFIFO)
	// In send order (replies then also come back in order): fine.
	ops[2].o.ReplyZxid, ops[3].o.ReplyZxid = zx(1, 3), zx(1, 4)
	ops[2].o.Return, ops[3].o.Return = 50, 60
	expectOK(t, Input{History: hist(ops...)})
}

// sync+read is not linearizable in ZooKeeper 3.8 (a deposed leader may answer the sync):
// a read after a sync that misses another client's acknowledged write must not be flagged.
func TestSyncThenStaleReadIsLegal(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindSetData, "/t/k").data("new").at(30, 40).ok(zx(1, 3)),
		mk(3, KindSync, "/t/k").at(50, 55).ok(zx(1, 2)),
		mk(3, KindGetData, "/t/k").at(56, 60).ok(zx(1, 2)).got("", Stat{Czxid: zx(1, 2), Mzxid: zx(1, 2)}),
	)
	expectOK(t, Input{History: hist(ops...)})
	// But the sync's session may not then go back below what the sync answered.
	ops = append(ops, mk(3, KindGetData, "/t/k").at(61, 70).ok(zx(1, 1)).got("", Stat{Czxid: zx(1, 2), Mzxid: zx(1, 2)}))
	expectFailure(t, Input{History: hist(ops...)}, InvMonotonicSession)
}

// Containers are not modelled: their partition is reported as not checked, never passed.
func TestContainerPartitionIsInconclusive(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindCreate, "/t/k/c").flags(clientproto.FlagContainer).at(30, 40).ok(zx(1, 3)),
		mk(2, KindCreate, "/t/k/c/x").at(50, 60).ok(zx(1, 4)),
	)
	rep := Check(Input{History: hist(ops...)})
	if rep.Verdict != VerdictInconclusive || rep.Stats.SkippedParts != 1 {
		t.Fatalf("want inconclusive with one skipped partition, got %+v\n%s", rep.Stats, rep.String())
	}
}

// A sequential create whose answer was lost leaves a child nobody learned the name of; a
// client that finds it with getChildren may delete it. Not a bug.
func TestPhantomSequentialChild(t *testing.T) {
	ops := append(setupRoot(),
		mk(2, KindCreate, "/t/k/q-").flags(clientproto.FlagPersistentSequential).data("x").at(30, 0).unknown(UnknownConnectionLoss),
		mk(3, KindGetChildren, "/t/k").at(50, 60).ok(zx(1, 3)).kids("q-0000000000"),
		mk(3, KindDelete, "/t/k/q-0000000000").at(70, 80).ok(zx(1, 4)),
		mk(3, KindDelete, "/t/k").at(90, 100).ok(zx(1, 5)),
	)
	rep := expectOK(t, Input{History: hist(ops...)})
	if rep.Stats.ExcludedOps != 1 {
		t.Fatalf("want the delete of the phantom excluded, got %+v", rep.Stats)
	}
	// Without the lost create, the same child is a read from nowhere.
	ops[2] = mk(2, KindCreate, "/t/k/other").at(30, 40).ok(zx(1, 3))
	expectFailure(t, Input{History: hist(ops...)}, InvReadSnapshot)
}

// With the oracle, an unknown write that committed is part of the committed history the
// reads are judged against.
func TestOracleStrengthensReads(t *testing.T) {
	lost := mk(2, KindCreate, "/t/k/a").data("x").at(30, 0).unknown(UnknownConnectionLoss)
	lost.o.Xid = 9
	ops := append(setupRoot(), lost, mk(3, KindExists, "/t/k/a").at(50, 60).fail(clientproto.ErrNoNode, zx(1, 4)))
	expectOK(t, Input{History: hist(ops...)})
	r := NewReplicas()
	for i, id := range []requestID{{1, 1}, {1, 2}, {2, 9}, {4, 1}} {
		z := zx(1, int64(i+1))
		r.Committed(1, z, txnHeader(id.session, id.xid, z), 0, false, int64(i))
	}
	expectFailure(t, Input{History: hist(ops...), Replicas: r}, InvReadSnapshot)
}

// TestOneServerEstablishedTwiceInOneEpoch: a leader that loses its quorum and is elected
// again must lead a new epoch; the same server established twice in one epoch is an
// epoch reused (seen with the bug-no-epoch-check mutant), reported with the server named
// for both establishments.
func TestOneServerEstablishedTwiceInOneEpoch(t *testing.T) {
	r := NewReplicas()
	r.LeaderEstablished(3, 1, 100)
	r.LeaderLost(3, 200)
	r.LeaderEstablished(3, 1, 300)
	rep := expectFailure(t, Input{Replicas: r}, InvOneLeaderPerEpoch)
	for _, f := range rep.Failures {
		if f.Invariant == InvOneLeaderPerEpoch && (len(f.Servers) != 2 || f.Servers[0] != 3 || f.Servers[1] != 3 || f.At != 300) {
			t.Errorf("failure names %v at %d, want [3 3] at 300", f.Servers, f.At)
		}
	}
	ok := NewReplicas()
	ok.LeaderEstablished(3, 1, 100)
	ok.LeaderLost(3, 200)
	ok.LeaderEstablished(3, 2, 300)
	expectOK(t, Input{Replicas: ok})
}
