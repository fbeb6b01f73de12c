package zkdb_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

// workEntry is the deterministic workload's txn at zxid z: sessions open and close,
// ephemerals come and go, persistent nodes are created, changed and deleted — some ops
// fail on replay (a setData of a deleted node), which is fine: the model replays the
// same entries.
func workEntry(z int64) []byte {
	session := 0x100 + z/10
	h := datatree.TxnHeader{ClientID: session, Cxid: int32(z), Zxid: z, Time: 1_000_000 + z, Type: datatree.OpCreate}
	var txn datatree.Txn
	switch {
	case z%10 == 1:
		h.Type, txn = datatree.OpCreateSession, &datatree.CreateSessionTxn{TimeoutMs: 5000}
	case z%10 == 3:
		txn = &datatree.CreateTxn{Path: fmt.Sprintf("/e%d", z), Data: []byte("eph"), ACL: datatree.OpenACLUnsafe, Ephemeral: true, ParentCVersion: int32(z)}
	case z%20 == 8:
		h.ClientID = session - 1
		h.Type, txn = datatree.OpCloseSession, &datatree.CloseSessionTxn{}
	case z%4 == 0:
		h.Type, txn = datatree.OpSetData, &datatree.SetDataTxn{Path: fmt.Sprintf("/n%d", z-2), Data: []byte(fmt.Sprintf("set@%d", z)), Version: 1}
	case z%7 == 0:
		h.Type, txn = datatree.OpDelete, &datatree.DeleteTxn{Path: fmt.Sprintf("/n%d", z-5)}
	default:
		txn = &datatree.CreateTxn{Path: fmt.Sprintf("/n%d", z), Data: []byte(fmt.Sprintf("v%d", z)), ACL: datatree.OpenACLUnsafe, ParentCVersion: int32(z)}
	}
	return datatree.MarshalEntry(&datatree.TxnEntry{Header: h, Txn: txn})
}

// tb is what the helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// modelJSON replays workEntry(1..upTo) on a fresh tree, independently of zkdb.
func modelJSON(t tb, upTo int64) []byte {
	t.Helper()
	tree := datatree.New()
	for z := int64(1); z <= upTo; z++ {
		e, err := datatree.DecodeEntry(workEntry(z), 0)
		if err != nil {
			t.Fatal(err)
		}
		tree.ProcessEntry(&e)
	}
	b, err := zkdb.MarshalTreeJSON(zkdb.TreeNodes(tree))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dbJSON(t tb, db *zkdb.DB) []byte {
	t.Helper()
	b, err := zkdb.MarshalTreeJSON(zkdb.TreeNodes(db.Tree()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newDB(fs wal.FS, snapCount int) *zkdb.DB {
	return zkdb.New(zkdb.Config{FS: fs, DataDir: "data", DataLogDir: "logs", PreAllocKB: 4, SnapCount: snapCount, Rand: rand.New(rand.NewPCG(7, 7))})
}

// run appends, commits (every batch txns) and applies workEntry(from..to), taking a
// snapshot whenever the trigger fires.
func run(t testing.TB, db *zkdb.DB, from, to int64, batch int) (snapshots int) {
	t.Helper()
	var pending []int64
	flush := func() {
		if err := db.Commit(); err != nil {
			t.Fatal(err)
		}
		for _, z := range pending {
			if _, err := db.Apply(workEntry(z)); err != nil {
				t.Fatal(err)
			}
		}
		pending = pending[:0]
	}
	for z := from; z <= to; z++ {
		due, err := db.Append(workEntry(z))
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, z)
		if len(pending) == batch || z == to {
			flush()
		}
		if due {
			flush()
			if _, err := db.TakeSnapshot(false); err != nil {
				t.Fatal(err)
			}
			snapshots++
		}
	}
	return snapshots
}

func TestWriteThenRecover(t *testing.T) {
	fs := memfs.New()
	db := newDB(fs, 40)
	rep, err := db.Load(zkdb.LoadOptions{})
	if err != nil || !rep.CreatedEmptySnapshot {
		t.Fatalf("empty load: %+v %v", rep, err)
	}
	if e, err := db.LoadEpochs(); err != nil || e != (wal.Epochs{}) {
		t.Fatalf("epochs of an empty db: %+v %v", e, err)
	}
	snaps := run(t, db, 1, 700, 7)
	if snaps < 10 {
		t.Fatalf("only %d snapshots with snapCount 40 over 700 txns", snaps)
	}
	want := modelJSON(t, 700)
	if got := dbJSON(t, db); !bytes.Equal(got, want) {
		t.Fatal("live tree differs from the model")
	}
	wantSessions := db.Sessions()
	db.Close()

	again := newDB(fs, 40)
	rep, err = again.Load(zkdb.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dbJSON(t, again); !bytes.Equal(got, want) {
		t.Fatalf("recovered tree differs from the model (report %+v)", rep)
	}
	if got := again.Sessions(); !slices.Equal(got, wantSessions) || len(got) == 0 {
		t.Fatalf("sessions %v, want %v", got, wantSessions)
	}
	if again.LastProcessedZxid() != 700 || again.MaxCommittedLog() != 700 || again.MinCommittedLog() != 700-int64(len(again.CommittedLog()))+1 {
		t.Fatalf("zxids: last %d, committed log [%d, %d]", again.LastProcessedZxid(), again.MinCommittedLog(), again.MaxCommittedLog())
	}
	logs, _ := fs.ReadDir("logs/version-2")
	snapFiles, _ := fs.ReadDir("data/version-2")
	if len(logs) < 10 || !slices.Contains(snapFiles, "snapshot.0") || !slices.Contains(snapFiles, "currentEpoch") {
		t.Fatalf("files: logs %v, data %v", logs, snapFiles)
	}
	// Appending after recovery starts a new log file and keeps everything readable.
	run(t, again, 701, 720, 3)
	third := newDB(fs, 40)
	if _, err := third.Load(zkdb.LoadOptions{}); err != nil || !bytes.Equal(dbJSON(t, third), modelJSON(t, 720)) {
		t.Fatalf("after appending to a recovered db: %v", err)
	}
}

func TestCommittedLogKeepsNewest500(t *testing.T) {
	db := newDB(memfs.New(), 100000)
	db.Load(zkdb.LoadOptions{})
	run(t, db, 1, 1234, 50)
	cl := db.CommittedLog()
	if len(cl) != zkdb.CommitLogCount || cl[0].Zxid != 1234-499 || cl[499].Zxid != 1234 || !bytes.Equal(cl[499].Entry, workEntry(1234)) {
		t.Fatalf("committed log: %d entries, [%d..%d]", len(cl), cl[0].Zxid, cl[len(cl)-1].Zxid)
	}
}

// TestTruncateReloads covers TRUNC: the log is cut after the zxid and the database
// reloaded. ZooKeeper 3.8 then loads the newest snapshot even if it is newer than the
// truncation point, so truncated txns survive (ZOOKEEPER-4837); the fix variant skips it.
func TestTruncateReloads(t *testing.T) {
	for _, fix := range []bool{false, true} {
		fs := memfs.New()
		db := zkdb.New(zkdb.Config{FS: fs, DataDir: "d", PreAllocKB: 4, SnapCount: 1000000, SkipSnapshotsAfterTrunc: fix, Rand: rand.New(rand.NewPCG(1, 2))})
		db.Load(zkdb.LoadOptions{})
		run(t, db, 1, 80, 4)
		if _, err := db.TakeSnapshot(false); err != nil {
			t.Fatal(err)
		}
		run(t, db, 81, 100, 4)
		if _, err := db.Truncate(50); err != nil {
			t.Fatal(err)
		}
		want := modelJSON(t, 50)
		if fix {
			if db.LastProcessedZxid() != 50 || !bytes.Equal(dbJSON(t, db), want) {
				t.Fatalf("fix variant: at %d, tree equal %v", db.LastProcessedZxid(), bytes.Equal(dbJSON(t, db), want))
			}
		} else if db.LastProcessedZxid() != 80 || !bytes.Equal(dbJSON(t, db), modelJSON(t, 80)) {
			t.Fatalf("3.8: expected the snapshot at 80 to be reloaded (ZOOKEEPER-4837), at %d", db.LastProcessedZxid())
		}
		if z, err := db.LastLoggedZxid(); err != nil || z != 50 {
			t.Fatalf("last logged after truncate: %d %v", z, err)
		}
	}
}

func TestLoadRefusesLogWithoutSnapshot(t *testing.T) {
	fs := memfs.New()
	db := newDB(fs, 100)
	db.Load(zkdb.LoadOptions{})
	run(t, db, 1, 5, 1)
	fs.Remove("data/version-2/snapshot.0")
	_, err := newDB(fs, 100).Load(zkdb.LoadOptions{})
	if !errors.Is(err, zkdb.ErrLogWithoutSnapshot) || !strings.Contains(err.Error(), "0x5") {
		t.Fatalf("err = %v", err)
	}
	trusting := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", DataLogDir: "logs", TrustEmptySnapshot: true, Rand: rand.New(rand.NewPCG(1, 1))})
	if rep, err := trusting.Load(zkdb.LoadOptions{}); err != nil || rep.TxnsReplayed != 5 || !bytes.Equal(dbJSON(t, trusting), modelJSON(t, 5)) {
		t.Fatalf("snapshot.trust.empty: %+v %v", rep, err)
	}
}

func TestLoadFailsOnCorruptDurableRecord(t *testing.T) {
	fs := memfs.New()
	db := newDB(fs, 1000000)
	db.Load(zkdb.LoadOptions{})
	run(t, db, 1, 20, 5)
	f, _ := fs.Open("logs/version-2/log.1")
	b := make([]byte, 1)
	f.ReadAt(b, 100)
	f.WriteAt([]byte{b[0] ^ 1}, 100)
	_, err := newDB(fs, 100).Load(zkdb.LoadOptions{})
	var ce *wal.CorruptError
	if !errors.As(err, &ce) || ce.File != "logs/version-2/log.1" || !strings.Contains(ce.Reason, "crc") {
		t.Fatalf("err = %v", err)
	}
}

func TestKillOrphanEphemerals(t *testing.T) {
	db := newDB(memfs.New(), 100000)
	db.Load(zkdb.LoadOptions{})
	run(t, db, 1, 4, 1) // session 0x100 opened at 1, ephemeral /e3 by session 0x100
	if killed := db.KillOrphanEphemerals(); len(killed) != 0 {
		t.Fatalf("killed %v while the session is live", killed)
	}
	db.Apply(datatree.MarshalEntry(&datatree.TxnEntry{Header: datatree.TxnHeader{ClientID: 0x999, Zxid: 5, Type: datatree.OpCreate},
		Txn: &datatree.CreateTxn{Path: "/orphan", ACL: datatree.OpenACLUnsafe, Ephemeral: true, ParentCVersion: 99}}))
	if killed := db.KillOrphanEphemerals(); !slices.Equal(killed, []int64{0x999}) {
		t.Fatalf("killed %v", killed)
	}
	if _, _, code := db.Tree().GetData("/orphan", 0); code != datatree.NoNode {
		t.Fatal("orphan ephemeral survived")
	}
	if _, _, code := db.Tree().GetData("/e3", 0); code != datatree.OK {
		t.Fatal("a live session's ephemeral was killed")
	}
}

func TestSnapshotBodyRoundTrip(t *testing.T) {
	src := newDB(memfs.New(), 100000)
	src.Load(zkdb.LoadOptions{})
	run(t, src, 1, 60, 6)
	var e jute.Encoder
	if err := src.EncodeSnapshotBody(&e); err != nil {
		t.Fatal(err)
	}
	dst := newDB(memfs.New(), 100000)
	if err := dst.LoadSnapshotBody(jute.NewDecoder(e.Bytes(), 0), 60); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dbJSON(t, dst), dbJSON(t, src)) || !slices.Equal(dst.Sessions(), src.Sessions()) || dst.LastProcessedZxid() != 60 {
		t.Fatal("SNAP payload did not carry the state")
	}
}

func TestDiskErrorsSurface(t *testing.T) {
	for _, op := range []memfs.Op{memfs.OpSync, memfs.OpWrite, memfs.OpCreate, memfs.OpRename} {
		fs := memfs.New()
		db := newDB(fs, 100000)
		db.Load(zkdb.LoadOptions{})
		fs.Inject = func(o memfs.Op, _ string) error {
			if o == op {
				return errors.New("EIO")
			}
			return nil
		}
		_, err := db.Append(workEntry(1))
		if err == nil {
			err = db.Commit()
		}
		if op == memfs.OpRename {
			err = db.SetCurrentEpoch(3)
		}
		if err == nil || !strings.Contains(err.Error(), "EIO") {
			t.Errorf("%s: error not surfaced: %v", op, err)
		}
		if _, err := db.TakeSnapshot(false); err == nil && op != memfs.OpSync && op != memfs.OpRename {
			t.Errorf("%s: snapshot error not surfaced", op)
		}
	}
}

func TestTxnsFromAndSizeLimit(t *testing.T) {
	fs := memfs.New()
	db := newDB(fs, 1000000)
	db.Load(zkdb.LoadOptions{})
	run(t, db, 1, 30, 5)
	db.RollLog()
	run(t, db, 31, 60, 5)
	name, err := db.TakeSnapshot(false)
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := fs.ReadFile("data/version-2/" + name)
	if limit, err := db.TxnLogSizeLimit(0.33); err != nil || limit != int64(float64(len(snap))*0.33) {
		t.Fatalf("TxnLogSizeLimit = %d, %v (snapshot %d bytes)", limit, err, len(snap))
	}
	if limit, _ := db.TxnLogSizeLimit(-1); limit != -1 {
		t.Fatalf("negative factor: %d", limit)
	}
	it, err := db.TxnsFrom(40)
	if err != nil || !it.Next() || it.Txn().Header.Zxid != 31 || !bytes.Equal(it.Entry(), workEntry(31)) {
		t.Fatalf("TxnsFrom(40) starts at %d, %v; want 31, the first txn of log.1f", it.Txn().Header.Zxid, err)
	}
}

func TestTreeJSONEscapesLikePython(t *testing.T) {
	nodes := []zkdb.JSONNode{{Path: "/é/😀", DataB64: ""}}
	b, err := zkdb.MarshalTreeJSON(nodes)
	if err != nil {
		t.Fatal(err)
	}
	// json.dumps(..., indent=1) with the default ensure_ascii=True.
	if !strings.Contains(string(b), `"path": "/\u00e9/\ud83d\ude00"`) {
		t.Fatalf("got %s", b)
	}
	back, err := zkdb.ParseTreeJSON(b)
	if err != nil || back[0].Path != "/é/😀" {
		t.Fatalf("round trip: %v %v", back, err)
	}
}

// TestFastForwardAppliesLoggedTxns: a follower's tree can lag its log (txns logged but
// not yet committed); leaving the quorum, ZooKeeper applies everything logged
// (fastForwardDataBase, ZK-2845).
func TestFastForwardAppliesLoggedTxns(t *testing.T) {
	db := newDB(memfs.New(), 1000000)
	db.Load(zkdb.LoadOptions{})
	run(t, db, 1, 20, 5)
	for z := int64(21); z <= 27; z++ {
		db.Append(workEntry(z))
	}
	db.Commit()
	if db.LastProcessedZxid() != 20 {
		t.Fatalf("tree at %d before fast-forward", db.LastProcessedZxid())
	}
	rep, err := db.FastForward()
	if err != nil || rep.TxnsReplayed != 7 || db.LastProcessedZxid() != 27 || !bytes.Equal(dbJSON(t, db), modelJSON(t, 27)) {
		t.Fatalf("fast-forward: %+v %v, at %d", rep, err, db.LastProcessedZxid())
	}
	if to, ok := db.SessionTimeout(0x102); !ok || to != 5000 {
		t.Fatalf("session 0x102 (created at zxid 21 by the fast-forward): %d %v", to, ok)
	}
}

func TestPurgeAndEpochWrites(t *testing.T) {
	fs := memfs.New()
	db := newDB(fs, 20)
	db.Load(zkdb.LoadOptions{})
	run(t, db, 1, 200, 4)
	before, _ := fs.ReadDir("data/version-2")
	removed, err := db.Purge(3)
	if err != nil || len(removed) == 0 {
		t.Fatalf("purge removed %v, %v", removed, err)
	}
	after, _ := fs.ReadDir("data/version-2")
	snaps := 0
	for _, n := range after {
		if strings.HasPrefix(n, "snapshot.") {
			snaps++
		}
	}
	if snaps != 3 || len(after) >= len(before) {
		t.Fatalf("after purge: %v", after)
	}
	re := newDB(fs, 20)
	if _, err := re.Load(zkdb.LoadOptions{}); err != nil || !bytes.Equal(dbJSON(t, re), modelJSON(t, 200)) {
		t.Fatalf("recovery after purge: %v", err)
	}
	if _, err := db.Purge(2); err == nil {
		t.Fatal("snapRetainCount 2 accepted")
	}
	if err := db.SetAcceptedEpoch(4); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCurrentEpoch(3); err != nil {
		t.Fatal(err)
	}
	if e, err := db.LoadEpochs(); err != nil || e != (wal.Epochs{Accepted: 4, Current: 3}) {
		t.Fatalf("epochs %+v %v", e, err)
	}
}

// TestEmptyTailLogFile: a log file created just before a crash, header never written.
// ZooKeeper 3.8.0 refuses to start on it (ZOOKEEPER-2332, shown against the real server
// when it is installed); the fixed behaviour, the default, deletes it.
func TestEmptyTailLogFile(t *testing.T) {
	for _, fails := range []bool{false, true} {
		fs := memfs.New()
		db := newDB(fs, 1000000)
		db.Load(zkdb.LoadOptions{})
		run(t, db, 1, 9, 3)
		fs.WriteFile("logs/version-2/log.a", nil)
		re := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", DataLogDir: "logs", EmptyTailLogFails: fails, Rand: rand.New(rand.NewPCG(1, 1))})
		_, err := re.Load(zkdb.LoadOptions{})
		names, _ := fs.ReadDir("logs/version-2")
		if fails {
			if !errors.Is(err, wal.ErrCorrupt) || !slices.Contains(names, "log.a") {
				t.Fatalf("3.8.0: err %v, files %v", err, names)
			}
			continue
		}
		if err != nil || re.LastProcessedZxid() != 9 || slices.Contains(names, "log.a") {
			t.Fatalf("fixed: err %v, at %d, files %v", err, re.LastProcessedZxid(), names)
		}
	}
}
