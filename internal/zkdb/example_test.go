package zkdb_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/wal/memfs"
)

// A server's disk life: start on an empty data dir, log and commit a create, apply it,
// then recover the same state after a restart.
func Example() {
	fs := memfs.New()
	cfg := zkdb.Config{FS: fs, DataDir: "data", SnapCount: 100, Rand: rand.New(rand.NewPCG(1, 2))}
	db := zkdb.New(cfg)
	rep, _ := db.Load(zkdb.LoadOptions{})
	fmt.Println("fresh:", rep.CreatedEmptySnapshot, db.LastProcessedZxid())

	entry := datatree.MarshalEntry(&datatree.TxnEntry{
		Header: datatree.TxnHeader{ClientID: 0x1, Zxid: 1, Time: 1700000000000, Type: datatree.OpCreate},
		Txn:    &datatree.CreateTxn{Path: "/app", Data: []byte("hello"), ACL: datatree.OpenACLUnsafe, ParentCVersion: 1},
	})
	db.Append(entry) // buffered
	db.Commit()      // fsync: now the txn may be acknowledged
	db.Apply(entry)  // committed: it reaches the tree
	db.Close()

	again := zkdb.New(cfg)
	rep, _ = again.Load(zkdb.LoadOptions{})
	data, stat, _ := again.Tree().GetData("/app", 0)
	fmt.Printf("recovered: %s + %d txn, /app=%q czxid=%d\n", rep.Snapshot, rep.TxnsReplayed, data, stat.Czxid)
	// Output:
	// fresh: true 0
	// recovered: snapshot.0 + 1 txn, /app="hello" czxid=1
}
