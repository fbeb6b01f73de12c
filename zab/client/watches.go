package client

import (
	"slices"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

type watchKind int

const (
	watchData  watchKind = iota // getData, exists on an existing node
	watchExist                  // exists on an absent node
	watchChild                  // getChildren
)

// watchTable is the client's registry of one-shot watches (ZKWatchManager).
type watchTable struct {
	byKind [3]map[string][]Watcher
}

func newWatchTable() watchTable {
	return watchTable{byKind: [3]map[string][]Watcher{{}, {}, {}}}
}

func (t *watchTable) add(k watchKind, path string, w Watcher) {
	t.byKind[k][path] = append(t.byKind[k][path], w)
}

func (t *watchTable) empty() bool {
	return len(t.byKind[0])+len(t.byKind[1])+len(t.byKind[2]) == 0
}

// fire removes and returns the watchers an event triggers (reference §6): created and
// data-changed wake data and exist watches; deleted wakes all three; children-changed
// wakes child watches.
func (t *watchTable) fire(ev cp.WatcherEvent) []Watcher {
	var kinds []watchKind
	switch ev.Type {
	case cp.EventNodeCreated, cp.EventNodeDataChanged:
		kinds = []watchKind{watchData, watchExist}
	case cp.EventNodeDeleted:
		kinds = []watchKind{watchData, watchExist, watchChild}
	case cp.EventNodeChildrenChanged:
		kinds = []watchKind{watchChild}
	}
	var out []Watcher
	for _, k := range kinds {
		out = append(out, t.byKind[k][ev.Path]...)
		delete(t.byKind[k], ev.Path)
	}
	return out
}

// paths returns kind k's watched paths, sorted.
func (t *watchTable) paths(k watchKind) []string {
	ps := make([]string, 0, len(t.byKind[k]))
	for p := range t.byKind[k] { //det:unordered-ok sorted below
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// setWatches is the request that re-registers every watch on a new connection.
func (t *watchTable) setWatches(lastZxid int64) *cp.SetWatchesRequest {
	return &cp.SetWatchesRequest{RelativeZxid: lastZxid, DataWatches: t.paths(watchData),
		ExistWatches: t.paths(watchExist), ChildWatches: t.paths(watchChild)}
}

// drainAll removes every watcher, in path order (for session expiry).
func (t *watchTable) drainAll() []Watcher {
	var out []Watcher
	for k := range t.byKind {
		for _, p := range t.paths(watchKind(k)) {
			out = append(out, t.byKind[k][p]...)
		}
		t.byKind[k] = map[string][]Watcher{}
	}
	return out
}
