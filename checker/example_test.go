package checker_test

import (
	"fmt"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/zab/clientproto"
)

// A stale follower read is legal; two conditional writes winning the same version are not.
func Example() {
	z := func(counter int64) int64 { return 1<<32 | counter }
	ok := func(session int64, kind checker.Kind, path string, call, ret, zxid int64) checker.Op {
		return checker.Op{Session: session, Proc: int(session), Kind: kind, Path: path, Version: -1,
			Call: call, Return: ret, Outcome: checker.OutcomeOK, ReplyZxid: zxid}
	}
	h := checker.History{Ops: []checker.Op{
		ok(1, checker.KindCreate, "/k", 0, 10, z(1)),
		ok(1, checker.KindSetData, "/k", 20, 30, z(2)),
		// Session 2 reads from a follower that has not applied z(2) yet: legal.
		ok(2, checker.KindGetData, "/k", 40, 50, z(1)),
	}}
	h.Ops[1].Data = []byte("v1")
	h.Ops[2].Result.Stat = &checker.Stat{Czxid: z(1), Mzxid: z(1)}
	fmt.Println(checker.Check(checker.Input{History: h}).Verdict)

	// Two setData with expected version 1, both acknowledged.
	cas := func(session, call, zxid int64) checker.Op {
		o := ok(session, checker.KindSetData, "/k", call, call+10, zxid)
		o.Version, o.Data = 1, []byte(fmt.Sprint("from ", session))
		return o
	}
	h.Ops = append(h.Ops, cas(3, 60, z(3)), cas(4, 61, z(4)))
	rep := checker.Check(checker.Input{History: h})
	fmt.Println(rep.Verdict, rep.Failures[0].Invariant, rep.Failures[0].Ops)

	// With the second one answered BADVERSION, all is well again.
	h.Ops[4].Outcome, h.Ops[4].Err = checker.OutcomeError, clientproto.ErrBadVersion
	fmt.Println(checker.Check(checker.Input{History: h}).Verdict)
	// Output:
	// ok
	// correctness failure linearizable-writes [4]
	// ok
}
