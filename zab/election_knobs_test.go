package zab

import (
	"math/rand/v2"
	"testing"

	"github.com/zabsim/zabsim/zab/fle"
)

// startServer builds server id of w from its fake disk (epochs overridden) and starts it.
func startServer(t *testing.T, w *tworld, id int64, v Variant, epoch int64) (*Server, []Effect) {
	t.Helper()
	rec := w.recovered(id)
	rec.AcceptedEpoch, rec.CurrentEpoch = epoch, epoch
	s, err := NewServer(w.cfg, id, rec, Options{Variant: v, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Start(0)
}

// zoo.cfg's fastleader.minNotificationInterval and cnxTimeout reach the election: the
// first poll timeout and the connect timeout of the first dial use them.
func TestElectionKnobsFromConfig(t *testing.T) {
	w := newWorldCfg(t, 3, V3_9_3, "fastleader.minNotificationInterval=50\nfastleader.maxNotificationInterval=400\ncnxTimeout=1200\n")
	s, effs := startServer(t, w, 1, V3_9_3, 0)
	if s.p.electionMaxNotificationMs != 400 {
		t.Fatalf("maxNotificationInterval %d, want 400", s.p.electionMaxNotificationMs)
	}
	var poll, connect int64
	for _, e := range effs {
		if st, ok := e.(SetTimer); ok {
			switch st.ID {
			case timerElection:
				poll = st.At
			case timerElectionConnect:
				connect = st.At
			}
		}
	}
	if poll != 50_000_000 || connect != 1_200_000_000 {
		t.Fatalf("poll timer at %dns, connect timer at %dns; want 50ms and 1200ms (effects %v)", poll, connect, effs)
	}
}

// Variant PreZK1419 gives the election ZooKeeper 3.4.3's vote order: a vote for a
// larger sid with the same zxid wins even from an older epoch (ZK-1419); the total order
// keeps the newer epoch's vote.
func TestPreZK1419VariantVoteOrder(t *testing.T) {
	for _, tc := range []struct {
		v       Variant
		switchs bool
	}{{V3_9_3, false}, {PreZK1419, true}} {
		w := newWorld(t, 3, tc.v)
		s, _ := startServer(t, w, 1, tc.v, 2)
		s.OnDialFailed(0, 2, Election) // the sender's dials fail; 2 and 3 dial us instead
		s.OnDialFailed(0, 3, Election)
		for _, peer := range []int64{2, 3} {
			conn := ConnID(70 + peer)
			s.OnPeerConnected(0, conn, 0, Election, false)
			s.OnPeerMessage(0, conn, fle.Handshake{ProtocolVersion: fle.ProtocolVersionV1, Sid: peer, Addr: "zk:3888"}.Marshal())
		}
		effs := s.OnPeerMessage(1, ConnID(73), fle.Notification{State: fle.Looking, Leader: 3, Zxid: 0, ElectionEpoch: 1,
			PeerEpoch: 1, Version: fle.CurrentVersion}.Marshal())
		switched := false
		for _, e := range effs {
			if snd, ok := e.(Send); ok {
				if b, ok := snd.Msg.([]byte); ok {
					if n, err := fle.ParseNotification(b); err == nil && n.State == fle.Looking && n.Leader == 3 {
						switched = true
					}
				}
			}
		}
		if switched != tc.switchs {
			t.Errorf("variant %v: switched to the epoch-1 vote for 3: %v, want %v (effects %v)", tc.v, switched, tc.switchs, effs)
		}
	}
}
