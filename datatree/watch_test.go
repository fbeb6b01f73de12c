package datatree

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wt is a small driver for watch tests: it applies txns with increasing zxids.
type wt struct {
	t    *testing.T
	tree *Tree
	zxid int64
}

func (w *wt) txn(typ OpCode, txn Txn) []WatchEvent {
	w.zxid++
	r := w.tree.ProcessTxn(TxnHeader{ClientID: 0x55, Zxid: w.zxid, Type: typ}, txn)
	if r.Err != OK {
		w.t.Fatalf("txn %s %+v: %v", OpName(typ), txn, r.Err)
	}
	return r.Events
}

func (w *wt) create(path string) []WatchEvent {
	return w.txn(OpCreate, &CreateTxn{Path: path, ACL: OpenACLUnsafe, ParentCVersion: -1})
}
func (w *wt) set(path string) []WatchEvent {
	return w.txn(OpSetData, &SetDataTxn{Path: path, Data: []byte("v"), Version: int32(w.zxid)})
}
func (w *wt) del(path string) []WatchEvent { return w.txn(OpDelete, &DeleteTxn{Path: path}) }

func ev(id WatcherID, typ EventType, path string) WatchEvent {
	return WatchEvent{Watcher: id, Type: typ, Path: path}
}

// strip zeroes the zxids so tables can list events without them.
func strip(evs []WatchEvent) []WatchEvent {
	out := []WatchEvent{}
	for _, e := range evs {
		e.Zxid = 0
		out = append(out, e)
	}
	return out
}

func TestWatchTriggers(t *testing.T) {
	cases := []struct {
		name  string
		setup func(w *wt)
		act   func(w *wt) []WatchEvent
		want  []WatchEvent
	}{
		{"data watch fires once on setData",
			func(w *wt) { w.create("/a"); w.tree.GetData("/a", 1) },
			func(w *wt) []WatchEvent { return append(w.set("/a"), w.set("/a")...) },
			[]WatchEvent{ev(1, EventNodeDataChanged, "/a")}},
		{"getData on a missing node leaves no watch",
			func(w *wt) { w.tree.GetData("/a", 1) },
			func(w *wt) []WatchEvent { return w.create("/a") },
			[]WatchEvent{}},
		{"exists on a missing node fires NodeCreated",
			func(w *wt) { w.tree.Exists("/a", 1) },
			func(w *wt) []WatchEvent { return w.create("/a") },
			[]WatchEvent{ev(1, EventNodeCreated, "/a")}},
		{"child watch on the root fires for a top-level create",
			func(w *wt) { w.tree.GetChildren("/", 2) },
			func(w *wt) []WatchEvent { return w.create("/a") },
			[]WatchEvent{ev(2, EventNodeChildrenChanged, "/")}},
		{"delete: NodeDeleted once per watcher over both tables, then the parent",
			func(w *wt) {
				w.create("/a")
				w.create("/a/b")
				w.tree.GetData("/a/b", 1)
				w.tree.GetChildren("/a/b", 1)
				w.tree.GetChildren("/a/b", 3)
				w.tree.GetChildren("/a", 2)
			},
			func(w *wt) []WatchEvent { return w.del("/a/b") },
			[]WatchEvent{ev(1, EventNodeDeleted, "/a/b"), ev(3, EventNodeDeleted, "/a/b"), ev(2, EventNodeChildrenChanged, "/a")}},
		{"setACL fires nothing",
			func(w *wt) { w.create("/a"); w.tree.GetData("/a", 1); w.tree.GetChildren("/a", 1) },
			func(w *wt) []WatchEvent {
				return w.txn(OpSetACL, &SetACLTxn{Path: "/a", ACL: ReadACLUnsafe, Version: 1})
			},
			[]WatchEvent{}},
		{"persistent watch keeps firing, data and children",
			func(w *wt) { w.create("/a"); w.tree.AddWatch("/a", 4, WatchPersistent) },
			func(w *wt) []WatchEvent { return append(append(w.set("/a"), w.set("/a")...), w.create("/a/b")...) },
			[]WatchEvent{ev(4, EventNodeDataChanged, "/a"), ev(4, EventNodeDataChanged, "/a"), ev(4, EventNodeChildrenChanged, "/a")}},
		{"recursive watch sees descendants but never NodeChildrenChanged",
			func(w *wt) { w.create("/a"); w.tree.AddWatch("/a", 5, WatchPersistentRecursive) },
			func(w *wt) []WatchEvent {
				return append(append(w.create("/a/b"), w.set("/a/b")...), w.del("/a/b")...)
			},
			[]WatchEvent{ev(5, EventNodeCreated, "/a/b"), ev(5, EventNodeDataChanged, "/a/b"), ev(5, EventNodeDeleted, "/a/b")}},
		{"a later getData turns a persistent watch one-shot (ZK-4466, 3.8)",
			func(w *wt) { w.create("/a"); w.tree.AddWatch("/a", 4, WatchPersistent); w.tree.GetData("/a", 4) },
			func(w *wt) []WatchEvent { return append(w.set("/a"), w.set("/a")...) },
			[]WatchEvent{ev(4, EventNodeDataChanged, "/a")}},
		{"RemoveWatcher drops everything",
			func(w *wt) {
				w.create("/a")
				w.tree.GetData("/a", 1)
				w.tree.AddWatch("/", 1, WatchPersistentRecursive)
				w.tree.RemoveWatcher(1)
			},
			func(w *wt) []WatchEvent { return w.set("/a") },
			[]WatchEvent{}},
		{"closeSession fires NodeDeleted for the ephemerals",
			func(w *wt) {
				w.txn(OpCreate, &CreateTxn{Path: "/e", ACL: OpenACLUnsafe, Ephemeral: true, ParentCVersion: -1})
				w.tree.Exists("/e", 6)
			},
			func(w *wt) []WatchEvent { return w.txn(OpCloseSession, &CloseSessionTxn{Paths: []string{"/e"}}) },
			[]WatchEvent{ev(6, EventNodeDeleted, "/e")}},
		{"a failed multi fires nothing",
			func(w *wt) { w.create("/a"); w.tree.GetData("/a", 1) },
			func(w *wt) []WatchEvent {
				w.zxid++
				r := w.tree.ProcessTxn(TxnHeader{Zxid: w.zxid, Type: OpMulti}, &MultiTxn{Ops: []MultiOp{
					{OpSetData, &SetDataTxn{Path: "/a", Version: 5}}, {OpError, &ErrorTxn{Err: NoNode}}}})
				return r.Events
			},
			[]WatchEvent{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &wt{t: t, tree: New()}
			c.setup(w)
			if diff := cmp.Diff(c.want, strip(c.act(w))); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetWatchesReportsMissedEvents(t *testing.T) {
	w := &wt{t: t, tree: New()}
	w.create("/a")
	w.create("/b")
	seen := w.zxid
	w.set("/a")
	w.create("/b/c")
	w.create("/new")
	got := w.tree.SetWatches(9, seen, []string{"/a", "/gone", "/b"}, []string{"/new", "/absent"}, []string{"/b", "/a"}, nil, nil)
	want := []WatchEvent{
		{9, EventNodeDataChanged, "/a", -1}, {9, EventNodeDeleted, "/gone", -1},
		{9, EventNodeCreated, "/new", -1}, {9, EventNodeChildrenChanged, "/b", -1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("SetWatches (-want +got):\n%s", diff)
	}
	// The rest were registered: /b data, /absent exists, /a children.
	if data, child := w.tree.WatchCount(); data != 2 || child != 1 {
		t.Fatalf("registered %d data and %d child watches, want 2 and 1", data, child)
	}
	if diff := cmp.Diff([]WatchEvent{ev(9, EventNodeCreated, "/absent")}, strip(w.create("/absent"))); diff != "" {
		t.Fatalf("re-registered exists watch (-want +got):\n%s", diff)
	}
}

func TestCheckAndRemoveWatches(t *testing.T) {
	w := &wt{t: t, tree: New()}
	w.create("/a")
	tree := w.tree
	tree.GetData("/a", 1)
	tree.GetChildren("/a", 2)
	tree.AddWatch("/a", 3, WatchPersistent)
	checks := []struct {
		typ  WatcherType
		id   WatcherID
		want Code
	}{
		{WatcherData, 1, OK}, {WatcherChildren, 1, NoWatcher}, {WatcherAny, 1, OK},
		{WatcherChildren, 2, OK}, {WatcherData, 2, NoWatcher},
		{WatcherData, 3, OK}, {WatcherChildren, 3, OK}, {WatcherAny, 4, NoWatcher}, {9, 1, BadArguments},
	}
	for _, c := range checks {
		if got := tree.CheckWatches("/a", c.typ, c.id); got != c.want {
			t.Errorf("CheckWatches(/a, %d, %d) = %v, want %v", c.typ, c.id, got, c.want)
		}
	}
	if got := tree.RemoveWatches("/a", WatcherChildren, 1); got != NoWatcher {
		t.Fatalf("removing a child watch watcher 1 never set: %v", got)
	}
	if got := tree.RemoveWatches("/a", WatcherData, 3); got != OK {
		t.Fatalf("removing the persistent watch's data half: %v", got)
	}
	if got := tree.RemoveWatches("/a", WatcherAny, 1); got != OK {
		t.Fatalf("removing watcher 1: %v", got)
	}
	// Left: watcher 2's child watch and watcher 3's child half.
	evs := append(w.set("/a"), w.create("/a/b")...)
	want := []WatchEvent{ev(2, EventNodeChildrenChanged, "/a"), ev(3, EventNodeChildrenChanged, "/a")}
	if diff := cmp.Diff(want, strip(evs)); diff != "" {
		t.Fatalf("events after removal (-want +got):\n%s", diff)
	}
}

func TestAddWatchMode(t *testing.T) {
	for mode, want := range map[int32]WatchMode{0: WatchPersistent, 1: WatchPersistentRecursive} {
		if got, ok := AddWatchMode(mode); !ok || got != want {
			t.Errorf("AddWatchMode(%d) = %v, %v", mode, got, ok)
		}
	}
	if _, ok := AddWatchMode(2); ok {
		t.Error("AddWatchMode(2) accepted")
	}
}
