package zkdb_test

import (
	"bytes"
	"context"
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
	slices.SortFunc(zkSessions, func(a, b wal.Session) int { return int(a.ID - b.ID) })
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
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { cmd.Process.Kill(); <-exited }()
	snap := filepath.Join(dataDir, wal.VersionDir, wal.SnapName(last))
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("ZooKeeper exited (%v) without writing %s:\n%s", err, snap, output.String())
		case <-ctx.Done():
			t.Fatalf("ZooKeeper did not write %s within 60 s:\n%s", snap, output.String())
		case <-tick.C:
			if b, err := os.ReadFile(snap); err == nil && bytes.HasSuffix(b, []byte{0, 0, 0, 1, '/'}) && len(b) > 100 {
				time.Sleep(200 * time.Millisecond) // let it finish the file it just sealed
				return
			}
		}
	}
}
