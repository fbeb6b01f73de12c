package wal_test

import (
	"fmt"

	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

// Append txns with group commit, roll to a new file, then read them back from zxid 2 as a
// recovering server would.
func Example() {
	fs := memfs.New()
	fs.MkdirAll("data/version-2")
	log := wal.OpenLog(fs, "data/version-2", wal.LogOptions{PreAllocKB: 16})
	for z := int64(1); z <= 4; z++ {
		log.Append(wal.Txn{Header: wal.TxnHeader{ClientID: 0x42, Zxid: z, Type: 5}, Body: []byte("...")})
		if z == 2 {
			log.Commit() // one fsync for txns 1 and 2: only now may they be acknowledged
			log.Roll()   // the snapshot trigger fired: txn 3 starts log.3
		}
	}
	log.Commit()
	names, _ := fs.ReadDir("data/version-2")
	fmt.Println(names)

	it, _ := wal.ReadLog(fs, "data/version-2", 2)
	for it.Next() {
		fmt.Printf("zxid %d\n", it.Txn().Header.Zxid)
	}
	for _, end := range it.Ends() {
		fmt.Printf("%s: %v at offset %d\n", end.Name, end.Kind, end.Offset)
	}
	// Output:
	// [log.1 log.3]
	// zxid 2
	// zxid 3
	// zxid 4
	// log.1: zero padding at offset 112
	// log.3: zero padding at offset 112
}
