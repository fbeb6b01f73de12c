package checker

import (
	"testing"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// ob builds one recorded Op for hand-written histories.
type ob struct{ o Op }

func mk(session int64, k Kind, path string) *ob {
	return &ob{Op{Session: session, Proc: int(session), Server: 1, Kind: k, Path: path, Version: -1, ReplyZxid: NoZxid}}
}

func (b *ob) at(call, ret int64) *ob     { b.o.Call, b.o.Return = call, ret; return b }
func (b *ob) data(d string) *ob          { b.o.Data = []byte(d); return b }
func (b *ob) ver(v int32) *ob            { b.o.Version = v; return b }
func (b *ob) flags(f int32) *ob          { b.o.Flags = f; return b }
func (b *ob) proc(p int) *ob             { b.o.Proc = p; return b }
func (b *ob) created(p string) *ob       { b.o.Result.CreatedPath = p; return b }
func (b *ob) stat(st Stat) *ob           { b.o.Result.Stat = &st; return b }
func (b *ob) kids(names ...string) *ob   { b.o.Result.Children = names; return b }
func (b *ob) subs(s ...SubOp) *ob        { b.o.SubOps = s; return b }
func (b *ob) got(d string, st Stat) *ob  { b.o.Result.Data = []byte(d); return b.stat(st) }
func (b *ob) results(r ...SubResult) *ob { b.o.Result.Multi = r; return b }
func (b *ob) ok(zxid int64) *ob          { b.o.Outcome, b.o.ReplyZxid = OutcomeOK, zxid; return b }
func (b *ob) unknown(r UnknownReason) *ob {
	b.o.Outcome, b.o.UnknownReason = OutcomeUnknown, r
	return b
}
func (b *ob) fail(c clientproto.ErrCode, zxid int64) *ob {
	b.o.Outcome, b.o.Err, b.o.ReplyZxid = OutcomeError, c, zxid
	return b
}

func hist(ops ...*ob) History {
	var h History
	for _, b := range ops {
		h.Ops = append(h.Ops, b.o)
	}
	return h
}

// zx makes a zxid from an epoch and a counter.
func zx(epoch, counter int64) int64 { return epoch<<32 | counter }

// setupRoot records the creation of /t and /t/k as the first two ops (zxids 1 and 2).
func setupRoot() []*ob {
	return []*ob{
		mk(1, KindCreate, "/t").at(0, 10).ok(zx(1, 1)),
		mk(1, KindCreate, "/t/k").at(11, 20).ok(zx(1, 2)),
	}
}

func expectOK(t *testing.T, in Input) Report {
	t.Helper()
	rep := Check(in)
	if rep.Verdict != VerdictOK {
		t.Fatalf("want ok, got:\n%s", rep.String())
	}
	return rep
}

func expectFailure(t *testing.T, in Input, invariant string) Report {
	t.Helper()
	rep := Check(in)
	if !rep.Has(invariant) {
		t.Fatalf("want a %s failure, got:\n%s", invariant, rep.String())
	}
	if rep.Verdict != verdictOf(invariant) {
		t.Fatalf("want verdict %s, got %s", verdictOf(invariant), rep.Verdict)
	}
	return rep
}
