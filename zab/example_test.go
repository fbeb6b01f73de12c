package zab_test

import (
	"fmt"

	"github.com/zabsim/zabsim/zab"
)

// A run picks the ZooKeeper version whose NEWLEADER handling it reproduces.
func ExampleParseVariant() {
	for _, name := range []string{"3.8.2", "3.8.6", ""} {
		v, err := zab.ParseVariant(name)
		fmt.Println(v, err)
	}
	_, err := zab.ParseVariant("3.7.0")
	fmt.Println(err)
	// Output:
	// 3.8.0 <nil>
	// 3.8.5 <nil>
	// 3.9.3 <nil>
	// zab: unknown variant "3.7.0" (want 3.8.0, 3.8.5 or 3.9.3, a deliberately broken bug-ack-before-fsync, bug-skip-trunc or bug-no-epoch-check, or pre-zk-1419)
}

// Quorum packets carry ZooKeeper's type numbers and jute layout.
func ExampleDecodeQuorumPacket() {
	b := zab.QuorumPacket{Type: zab.PacketCommit, Zxid: zab.MakeZxid(2, 7)}.Encode()
	p, err := zab.DecodeQuorumPacket(b)
	fmt.Println(len(b), p, err)
	_, err = zab.DecodeQuorumPacket(b[:10])
	fmt.Println(err != nil)
	// Output:
	// 20 COMMIT zxid=0x200000007 len=0 <nil>
	// true
}
