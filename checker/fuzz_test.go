package checker

import (
	"testing"

	"github.com/zabsim/zabsim/zab/clientproto"
)

var fuzzPaths = []string{"/t", "/t/k", "/t/k/a", "/t/k/a/x", "/t/k/q-", "/t/k/q-0000000000", "/t/k/q-0000000001", "/", "bad", "/t/"}

// historyFromBytes decodes arbitrary bytes into a history: 9 bytes per op. Anything goes,
// including histories no recorder would write.
func historyFromBytes(data []byte) History {
	var h History
	t := int64(0)
	for len(data) >= 9 {
		b := data[:9]
		data = data[9:]
		t += int64(b[6] % 16)
		o := Op{Session: int64(b[0]%4) + 1, Proc: int(b[0] % 8), Kind: Kind(b[1] % 13), Path: fuzzPaths[int(b[2])%len(fuzzPaths)],
			Data: []byte{b[3] % 4}, Version: int32(b[4]%4) - 1, Flags: int32(b[5] % 5), Call: t, Return: t + int64(b[7]%32),
			Outcome: Outcome(b[8] % 4), ReplyZxid: int64(b[8] / 4)}
		if o.Outcome == OutcomeError {
			o.Err = []clientproto.ErrCode{clientproto.ErrNoNode, clientproto.ErrNodeExists, clientproto.ErrBadVersion,
				clientproto.ErrNotEmpty, clientproto.ErrConnectionLoss, clientproto.ErrSessionMoved}[b[3]%6]
		}
		if o.Kind == KindMulti {
			o.SubOps = []SubOp{{Kind: Kind(b[4] % 13), Path: o.Path, Version: o.Version, Flags: o.Flags},
				{Kind: KindSetData, Path: fuzzPaths[int(b[5])%len(fuzzPaths)], Data: o.Data, Version: -1}}
		}
		if o.Kind == KindCreate && b[7]%2 == 0 {
			o.Result.CreatedPath = fuzzPaths[int(b[7])%len(fuzzPaths)]
		}
		if b[5]%3 == 0 {
			o.Result.Stat = &Stat{Version: int32(b[4] % 3), Mzxid: int64(b[3]), Czxid: int64(b[2] % 8), DataLength: 1}
		}
		if o.Kind == KindGetChildren {
			o.Result.Children = []string{"a", "q-0000000000"}[:b[3]%3%2]
		}
		h.Ops = append(h.Ops, o)
	}
	return h
}

// FuzzCheck: no history, however malformed, makes Check panic, and the report is the
// same on every run (Porcupine runs partitions in parallel; the report must not depend on
// it).
func FuzzCheck(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 1, 2, 0, 0, 0, 1, 5, 1, 1, 3, 2, 1, 0, 0, 1, 5, 1})
	f.Add([]byte{2, 1, 4, 1, 0, 2, 1, 2, 5, 2, 1, 4, 1, 0, 2, 1, 2, 9, 3, 4, 4, 2, 1, 0, 3, 3, 13})
	f.Add([]byte{1, 5, 2, 2, 1, 0, 1, 8, 2, 1, 2, 2, 0, 0, 0, 2, 8, 5, 1, 7, 1, 0, 0, 0, 1, 1, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 9*40 {
			data = data[:9*40]
		}
		h := historyFromBytes(data)
		a := Check(Input{History: h})
		b := Check(Input{History: h})
		if a.String() != b.String() || a.Verdict < VerdictOK || a.Verdict > VerdictCrash {
			t.Fatalf("unstable or invalid report:\n%s\nvs\n%s", a.String(), b.String())
		}
	})
}

// FuzzReplicaEvents: arbitrary event streams and txn bodies never make the replica
// checker panic.
func FuzzReplicaEvents(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 2, 1, 3, 2, 4, 1})
	f.Add(txnHeader(5, 7, 1<<32|1))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReplicas()
		for i := 0; i+1 < len(data); i += 2 {
			server, zxid := int(data[i]%4), int64(data[i+1]%16)|1<<32
			switch data[i] % 7 {
			case 0:
				r.LeaderEstablished(server, int64(data[i+1]%3), int64(i))
			case 1:
				r.Committed(server, zxid, data[i:], uint64(data[i+1]%3), data[i]%2 == 0, int64(i))
			case 2:
				r.Logged(server, zxid, data[:i], int64(i))
			case 3:
				r.Recovered(server, zxid, uint64(data[i+1]%3), true, int64(i))
			case 4:
				r.Epoch(server, EpochKind(data[i+1]%3), int64(data[i+1]%5), int64(i))
			case 5:
				r.SessionClosed(int64(data[i+1]%3), zxid)
			case 6:
				r.Ephemerals(server, zxid, []EphemeralNode{{Path: "/e", Owner: int64(data[i+1] % 3)}}, int64(i))
			}
		}
		_ = r.Failures()
		_, _ = r.CommittedRequest(5, 7)
		_ = Check(Input{Replicas: r})
	})
}
