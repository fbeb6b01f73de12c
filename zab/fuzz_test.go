package zab

import (
	"testing"
)

// FuzzPeerPackets feeds arbitrary quorum packets to an established leader (as a new
// learner connection) and to a follower (as if from its leader): a malformed or
// out-of-order packet must end that connection or role, never panic.
func FuzzPeerPackets(f *testing.F) {
	f.Add(int32(PacketFollowerInfo), int64(0), []byte{0, 0, 0, 0, 0, 0, 0, 1}, int32(PacketAckEpoch), []byte{0, 0, 0, 1})
	f.Add(int32(PacketRequest), int64(5), []byte{1, 2, 3}, int32(PacketCommit), []byte(nil))
	f.Add(int32(PacketSnap), int64(1<<32), []byte{0, 0, 0, 9, 1}, int32(PacketProposal), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(int32(PacketRevalidate), int64(-1), []byte{}, int32(PacketPing), []byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 8})
	f.Fuzz(func(t *testing.T, t1 int32, zxid int64, d1 []byte, t2 int32, d2 []byte) {
		w := newWorld(t, 3, V3_9_3)
		w.startAll()
		if !w.runUntil(10*tickNs, w.allServing) {
			t.Fatal("no leader without any fault")
		}
		l := w.leader()
		const conn = ConnID(1 << 40)
		w.run(l, w.servers[l].OnPeerConnected(w.now, conn, 1, Quorum, false))
		for _, p := range []QuorumPacket{{Type: PacketType(t1), Zxid: zxid, Data: d1}, {Type: PacketType(t2), Zxid: zxid + 1, Data: d2}} {
			if s := w.servers[l]; s != nil {
				w.run(l, s.OnPeerMessage(w.now, conn, p))
			}
		}
		fo := aFollower(w)
		if s := w.servers[fo]; s != nil && s.follow != nil && s.follow.conn != 0 {
			c := s.follow.conn
			for _, p := range []QuorumPacket{{Type: PacketType(t1), Zxid: zxid, Data: d1}, {Type: PacketType(t2), Zxid: zxid, Data: d2}} {
				if s := w.servers[fo]; s != nil {
					w.run(fo, s.OnPeerMessage(w.now, c, p))
				}
			}
		}
		w.runFor(tickNs)
	})
}
