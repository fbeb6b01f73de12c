package datatree

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixtureDir is the recorded ZooKeeper 3.8.0 data, beside the project root.
var fixtureDir = filepath.Join("..", "..", "shared", "fixtures", "zookeeper-3.8.0")

// traceLine is one line of an api-trace trace.jsonl.
type traceLine struct {
	Session    string      `json:"session"`
	Op         string      `json:"op"`
	Path       string      `json:"path"`
	Data       *string     `json:"data"`
	Mode       string      `json:"mode"`
	Version    *int32      `json:"version"`
	Err        string      `json:"err"`
	ResultPath string      `json:"result_path"`
	ResultData *string     `json:"result_data"`
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

// answer is what one line's operation returned; expected and actual are compared whole.
type answer struct {
	Err        string
	ResultPath string
	ResultData *string
	Children   []string
	Stat       *traceStat
	SubErrs    []string
}

// logRecord is one entry of the fixture's txn log: its zxid and body.
type logRecord struct {
	zxid int64
	body []byte
}

// readFixtureLog parses a ZooKeeper txn log file (header, then checksum, length, body,
// 'B' per record, until zero padding). It is deliberately independent of package wal.
func readFixtureLog(t testing.TB, path string) map[int64][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]byte{}
	for off := 16; off+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[off+8:]))
		if n == 0 {
			break
		}
		body := b[off+12 : off+12+n]
		out[int64(binary.BigEndian.Uint64(body[12:]))] = body
		off += 12 + n + 1
	}
	return out
}

// fixtureSessions plays the server's session tracker: every session it was told about
// is live.
type fixtureSessions map[int64]bool

func (s fixtureSessions) CheckSession(id int64) Code {
	if s[id] {
		return OK
	}
	return SessionExpired
}
func (s fixtureSessions) CheckGlobalSession(id int64) Code { return s.CheckSession(id) }

// replayer drives prep+apply like a standalone server, taking each write's session id,
// cxid and time from the recorded log so the prepped entry can be compared byte for byte.
type replayer struct {
	t        *testing.T
	tree     *Tree
	prep     *Prepper
	live     fixtureSessions
	sessions map[string]int64 // "A", "B" -> id
	log      map[int64][]byte
	zxid     int64
}

func newReplayer(t *testing.T, dir string) *replayer {
	r := &replayer{t: t, tree: New(), live: fixtureSessions{}, sessions: map[string]int64{},
		log: readFixtureLog(t, filepath.Join(dir, "version-2", "log.1"))}
	r.prep = NewPrepper(r.tree, r.live)
	r.openSession("A")
	r.openSession("B")
	return r
}

// write preps req at the next zxid, checks the entry against the log, applies it.
func (r *replayer) write(req Request) (Result, error) {
	r.zxid++
	logged, ok := r.log[r.zxid]
	if !ok {
		return Result{}, fmt.Errorf("no logged txn at zxid %#x", r.zxid)
	}
	var hdr TxnHeader
	hdr.Decode(jutedec(logged))
	req.Cxid = hdr.Cxid
	if req.Type != OpCreateSession {
		req.SessionID = hdr.ClientID
	}
	entry := r.prep.Prep(&req, r.zxid, hdr.Time)
	if got := MarshalEntry(&entry); !bytes.Equal(got, logged) {
		want, err := DecodeEntry(logged, 0)
		return Result{}, fmt.Errorf("zxid %#x: prepped entry differs from the log (err %v):\n%s", r.zxid, err,
			cmp.Diff(want, entry))
	}
	res := r.tree.ProcessEntry(&entry)
	r.prep.Applied(r.zxid)
	if res.DigestMismatch {
		return res, fmt.Errorf("zxid %#x: digest mismatch after apply", r.zxid)
	}
	return res, nil
}

func (r *replayer) openSession(name string) {
	var hdr TxnHeader
	hdr.Decode(jutedec(r.log[r.zxid+1]))
	r.sessions[name] = hdr.ClientID
	r.live[hdr.ClientID] = true
	if _, err := r.write(Request{Type: OpCreateSession, SessionID: hdr.ClientID, TimeoutMs: 10000}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *replayer) stat(s Stat) *traceStat {
	owner := "none"
	for name, id := range r.sessions { //det:unordered-ok ids are distinct
		if s.EphemeralOwner == id {
			owner = name
		}
	}
	if s.EphemeralOwner != 0 && owner == "none" {
		owner = fmt.Sprintf("%#x", s.EphemeralOwner)
	}
	return &traceStat{Czxid: s.Czxid, Mzxid: s.Mzxid, Pzxid: s.Pzxid, Version: s.Version, Cversion: s.Cversion,
		Aversion: s.Aversion, EphemeralOwnerIsSession: owner, DataLength: s.DataLength, NumChildren: s.NumChildren}
}

func codeName(c Code) string { return c.String() }

// request builds the Request of a trace line (or multi sub-op).
func request(l *traceLine) (Request, error) {
	req := Request{Path: l.Path, Version: -1, ACL: OpenACLUnsafe}
	if l.Data != nil {
		req.Data = []byte(*l.Data)
	}
	if l.Version != nil {
		req.Version = *l.Version
	}
	switch l.Op {
	case "create":
		mode, err := ParseCreateMode(l.Mode)
		if err != nil {
			return req, err
		}
		req.Type, req.Mode = OpCreate, mode
		if mode == Container {
			req.Type = OpCreateContainer
		}
	case "delete":
		req.Type = OpDelete
	case "setData":
		req.Type = OpSetData
	case "check":
		req.Type = OpCheck
	default:
		return req, fmt.Errorf("unknown write op %q", l.Op)
	}
	return req, nil
}

// run performs one line and returns the answer in the trace's terms.
func (r *replayer) run(l *traceLine) (answer, error) {
	var a answer
	switch l.Op {
	case "getData":
		data, st, code := r.tree.GetData(l.Path, NoWatch)
		a.Err, a.Stat = codeName(code), r.stat(st)
		if code == OK {
			s := string(data)
			a.ResultData = &s
		}
	case "exists":
		st, code := r.tree.Exists(l.Path, NoWatch)
		a.Err = "OK"
		if code == NoNode {
			a.Err = "OK(absent)"
		} else {
			a.Stat = r.stat(st)
		}
	case "getChildren":
		children, st, code := r.tree.GetChildren(l.Path, NoWatch)
		a.Err, a.Stat = codeName(code), r.stat(st)
		if len(children) > 0 {
			a.Children = children
		}
	case "closeSession":
		id := r.sessions[l.Session]
		res, err := r.write(Request{Type: OpCloseSession, SessionID: id})
		if err != nil {
			return a, err
		}
		delete(r.live, id)
		a.Err = codeName(res.Err)
		r.openSession(l.Session)
	case "multi":
		req := Request{Type: OpMulti}
		for i := range l.Ops {
			sub, err := request(&l.Ops[i])
			if err != nil {
				return a, err
			}
			req.Ops = append(req.Ops, sub)
		}
		res, err := r.write(req)
		if err != nil {
			return a, err
		}
		a.Err = codeName(res.Err)
		for _, sub := range res.Multi {
			a.SubErrs = append(a.SubErrs, codeName(sub.Err))
		}
	default:
		req, err := request(l)
		if err != nil {
			return a, err
		}
		res, err := r.write(req)
		if err != nil {
			return a, err
		}
		a.Err = codeName(res.Err)
		switch {
		case l.Op == "create" && res.Err == OK:
			a.ResultPath = res.Path
		case l.Op == "setData":
			st := Stat{}
			if res.Stat != nil {
				st = *res.Stat
			}
			a.Stat = r.stat(st)
		}
	}
	return a, nil
}

func expected(l *traceLine) answer {
	a := answer{Err: l.Err, ResultPath: l.ResultPath, ResultData: l.ResultData, Children: l.Children, Stat: l.Stat}
	for _, s := range l.SubErrs {
		a.SubErrs = append(a.SubErrs, strings.TrimSpace(s))
	}
	return a
}

// TestConformanceAPITrace replays every recorded operation through prep+apply and
// matches every answer of the real server, and every prepped txn against the bytes
// the real server logged (digests included).
func TestConformanceAPITrace(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(fixtureDir, "api-trace-*"))
	if len(dirs) == 0 {
		t.Fatalf("no api-trace fixtures under %s", fixtureDir)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			replayTrace(t, dir)
		})
	}
}

func replayTrace(t *testing.T, dir string) {
	f, err := os.Open(filepath.Join(dir, "trace.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := newReplayer(t, dir)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	matched, skipped := 0, 0
	for lineNo := 1; sc.Scan(); lineNo++ {
		var l traceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", lineNo, err)
		}
		if l.Err == "INVALIDPATH(client)" {
			skipped++
			continue
		}
		got, err := r.run(&l)
		if err != nil {
			t.Fatalf("line %d (%s): %v", lineNo, sc.Text(), err)
		}
		if diff := cmp.Diff(expected(&l), got); diff != "" {
			t.Fatalf("line %d: %s\nanswer differs from ZooKeeper (-want +got):\n%s", lineNo, sc.Text(), diff)
		}
		matched++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(r.log) != int(r.zxid) {
		t.Errorf("replay used %d zxids, the log holds %d txns", r.zxid, len(r.log))
	}
	t.Logf("%d lines matched, %d client-side INVALIDPATH lines skipped", matched, skipped)
}
