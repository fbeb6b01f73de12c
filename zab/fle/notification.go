package fle

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zabsim/zabsim/internal/jute"
)

// State is a server's election state as carried in notifications (QuorumPeer.ServerState
// ordinals).
type State int32

const (
	Looking   State = 0
	Following State = 1
	Leading   State = 2
	Observing State = 3
)

func (s State) String() string {
	switch s {
	case Looking:
		return "LOOKING"
	case Following:
		return "FOLLOWING"
	case Leading:
		return "LEADING"
	case Observing:
		return "OBSERVING"
	}
	return "STATE(" + strconv.Itoa(int(s)) + ")"
}

// CurrentVersion is the notification format version ZooKeeper 3.5+ sends (0x2: with the
// sender's quorum configuration).
const CurrentVersion = 2

// Notification sizes: the legacy 28-byte form (no peerEpoch, pre ZK-107), the 40-byte form
// (peerEpoch, then 4 bytes read as no version), and the current form's fixed part.
const (
	legacySize28   = 28
	legacySize40   = 40
	currentMinSize = 44
)

// Notification is one FLE message (FastLeaderElection.Notification / ToSend).
type Notification struct {
	State         State
	Leader        int64 // proposed leader
	Zxid          int64 // proposed leader's last zxid
	ElectionEpoch int64 // the sender's logicalclock ("round")
	PeerEpoch     int64 // proposed leader's epoch
	// Version is 0 for the legacy 28/40-byte forms, CurrentVersion otherwise.
	Version int32
	// Config is the sender's quorum verifier text (version > 1 only).
	Config []byte
}

// Vote returns the vote this notification carries.
func (n Notification) Vote() Vote {
	return Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch}
}

// Marshal encodes n in the current format: int state, long leader, long zxid, long
// electionEpoch, long peerEpoch, int version (CurrentVersion), int configLength, config.
func (n Notification) Marshal() []byte {
	e := jute.Encoder{Buf: make([]byte, 0, currentMinSize+len(n.Config))}
	e.Int(int32(n.State))
	e.Long(n.Leader)
	e.Long(n.Zxid)
	e.Long(n.ElectionEpoch)
	e.Long(n.PeerEpoch)
	e.Int(CurrentVersion)
	e.Int(int32(len(n.Config)))
	e.Raw(n.Config)
	return e.Bytes()
}

// ParseNotification decodes a notification as WorkerReceiver does: fewer than 28 bytes is
// an error; exactly 28 bytes is the legacy form whose peerEpoch is derived from the zxid;
// exactly 40 bytes carries peerEpoch but no version; anything longer carries a version and,
// for version > 1, a length-prefixed config. Bytes after the config are ignored, as in
// ZooKeeper. An unknown state is an error (ZooKeeper drops such a message).
func ParseNotification(b []byte) (Notification, error) {
	if len(b) < legacySize28 {
		return Notification{}, fmt.Errorf("fle: notification of %d bytes is shorter than %d", len(b), legacySize28)
	}
	d := jute.NewDecoder(b, 0)
	n := Notification{
		State:         State(d.Int("state")),
		Leader:        d.Long("leader"),
		Zxid:          d.Long("zxid"),
		ElectionEpoch: d.Long("electionEpoch"),
	}
	switch {
	case len(b) == legacySize28:
		n.PeerEpoch = n.Zxid >> 32
	case len(b) == legacySize40:
		n.PeerEpoch = d.Long("peerEpoch")
	default:
		n.PeerEpoch = d.Long("peerEpoch")
		n.Version = d.Int("version")
		if n.Version > 1 {
			n.Config = d.Buffer("config")
			if d.Err() == nil && n.Config == nil {
				d.Fail("config length -1")
			}
		}
	}
	if err := d.Err(); err != nil {
		return Notification{}, fmt.Errorf("fle: notification of %d bytes: %v", len(b), err)
	}
	if n.State < Looking || n.State > Observing {
		return Notification{}, fmt.Errorf("fle: notification with unknown state %d", int32(n.State))
	}
	return n, nil
}

// Election-channel protocol versions (QuorumCnxManager.PROTOCOL_VERSION_V1/V2). ZooKeeper
// 3.8 sends V1 unless multiAddress.enabled.
const (
	ProtocolVersionV1 int64 = -65536
	ProtocolVersionV2 int64 = -65535
	// maxHandshakeAddrBytes is InitialMessage's bound on the address string.
	maxHandshakeAddrBytes = 4096
	// MaxFrameBytes is QuorumCnxManager.PACKETMAXSIZE: a larger (or empty) frame closes the
	// connection.
	MaxFrameBytes = 512 * 1024
)

// Handshake is the initial message the dialing side sends on a new election connection:
// long protocolVersion, long sid, int length + "host:port" (V2: addresses joined by '|').
// A non-negative first long is the pre-3.5 form: just the sid.
type Handshake struct {
	ProtocolVersion int64
	Sid             int64
	Addr            string
}

// Marshal encodes the handshake in the V1/V2 form (or the bare sid for a non-negative
// ProtocolVersion).
func (h Handshake) Marshal() []byte {
	var e jute.Encoder
	if h.ProtocolVersion >= 0 {
		e.Long(h.Sid)
		return e.Bytes()
	}
	e.Long(h.ProtocolVersion)
	e.Long(h.Sid)
	e.String(h.Addr)
	return e.Bytes()
}

// ParseHandshake decodes an initial message as QuorumCnxManager.handleConnection does.
func ParseHandshake(b []byte) (Handshake, error) {
	d := jute.NewDecoder(b, 0)
	h := Handshake{ProtocolVersion: d.Long("protocol version")}
	if d.Err() == nil && h.ProtocolVersion >= 0 {
		h.Sid = h.ProtocolVersion
		return h, nil
	}
	if d.Err() == nil && h.ProtocolVersion != ProtocolVersionV1 && h.ProtocolVersion != ProtocolVersionV2 {
		return Handshake{}, fmt.Errorf("fle: handshake: unrecognized protocol version %d", h.ProtocolVersion)
	}
	h.Sid = d.Long("sid")
	addrLen := d.Int("address length")
	if d.Err() == nil && (addrLen <= 0 || addrLen > maxHandshakeAddrBytes) {
		return Handshake{}, fmt.Errorf("fle: handshake: unreasonable address length %d", addrLen)
	}
	addr := d.Raw(int(addrLen), "address")
	if err := d.Err(); err != nil {
		return Handshake{}, fmt.Errorf("fle: handshake: %v", err)
	}
	h.Addr = string(addr)
	if err := checkHandshakeAddrs(h); err != nil {
		return Handshake{}, err
	}
	return h, nil
}

// checkHandshakeAddrs requires "host:port" (V2: one or more joined by '|').
func checkHandshakeAddrs(h Handshake) error {
	addrs := []string{h.Addr}
	if h.ProtocolVersion == ProtocolVersionV2 {
		addrs = strings.Split(h.Addr, "|")
	}
	for _, a := range addrs {
		i := strings.LastIndex(a, ":")
		if i <= 0 {
			return fmt.Errorf("fle: handshake: address %q is not host:port", a)
		}
		if port, err := strconv.Atoi(a[i+1:]); err != nil || port < 1 || port > 65535 {
			return fmt.Errorf("fle: handshake: address %q has no valid port", a)
		}
	}
	return nil
}
