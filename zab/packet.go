package zab

import (
	"fmt"

	"github.com/zabsim/zabsim/internal/jute"
)

// PacketType is a QuorumPacket type number, as in ZooKeeper's Leader class.
type PacketType int32

// ZooKeeper's quorum packet types (§1 of the reference).
const (
	PacketRequest           PacketType = 1
	PacketProposal          PacketType = 2
	PacketAck               PacketType = 3
	PacketCommit            PacketType = 4
	PacketPing              PacketType = 5
	PacketRevalidate        PacketType = 6
	PacketSync              PacketType = 7
	PacketInform            PacketType = 8
	PacketCommitAndActivate PacketType = 9
	PacketNewLeader         PacketType = 10
	PacketFollowerInfo      PacketType = 11
	PacketUpToDate          PacketType = 12
	PacketDiff              PacketType = 13
	PacketTrunc             PacketType = 14
	PacketSnap              PacketType = 15
	PacketObserverInfo      PacketType = 16
	PacketLeaderInfo        PacketType = 17
	PacketAckEpoch          PacketType = 18
	PacketInformAndActivate PacketType = 19
)

var packetNames = map[PacketType]string{
	PacketRequest: "REQUEST", PacketProposal: "PROPOSAL", PacketAck: "ACK", PacketCommit: "COMMIT",
	PacketPing: "PING", PacketRevalidate: "REVALIDATE", PacketSync: "SYNC", PacketInform: "INFORM",
	PacketCommitAndActivate: "COMMITANDACTIVATE", PacketNewLeader: "NEWLEADER",
	PacketFollowerInfo: "FOLLOWERINFO", PacketUpToDate: "UPTODATE", PacketDiff: "DIFF",
	PacketTrunc: "TRUNC", PacketSnap: "SNAP", PacketObserverInfo: "OBSERVERINFO",
	PacketLeaderInfo: "LEADERINFO", PacketAckEpoch: "ACKEPOCH", PacketInformAndActivate: "INFORMANDACTIVATE",
}

func (t PacketType) String() string {
	if n, ok := packetNames[t]; ok {
		return n
	}
	return fmt.Sprintf("UNKNOWN(%d)", int32(t))
}

// QuorumPacket is the message of the quorum channel (jute: int type, long zxid, buffer
// data, vector<Id> authinfo — always null here).
type QuorumPacket struct {
	Type PacketType
	Zxid int64
	Data []byte
}

func (p QuorumPacket) String() string {
	return fmt.Sprintf("%v zxid=0x%x len=%d", p.Type, p.Zxid, len(p.Data))
}

// Size is the packet's encoded size in bytes (what the network model charges).
func (p QuorumPacket) Size() int { return 4 + 8 + 4 + len(p.Data) + 4 }

// Encode returns the packet's jute bytes.
func (p QuorumPacket) Encode() []byte {
	var e jute.Encoder
	e.Int(int32(p.Type))
	e.Long(p.Zxid)
	e.Buffer(p.Data)
	e.Int(-1) // authinfo: null vector
	return e.Bytes()
}

// DecodeQuorumPacket parses one packet's jute bytes. It rejects unknown types, a non-null
// authinfo it cannot skip, and trailing bytes.
func DecodeQuorumPacket(b []byte) (QuorumPacket, error) {
	d := jute.NewDecoder(b, 0)
	p := QuorumPacket{Type: PacketType(d.Int("QuorumPacket.type"))}
	p.Zxid = d.Long("QuorumPacket.zxid")
	p.Data = d.Buffer("QuorumPacket.data")
	n := d.VectorLen("QuorumPacket.authinfo", 8)
	for i := 0; i < n && d.Err() == nil; i++ {
		d.String("Id.scheme")
		d.String("Id.id")
	}
	if err := d.Err(); err != nil {
		return QuorumPacket{}, errorf("decode quorum packet: %v", err)
	}
	if _, ok := packetNames[p.Type]; !ok {
		return QuorumPacket{}, errorf("decode quorum packet: unknown type %d at offset 0", int32(p.Type))
	}
	if d.Remaining() != 0 {
		return QuorumPacket{}, errorf("decode quorum packet: %d trailing bytes at offset %d", d.Remaining(), d.Offset())
	}
	return p, nil
}

// Zxid helpers (ZxidUtils).
func makeZxid(epoch, counter int64) int64 { return epoch<<32 | (counter & 0xffffffff) }
func epochOf(zxid int64) int64            { return zxid >> 32 }
func counterOf(zxid int64) int64          { return zxid & 0xffffffff }

// MakeZxid returns epoch<<32 | counter.
func MakeZxid(epoch, counter int64) int64 { return makeZxid(epoch, counter) }

func errorf(format string, args ...any) error {
	return fmt.Errorf("zab: "+format, args...)
}

// intBytes is a jute int (LEADERINFO / ACKEPOCH payloads).
func intBytes(v int32) []byte {
	var e jute.Encoder
	e.Int(v)
	return e.Bytes()
}

func decodeInt(b []byte, what string) (int32, error) {
	d := jute.NewDecoder(b, 0)
	v := d.Int(what)
	if err := d.Err(); err != nil {
		return 0, errorf("%v", err)
	}
	return v, nil
}
