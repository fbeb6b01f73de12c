package checker

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// The api-trace fixtures are answers a real ZooKeeper 3.8.0 gave to two sessions' calls,
// one at a time. Replayed as a history they must pass every check: the model's error
// precedence, versions, sequential names, Stat fields and multi codes, and the read
// layer's zxid rules, all judged against the real server.

type traceLine struct {
	Session    string      `json:"session"`
	Op         string      `json:"op"`
	Path       string      `json:"path"`
	Data       string      `json:"data"`
	Mode       string      `json:"mode"`
	Version    int32       `json:"version"`
	Err        string      `json:"err"`
	ResultPath string      `json:"result_path"`
	ResultData string      `json:"result_data"`
	Children   []string    `json:"children"`
	Stat       *traceStat  `json:"stat"`
	Ops        []traceLine `json:"ops"`
	SubErrs    []string    `json:"sub_errs"`
}

type traceStat struct {
	Czxid, Mzxid, Pzxid         int64
	Version, Cversion, Aversion int32
	EphemeralOwnerIsSession     string
	DataLength, NumChildren     int32
}

var traceModes = map[string]int32{"PERSISTENT": 0, "EPHEMERAL": 1, "PERSISTENT_SEQUENTIAL": 2,
	"EPHEMERAL_SEQUENTIAL": 3, "CONTAINER": 4}

var traceKinds = map[string]Kind{"create": KindCreate, "delete": KindDelete, "setData": KindSetData,
	"check": KindCheck, "multi": KindMulti, "getData": KindGetData, "exists": KindExists,
	"getChildren": KindGetChildren, "closeSession": KindCloseSession}

func traceErr(t *testing.T, name string) clientproto.ErrCode {
	t.Helper()
	name = strings.TrimSpace(name)
	for code := clientproto.ErrCode(0); code >= -130; code-- {
		if code.String() == name {
			return code
		}
	}
	t.Fatalf("fixture: unknown error name %q", name)
	return 0
}

// traceReplay turns a trace into a history. Calls follow one another (10 ns apart);
// every call that reached the server and writes consumes a zxid, as do the two sessions'
// creation and each session re-creation after a close, so reply zxids can be recomputed.
type traceReplay struct {
	t        *testing.T
	h        History
	sessions map[string]int64
	next     int64 // next session id
	zxid     int64
}

func loadTrace(t *testing.T, dir string) History {
	f, err := os.Open(filepath.Join("..", "..", "shared", "fixtures", "zookeeper-3.8.0", dir, "trace.jsonl"))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	defer f.Close()
	r := &traceReplay{t: t, sessions: map[string]int64{"A": 1, "B": 2}, next: 3, zxid: 2}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var l traceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("fixture %s line %d: %v", dir, line, err)
		}
		r.add(l, line)
	}
	return r.h
}

func (r *traceReplay) add(l traceLine, line int) {
	if strings.HasSuffix(l.Err, "(client)") {
		return // refused by the client library: never sent
	}
	kind, ok := traceKinds[l.Op]
	if !ok {
		r.t.Fatalf("fixture line %d: unknown op %q", line, l.Op)
	}
	t := int64(len(r.h.Ops)) * 10
	o := Op{Session: r.sessions[l.Session], Proc: int(r.sessions[l.Session]), Kind: kind, Path: l.Path,
		Data: []byte(l.Data), Version: l.Version, Flags: traceModes[l.Mode], Call: t, Return: t + 5}
	if kind == KindMulti {
		o.Path = ""
		for _, s := range l.Ops {
			o.SubOps = append(o.SubOps, SubOp{Kind: traceKinds[s.Op], Path: s.Path, Data: []byte(s.Data),
				Version: s.Version, Flags: traceModes[s.Mode]})
		}
		for _, e := range l.SubErrs {
			o.Result.Multi = append(o.Result.Multi, SubResult{Err: traceErr(r.t, e)})
		}
	}
	if kind.IsWrite() {
		r.zxid++
	}
	o.ReplyZxid = r.zxid
	r.setOutcome(&o, l)
	r.h.Ops = append(r.h.Ops, o)
	if kind == KindCloseSession {
		r.sessions[l.Session] = r.next // the trace opens a new session under the same name
		r.next++
		r.zxid++ // its createSession txn
	}
}

func (r *traceReplay) setOutcome(o *Op, l traceLine) {
	switch l.Err {
	case "OK":
		o.Outcome = OutcomeOK
	case "OK(absent)":
		o.Outcome, o.Err = OutcomeError, clientproto.ErrNoNode
		return
	default:
		o.Outcome, o.Err = OutcomeError, traceErr(r.t, l.Err)
		return
	}
	o.Result.CreatedPath, o.Result.Data, o.Result.Children = l.ResultPath, []byte(l.ResultData), l.Children
	if l.Stat != nil && o.Kind != KindCreate {
		o.Result.Stat = &Stat{Czxid: l.Stat.Czxid, Mzxid: l.Stat.Mzxid, Pzxid: l.Stat.Pzxid, Version: l.Stat.Version,
			Cversion: l.Stat.Cversion, Aversion: l.Stat.Aversion, EphemeralOwner: r.sessions[l.Stat.EphemeralOwnerIsSession],
			DataLength: l.Stat.DataLength, NumChildren: l.Stat.NumChildren}
	}
	if o.Kind == KindSetData && o.Result.Stat != nil && o.Result.Stat.Mzxid != o.ReplyZxid {
		r.t.Fatalf("fixture: zxid accounting is off: setData %s has mzxid %d, replay counted %d",
			o.Path, o.Result.Stat.Mzxid, o.ReplyZxid)
	}
}

func TestRealZooKeeperTracesPass(t *testing.T) {
	for _, dir := range []string{"api-trace-11", "api-trace-12"} {
		h := loadTrace(t, dir)
		// The traces ran in well under the container manager's 60 s interval: no
		// container was deleted behind the clients' backs.
		rep := Check(Input{History: h, Options: Options{ContainersPersist: true}})
		if rep.Verdict != VerdictOK || rep.Stats.LinOps < 150 || rep.Stats.ReadsChecked < 100 {
			t.Fatalf("%s: %d ops, stats %+v:\n%s", dir, len(h.Ops), rep.Stats, rep.String())
		}
		// Without the option, the container partitions are reported unchecked, not passed.
		if rep := Check(Input{History: h}); rep.Verdict != VerdictInconclusive || rep.Failed() {
			t.Fatalf("%s without ContainersPersist: %s", dir, rep.String())
		}
		t.Logf("%s: %+v", dir, rep.Stats)
		// And the same trace with one answer changed fails.
		for _, m := range []mutation{
			{"stat version off by one", InvLinearizable, mutateStatVersion},
			{"NodeExists turned into OK", InvLinearizable, mutateNodeExists},
		} {
			bad := History{Ops: slices.Clone(h.Ops)}
			if !m.apply(&bad) {
				t.Fatalf("%s: no place for %s", dir, m.name)
			}
			if rep := Check(Input{History: bad, Options: Options{ContainersPersist: true}}); !rep.Has(m.invariant) {
				t.Fatalf("%s with %s: want %s, got:\n%s", dir, m.name, m.invariant, rep.String())
			}
		}
	}
}

// mutateNodeExists turns a plain create's NodeExists answer into success.
func mutateNodeExists(h *History) bool {
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Kind == KindCreate && o.Outcome == OutcomeError && o.Err == clientproto.ErrNodeExists && !isSequential(o.Flags) {
			o.Outcome, o.Err, o.Result.CreatedPath = OutcomeOK, 0, o.Path
			return true
		}
	}
	return false
}

// The replica oracle reads the TxnHeader at the start of log-entry bodies; check it on the
// bytes a real ZooKeeper 3.8.0 wrote: every entry of api-trace-11's log names a session
// and a zxid that increases by one.
func TestRequestOfRealLogEntries(t *testing.T) {
	log, err := os.ReadFile(filepath.Join("..", "..", "shared", "fixtures", "zookeeper-3.8.0", "api-trace-11", "version-2", "log.1"))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	const fileHeader = 16 // magic, version, dbid
	sessions := map[int64]bool{}
	want := int64(1)
	for off := fileHeader; off+12 <= len(log); {
		n := int(binary.BigEndian.Uint32(log[off+8:]))
		if n == 0 {
			break // preallocated zero padding
		}
		body := log[off+12 : off+12+n]
		id, ok := requestOf(want, body)
		if !ok {
			t.Fatalf("entry at offset %d: header does not carry zxid %d", off, want)
		}
		sessions[id.session] = true
		want++
		off += 12 + n + 1 // checksum, length, body, 'B'
	}
	if want < 100 || len(sessions) < 2 {
		t.Fatalf("read %d entries from %d sessions; the fixture has more", want-1, len(sessions))
	}
}
