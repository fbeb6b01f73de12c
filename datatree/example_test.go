package datatree_test

import (
	"fmt"

	"github.com/zabsim/zabsim/datatree"
)

// allLive is a session tracker in which every session is live and owned here.
type allLive struct{}

func (allLive) CheckSession(int64) datatree.Code       { return datatree.OK }
func (allLive) CheckGlobalSession(int64) datatree.Code { return datatree.OK }

// Example shows a write's life: prep on the leader, the bytes that are proposed and
// logged, apply on every server, and what a client then reads.
func Example() {
	tree := datatree.New()
	prep := datatree.NewPrepper(tree, allLive{})
	const session = 0x1000056c4210000

	write := func(req datatree.Request, zxid int64) datatree.Result {
		entry := prep.Prep(&req, zxid, 1795580912408)
		body := datatree.MarshalEntry(&entry) // PROPOSAL payload and log record body
		decoded, err := datatree.DecodeEntry(body, 0)
		if err != nil {
			panic(err)
		}
		res := tree.ProcessEntry(&decoded)
		prep.Applied(zxid)
		return res
	}
	write(datatree.Request{Type: datatree.OpCreate, SessionID: session, Path: "/q", ACL: datatree.OpenACLUnsafe, Version: -1}, 1)
	r := write(datatree.Request{Type: datatree.OpCreate, SessionID: session, Path: "/q/job-", Data: []byte("x"),
		ACL: datatree.OpenACLUnsafe, Mode: datatree.EphemeralSequential, Version: -1}, 2)
	fmt.Println(r.Err, r.Path)

	r = write(datatree.Request{Type: datatree.OpDelete, SessionID: session, Path: "/q", Version: 7}, 3)
	fmt.Println(r.Err) // a wrong version beats NOTEMPTY; the zxid is consumed all the same

	children, stat, _ := tree.GetChildren("/q", datatree.NoWatch)
	fmt.Println(children, stat.Cversion, stat.NumChildren, tree.LastProcessedZxid())

	write(datatree.Request{Type: datatree.OpCloseSession, SessionID: session}, 4)
	fmt.Println(tree.GetEphemerals(session))
	// Output:
	// OK /q/job-0000000000
	// BADVERSION
	// [job-0000000000] 1 1 3
	// []
}
