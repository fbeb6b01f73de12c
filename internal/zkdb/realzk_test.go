package zkdb_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/osfs"
)

// zookeeperJar is where Debian's zookeeper package installs ZooKeeper 3.8.
const zookeeperJar = "/usr/share/java/zookeeper.jar"

// TestRecoverRealZooKeeperLoadsZabsimDataDir writes a data dir with zabsim (several log
// files, snapshots, sessions, ephemerals), starts a real ZooKeeper 3.8 standalone server
// on it, lets it recover and take its startup snapshot, stops it, and compares the tree
// and sessions in ZooKeeper's snapshot with zabsim's own recovery of the same dir. It
// needs `apt-get install zookeeper` (and java); without them it is skipped.
func TestRecoverRealZooKeeperLoadsZabsimDataDir(t *testing.T) {
	java, err := exec.LookPath("java")
	if _, statErr := os.Stat(zookeeperJar); statErr != nil || err != nil {
		t.Skipf("real ZooKeeper 3.8 is not installed (%s, java): `apt-get install zookeeper` enables this cross-check", zookeeperJar)
	}
	for _, fromLog := range []bool{false, true} {
		name := "from-newest-snapshot"
		if fromLog {
			name = "from-snapshot.0-and-the-whole-log"
		}
		t.Run(name, func(t *testing.T) { crossCheckRealZooKeeper(t, java, fromLog) })
	}
}

// crossCheckRealZooKeeper is one cross-check; with fromLog every snapshot but snapshot.0
// is removed first, so ZooKeeper replays every log file zabsim wrote.
func crossCheckRealZooKeeper(t *testing.T, java string, fromLog bool) {
	root := t.TempDir()
	fs := osfs.New(root)
	db := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", PreAllocKB: 64, SnapCount: 50, Rand: rand.New(rand.NewPCG(5, 5))})
	if _, err := db.Load(zkdb.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	run(t, db, 1, 333, 7)
	db.Close()
	last := db.LastProcessedZxid()
	snapDir := filepath.Join(root, "data", wal.VersionDir)
	names, _ := fs.ReadDir("data/" + wal.VersionDir)
	for _, n := range names {
		// ZooKeeper names its startup snapshot after the last zxid: that name must be its.
		if n == wal.SnapName(last) || fromLog && strings.HasPrefix(n, "snapshot.") && n != "snapshot.0" {
			os.Remove(filepath.Join(snapDir, n))
		}
	}

	want := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", Rand: rand.New(rand.NewPCG(5, 5))})
	rep, err := want.Load(zkdb.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fromLog && (rep.Snapshot != "snapshot.0" || rep.TxnsReplayed != 333) {
		t.Fatalf("setup: %+v", rep)
	}
	want.KillOrphanEphemerals() // ZooKeeperServer.loadData does this before its snapshot

	runRealZooKeeper(t, java, filepath.Join(root, "data"), last)

	var tree *datatree.Tree
	info, err := wal.ReadSnapshot(fs, "data/"+wal.VersionDir+"/"+wal.SnapName(last), func(d *jute.Decoder) (err error) {
		tree, err = datatree.DeserializeFrom(d)
		return err
	})
	if err != nil {
		t.Fatalf("reading ZooKeeper's snapshot: %v", err)
	}
	got, _ := zkdb.MarshalTreeJSON(zkdb.TreeNodes(tree))
	sameJSON(t, "real ZooKeeper's recovery", got, dbJSON(t, want))
	zkSessions := slices.Clone(info.Sessions)
	slices.SortFunc(zkSessions, func(a, b wal.Session) int { return cmp.Compare(a.ID, b.ID) })
	if !equalSessions(zkSessions, want.Sessions()) || len(zkSessions) == 0 {
		t.Fatalf("sessions: ZooKeeper %v, zabsim %v", zkSessions, want.Sessions())
	}
	if info.Digest == nil || info.Digest.Zxid != last {
		t.Errorf("ZooKeeper's snapshot digest section %+v", info.Digest)
	}
}

// runRealZooKeeper starts ZooKeeperServerMain on dataDir and stops it once it has written
// snapshot.<last> (its startup snapshot, taken after recovery).
func runRealZooKeeper(t *testing.T, java, dataDir string, last int64) {
	t.Helper()
	snap := filepath.Join(dataDir, wal.VersionDir, wal.SnapName(last))
	out, exitErr := startRealZooKeeper(t, java, dataDir, func() bool {
		b, err := os.ReadFile(snap)
		return err == nil && bytes.HasSuffix(b, []byte{0, 0, 0, 1, '/'}) && len(b) > 100
	})
	if exitErr != nil {
		t.Fatalf("ZooKeeper exited (%v) without writing %s:\n%s", exitErr, snap, out)
	}
}

// startRealZooKeeper runs ZooKeeperServerMain on dataDir until done reports true (then it
// is killed and exitErr is nil) or the process exits (exitErr is its exit status). It
// returns the server's output.
func startRealZooKeeper(t *testing.T, java, dataDir string, done func() bool) (output string, exitErr error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	classpath := zookeeperJar + ":/usr/share/java/slf4j-simple.jar"
	cmd := exec.CommandContext(ctx, java, "-cp", classpath,
		"-Dzookeeper.admin.enableServer=false", "-Dzookeeper.preAllocSize=64",
		"org.apache.zookeeper.server.ZooKeeperServerMain", fmt.Sprint(port), dataDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			if err == nil {
				err = fmt.Errorf("exit status 0")
			}
			return out.String(), err
		case <-ctx.Done():
			cmd.Process.Kill()
			<-exited
			t.Fatalf("ZooKeeper neither finished nor exited within 60 s:\n%s", out.String())
		case <-tick.C:
			if done() {
				time.Sleep(200 * time.Millisecond) // let it finish the file it just sealed
				cmd.Process.Kill()
				<-exited
				return out.String(), nil
			}
		}
	}
}

// TestRecoverRealZooKeeperAgreesOnDamagedLogs damages the newest log of a zabsim data dir
// the ways §13 of the reference describes and checks that real ZooKeeper and zabsim
// agree: a torn last record is dropped by both (same tree), and so is everything from a
// record whose length lost a bit (silently: durable txns gone); a flipped byte inside a
// record, or a last record whose middle was lost while its 'B' survived (ZOOKEEPER-2560),
// makes both refuse to start with a CRC error; an empty newest log file makes 3.8.0
// refuse to start (ZOOKEEPER-2332), as zabsim does with Config.EmptyTailLogFails.
func TestRecoverRealZooKeeperAgreesOnDamagedLogs(t *testing.T) {
	java, err := exec.LookPath("java")
	if _, statErr := os.Stat(zookeeperJar); statErr != nil || err != nil {
		t.Skipf("real ZooKeeper 3.8 is not installed (%s, java): `apt-get install zookeeper` enables this cross-check", zookeeperJar)
	}
	for _, damage := range []string{"torn-last-record", "flipped-byte", "zk2560-middle-lost-B-kept", "zk2332-empty-newest-file", "flipped-length-bit"} {
		t.Run(damage, func(t *testing.T) {
			root := t.TempDir()
			fs := osfs.New(root)
			db := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", PreAllocKB: 64, SnapCount: 1 << 30, Rand: rand.New(rand.NewPCG(5, 5))})
			db.Load(zkdb.LoadOptions{})
			run(t, db, 1, 40, 4)
			db.Close()
			logPath := filepath.Join(root, "data", wal.VersionDir, "log.1")
			var offsets []int64
			wal.ScanLogFile(fs, "data/"+wal.VersionDir+"/log.1", func(off int64, _ wal.Txn) error {
				offsets = append(offsets, off)
				return nil
			})
			f, err := os.OpenFile(logPath, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			last := offsets[len(offsets)-1]
			end := last + wal.RecordSize(wal.Txn{Body: make([]byte, len(workEntry(40))-wal.TxnHeaderSize)})
			mid := last + (end-last)/2
			switch damage {
			case "torn-last-record":
				// Zero the second half of the last record, its 'B' included, as a crash
				// that lost the record's last sector would leave it.
				f.WriteAt(make([]byte, end-mid), mid)
			case "flipped-length-bit":
				// Record 21's length grows by one: its 'B' is no longer where the reader
				// looks, so ZooKeeper takes it for a torn tail and ends the file there.
				b := make([]byte, 1)
				f.ReadAt(b, offsets[20]+11)
				f.WriteAt([]byte{b[0] ^ 1}, offsets[20]+11)
			case "zk2332-empty-newest-file":
				// A log file created just before a crash, its header never written.
				if err := os.WriteFile(filepath.Join(root, "data", wal.VersionDir, "log.29"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			case "zk2560-middle-lost-B-kept":
				// Zero the middle but keep the 'B': reordered sector writes (ZOOKEEPER-2560).
				f.WriteAt(make([]byte, end-1-mid), mid)
			default:
				b := make([]byte, 1)
				at := offsets[20] + 30
				f.ReadAt(b, at)
				f.WriteAt([]byte{b[0] ^ 0x08}, at)
			}
			f.Close()

			ours := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", EmptyTailLogFails: true, Rand: rand.New(rand.NewPCG(5, 5))})
			_, ourErr := ours.Load(zkdb.LoadOptions{})
			wantZxid := int64(39) // the torn record, 40, is dropped
			if damage == "flipped-length-bit" {
				wantZxid = 20 // record 21 and everything after it in the file are dropped
			}
			if damage != "torn-last-record" && damage != "flipped-length-bit" {
				if !errors.Is(ourErr, wal.ErrCorrupt) {
					t.Fatalf("zabsim loaded the damaged log: %v", ourErr)
				}
				out, exitErr := startRealZooKeeper(t, java, filepath.Join(root, "data"), func() bool { return false })
				want := "CRC check failed"
				if damage == "zk2332-empty-newest-file" {
					want = "java.io.EOFException"
				}
				if exitErr == nil || !strings.Contains(out, want) {
					t.Fatalf("real ZooKeeper did not refuse the damaged log (%v):\n%s", exitErr, out)
				}
				return
			}
			if ourErr != nil || ours.LastProcessedZxid() != wantZxid {
				t.Fatalf("zabsim: %v, at %d, want %d", ourErr, ours.LastProcessedZxid(), wantZxid)
			}
			ours.KillOrphanEphemerals()
			runRealZooKeeper(t, java, filepath.Join(root, "data"), wantZxid)
			var tree *datatree.Tree
			if _, err := wal.ReadSnapshot(fs, "data/"+wal.VersionDir+"/"+wal.SnapName(wantZxid), func(d *jute.Decoder) (err error) {
				tree, err = datatree.DeserializeFrom(d)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			got, _ := zkdb.MarshalTreeJSON(zkdb.TreeNodes(tree))
			sameJSON(t, "real ZooKeeper after "+damage, got, dbJSON(t, ours))
		})
	}
}
