package datatree

import (
	"slices"
	"strings"
)

// WatcherID names whoever will receive a watch event: in ZooKeeper the watcher is the
// client connection; the server maps this id to its session. Any negative id (NoWatch)
// means "no watch"; 0 is an ordinary id.
type WatcherID int64

// NoWatch is the watcher to pass to a read that sets no watch.
const NoWatch WatcherID = -1

// WatchMode is how long a watch lives (WatcherMode).
type WatchMode uint8

// The watch modes: STANDARD watches are one-shot; the two 3.6+ addWatch modes persist.
const (
	watchStandard            WatchMode = 0
	WatchPersistent          WatchMode = 1 // addWatch mode 0: this node, both tables
	WatchPersistentRecursive WatchMode = 2 // addWatch mode 1: this node and all below
)

// AddWatchMode maps the mode field of an addWatch request (AddWatchMode: 0 PERSISTENT,
// 1 PERSISTENT_RECURSIVE) to a WatchMode; ok is false for any other value, which
// ZooKeeper rejects.
func AddWatchMode(mode int32) (m WatchMode, ok bool) {
	switch mode {
	case 0:
		return WatchPersistent, true
	case 1:
		return WatchPersistentRecursive, true
	}
	return 0, false
}

// WatchEvent is one fired watch, to be routed by the server to the watcher's session.
type WatchEvent struct {
	Watcher WatcherID
	Type    EventType
	Path    string
	Zxid    int64 // the txn that fired it; -1 for events made by SetWatches
}

// watchTable is one of ZooKeeper's two WatchManagers (data or child): watchers by path,
// each (watcher, path) pair with a single mode (a later registration replaces the mode,
// as in 3.8 — mixing modes on one path is ZK-4466, fixed in 3.9).
type watchTable struct {
	byPath    map[string]map[WatcherID]WatchMode
	byWatcher map[WatcherID]map[string]struct{}
	recursive int // registrations in recursive mode; 0 lets trigger skip the ancestors
}

func newWatchTable() watchTable {
	return watchTable{byPath: map[string]map[WatcherID]WatchMode{}, byWatcher: map[WatcherID]map[string]struct{}{}}
}

func (w *watchTable) add(path string, id WatcherID, mode WatchMode) {
	ws := w.byPath[path]
	if ws == nil {
		ws = map[WatcherID]WatchMode{}
		w.byPath[path] = ws
	}
	if old, ok := ws[id]; ok && old == WatchPersistentRecursive {
		w.recursive--
	}
	ws[id] = mode
	if mode == WatchPersistentRecursive {
		w.recursive++
	}
	ps := w.byWatcher[id]
	if ps == nil {
		ps = map[string]struct{}{}
		w.byWatcher[id] = ps
	}
	ps[path] = struct{}{}
}

func (w *watchTable) remove(path string, id WatcherID) {
	ws := w.byPath[path]
	if mode, ok := ws[id]; ok {
		if mode == WatchPersistentRecursive {
			w.recursive--
		}
		delete(ws, id)
		if len(ws) == 0 {
			delete(w.byPath, path)
		}
	}
	if ps := w.byWatcher[id]; ps != nil {
		delete(ps, path)
		if len(ps) == 0 {
			delete(w.byWatcher, id)
		}
	}
}

// removeWatcher drops every watch of id (its connection closed).
func (w *watchTable) removeWatcher(id WatcherID) {
	for _, p := range sortedKeys(w.byWatcher[id]) {
		w.remove(p, id)
	}
}

// count returns the number of (watcher, path) registrations.
func (w *watchTable) count() int {
	n := 0
	for _, ws := range w.byPath { //det:unordered-ok counting is order-free
		n += len(ws)
	}
	return n
}

// trigger fires the watches an event on path reaches (WatchManager.triggerWatch):
// watchers on path itself (one-shot ones are removed) and, for every event but
// NodeChildrenChanged, recursive watchers on path's ancestors. Watchers in suppress
// are consumed but not notified. The result is sorted by watcher id.
func (w *watchTable) trigger(path string, typ EventType, suppress []WatcherID) []WatcherID {
	var fired []WatcherID
	for _, at := range w.pathsToCheck(path) {
		ws := w.byPath[at]
		ids := make([]WatcherID, 0, len(ws))
		for id := range ws { //det:unordered-ok sorted below
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			mode := ws[id]
			switch {
			case mode == WatchPersistentRecursive:
				if typ != EventNodeChildrenChanged {
					fired = append(fired, id)
				}
			case at == path:
				fired = append(fired, id)
				if mode == watchStandard {
					w.remove(at, id)
				}
			}
		}
	}
	slices.Sort(fired)
	fired = slices.Compact(fired)
	return slices.DeleteFunc(fired, func(id WatcherID) bool { return slices.Contains(suppress, id) })
}

// pathsToCheck is path, then its ancestors up to "/" when recursive watches exist.
func (w *watchTable) pathsToCheck(path string) []string {
	out := []string{path}
	if w.recursive == 0 {
		return out
	}
	for p := path; p != RootPath; {
		i := strings.LastIndexByte(p, '/')
		p = p[:i]
		if p == "" {
			p = RootPath
		}
		out = append(out, p)
	}
	return out
}

// AddWatch registers a persistent (WatchPersistent) or persistent-recursive
// (WatchPersistentRecursive) watch, as the addWatch request does; the node need not
// exist. Recursive watches live only in the data table.
func (t *Tree) AddWatch(path string, id WatcherID, mode WatchMode) {
	path = canonical(path)
	t.dataWatches.add(path, id, mode)
	if mode != WatchPersistentRecursive {
		t.childWatches.add(path, id, mode)
	}
}

// RemoveWatcher drops every watch of a watcher (its connection or session ended).
func (t *Tree) RemoveWatcher(id WatcherID) {
	t.dataWatches.removeWatcher(id)
	t.childWatches.removeWatcher(id)
}

// WatchCount returns the number of registrations in the data and child tables.
func (t *Tree) WatchCount() (data, child int) { return t.dataWatches.count(), t.childWatches.count() }

// SetWatches re-registers a reconnecting client's watches (setWatches2). Events the
// client missed since relativeZxid are returned instead of registering: NodeDeleted or
// NodeDataChanged for data watches, NodeCreated for exist watches, NodeDeleted or
// NodeChildrenChanged for child watches.
func (t *Tree) SetWatches(id WatcherID, relativeZxid int64, data, exist, child, persistent, recursive []string) []WatchEvent {
	var out []WatchEvent
	emit := func(typ EventType, path string) {
		out = append(out, WatchEvent{Watcher: id, Type: typ, Path: path, Zxid: -1})
	}
	for _, p := range data {
		switch n := t.get(p); {
		case n == nil:
			emit(EventNodeDeleted, p)
		case n.stat.Mzxid > relativeZxid:
			emit(EventNodeDataChanged, p)
		default:
			t.dataWatches.add(canonical(p), id, watchStandard)
		}
	}
	for _, p := range exist {
		if t.get(p) != nil {
			emit(EventNodeCreated, p)
		} else {
			t.dataWatches.add(canonical(p), id, watchStandard)
		}
	}
	for _, p := range child {
		switch n := t.get(p); {
		case n == nil:
			emit(EventNodeDeleted, p)
		case n.stat.Pzxid > relativeZxid:
			emit(EventNodeChildrenChanged, p)
		default:
			t.childWatches.add(canonical(p), id, watchStandard)
		}
	}
	for _, p := range persistent {
		t.AddWatch(p, id, WatchPersistent)
	}
	for _, p := range recursive {
		t.AddWatch(p, id, WatchPersistentRecursive)
	}
	return out
}

// events collects the watch events of one txn.
type events []WatchEvent

func (ev *events) add(ids []WatcherID, typ EventType, path string, zxid int64) {
	for _, id := range ids {
		*ev = append(*ev, WatchEvent{Watcher: id, Type: typ, Path: path, Zxid: zxid})
	}
}

// WatcherType selects the watches removeWatches and checkWatches act on.
type WatcherType int32

// The watcher types of ZooKeeper 3.8 (Watcher.WatcherType).
const (
	WatcherChildren WatcherType = 1
	WatcherData     WatcherType = 2
	WatcherAny      WatcherType = 3
)

// tablesFor returns the tables a watcher type covers, child table first as in DataTree.
func (t *Tree) tablesFor(typ WatcherType) []*watchTable {
	switch typ {
	case WatcherChildren:
		return []*watchTable{&t.childWatches}
	case WatcherData:
		return []*watchTable{&t.dataWatches}
	case WatcherAny:
		return []*watchTable{&t.childWatches, &t.dataWatches}
	}
	return nil
}

// CheckWatches answers the checkWatches request: OK if id has a watch of that type on
// path (any mode), NoWatcher if not, BadArguments for an unknown type.
func (t *Tree) CheckWatches(path string, typ WatcherType, id WatcherID) Code {
	tables := t.tablesFor(typ)
	if tables == nil {
		return BadArguments
	}
	for _, w := range tables {
		if _, ok := w.byPath[canonical(path)][id]; ok {
			return OK
		}
	}
	return NoWatcher
}

// RemoveWatches answers the removeWatches request: it drops id's watches of that type
// on path (any mode) and returns OK, or NoWatcher if there were none. The client makes
// the DataWatchRemoved/ChildWatchRemoved events itself; the server sends none.
func (t *Tree) RemoveWatches(path string, typ WatcherType, id WatcherID) Code {
	tables := t.tablesFor(typ)
	if tables == nil {
		return BadArguments
	}
	removed := false
	for _, w := range tables {
		if _, ok := w.byPath[canonical(path)][id]; ok {
			w.remove(canonical(path), id)
			removed = true
		}
	}
	if !removed {
		return NoWatcher
	}
	return OK
}
