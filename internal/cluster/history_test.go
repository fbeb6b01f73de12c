package cluster

import (
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// TestHistoryCarriesXid: each op of the history carries its request's xid, which the
// checker's oracle uses to find the txn of an unknown outcome; a session's xids count up.
func TestHistoryCarriesXid(t *testing.T) {
	c := converged(t, 5)
	cl, _ := c.AddClient(ClientOptions{})
	for _, p := range []string{"/a", "/b"} {
		if r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) {
			lib.Create(now, p, nil, cp.FlagPersistent, cb)
		}); r.Err != cp.ErrOK {
			t.Fatalf("create %s: %v", p, r.Err)
		}
	}
	var xids []int32
	for _, op := range c.History().Ops {
		if op.Kind == checker.KindCreate {
			xids = append(xids, op.Xid)
		}
	}
	if len(xids) != 2 || xids[0] <= 0 || xids[1] <= xids[0] {
		t.Fatalf("create xids %v, want two increasing positive xids", xids)
	}
}
