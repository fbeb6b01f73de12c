package fle

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustHex decodes hex written in groups; on a line with a comment column (two or more
// spaces after the hex) the comment is ignored.
func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	var digits []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(strings.TrimSpace(line), "  "); i >= 0 {
			line = strings.TrimSpace(line)[:i]
		}
		digits = append(digits, strings.Fields(line)...)
	}
	b, err := hex.DecodeString(strings.Join(digits, ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The current (version 2) layout, byte by byte as FastLeaderElection.buildMsg writes it.
func TestNotificationGoldenBytes(t *testing.T) {
	n := Notification{State: Following, Leader: 3, Zxid: 0x100000005, ElectionEpoch: 2, PeerEpoch: 1,
		Version: CurrentVersion, Config: []byte("version=0")}
	want := mustHex(t, `
		00000001                 state FOLLOWING
		0000000000000003         proposed leader
		0000000100000005         zxid
		0000000000000002         electionEpoch
		0000000000000001         peerEpoch
		00000002                 version
		00000009                 config length
		76657273696f6e3d30       "version=0"`)
	if got := n.Marshal(); !bytes.Equal(got, want) {
		t.Fatalf("marshal\n got %x\nwant %x", got, want)
	}
	back, err := ParseNotification(want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(n, back); diff != "" {
		t.Fatalf("parse (-want +got):\n%s", diff)
	}
}

// Legacy forms: 28 bytes (no peerEpoch: derived from the zxid's epoch) and 40 bytes
// (peerEpoch, then 4 bytes that are not read as a version).
func TestNotificationLegacyForms(t *testing.T) {
	base := "00000000 0000000000000002 0000000300000007 0000000000000004"
	n28, err := ParseNotification(mustHex(t, base))
	if err != nil {
		t.Fatal(err)
	}
	want := Notification{State: Looking, Leader: 2, Zxid: 0x300000007, ElectionEpoch: 4, PeerEpoch: 3}
	if diff := cmp.Diff(want, n28); diff != "" {
		t.Fatalf("28-byte form (-want +got):\n%s", diff)
	}
	n40, err := ParseNotification(mustHex(t, base+"0000000000000009 00000001"))
	if err != nil {
		t.Fatal(err)
	}
	want.PeerEpoch = 9
	if diff := cmp.Diff(want, n40); diff != "" {
		t.Fatalf("40-byte form (-want +got):\n%s", diff)
	}
	// version 1 (no config) in a longer message
	n, err := ParseNotification(mustHex(t, base+"0000000000000009 00000001 00000000"))
	if err != nil || n.Version != 1 || n.Config != nil {
		t.Fatalf("version-1 form: %+v %v", n, err)
	}
}

func TestNotificationErrors(t *testing.T) {
	base := "00000000 0000000000000002 0000000300000007 0000000000000004"
	tests := []struct{ name, hex, want string }{
		{"empty", "", "fle: notification of 0 bytes is shorter than 28"},
		{"27 bytes", base[:len(base)-2], "fle: notification of 27 bytes is shorter than 28"},
		{"36 bytes: no version", base + "0000000000000009", "fle: notification of 36 bytes: jute: at offset 36: reading version: need 4 bytes, have 0"},
		{"30 bytes", base + "0000", "fle: notification of 30 bytes: jute: at offset 28: reading peerEpoch: need 8 bytes, have 2"},
		{"config too long", base + "0000000000000009 00000002 00000010 41", "fle: notification of 45 bytes: jute: at offset 44: reading config: need 16 bytes, have 1"},
		{"config null", base + "0000000000000009 00000002 ffffffff", "fle: notification of 44 bytes: jute: at offset 44: config length -1"},
		{"bad state", "00000007" + base[8:], "fle: notification with unknown state 7"},
	}
	for _, tt := range tests {
		if _, err := ParseNotification(mustHex(t, tt.hex)); err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %v, want %s", tt.name, err, tt.want)
		}
	}
}

func TestHandshake(t *testing.T) {
	h := Handshake{ProtocolVersion: ProtocolVersionV1, Sid: 2, Addr: "zk2:3888"}
	want := mustHex(t, "ffffffffffff0000 0000000000000002 00000008 7a6b323a33383838")
	if got := h.Marshal(); !bytes.Equal(got, want) {
		t.Fatalf("marshal %x want %x", got, want)
	}
	if back, err := ParseHandshake(want); err != nil || back != h {
		t.Fatalf("parse %+v %v", back, err)
	}
	old, err := ParseHandshake(mustHex(t, "0000000000000007"))
	if err != nil || old.Sid != 7 {
		t.Fatalf("pre-3.5 handshake: %+v %v", old, err)
	}
	v2, err := ParseHandshake(Handshake{ProtocolVersion: ProtocolVersionV2, Sid: 3, Addr: "a:1|b:2"}.Marshal())
	if err != nil || v2.Addr != "a:1|b:2" {
		t.Fatalf("V2 handshake: %+v %v", v2, err)
	}
	tests := []struct{ name, hex, want string }{
		{"short", "ffff", "fle: handshake: jute: at offset 0: reading protocol version: need 8 bytes, have 2"},
		{"unknown version", "ffffffffffff0005 0000000000000002", "fle: handshake: unrecognized protocol version -65531"},
		{"zero address", "ffffffffffff0000 0000000000000002 00000000", "fle: handshake: unreasonable address length 0"},
		{"huge address", "ffffffffffff0000 0000000000000002 00100000", "fle: handshake: unreasonable address length 1048576"},
		{"cut address", "ffffffffffff0000 0000000000000002 00000008 7a6b", "fle: handshake: jute: at offset 20: reading address: need 8 bytes, have 2"},
		{"no port", "ffffffffffff0000 0000000000000002 00000003 7a6b32", `fle: handshake: address "zk2" is not host:port`},
		{"bad port", "ffffffffffff0000 0000000000000002 00000005 7a6b323a78", `fle: handshake: address "zk2:x" has no valid port`},
	}
	for _, tt := range tests {
		if _, err := ParseHandshake(mustHex(t, tt.hex)); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %s", tt.name, err, tt.want)
		}
	}
}

func FuzzParseNotification(f *testing.F) {
	f.Add(Notification{State: Leading, Leader: 1, Zxid: 2, ElectionEpoch: 3, PeerEpoch: 4, Config: []byte("x")}.Marshal())
	f.Add(make([]byte, 28))
	f.Add(make([]byte, 40))
	f.Add(make([]byte, 36))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNotification(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fle: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		if n.State < Looking || n.State > Observing {
			t.Fatalf("accepted state %d", n.State)
		}
		if n.Version > 1 {
			again, err := ParseNotification(n.Marshal())
			n.Version = CurrentVersion // Marshal always writes the current version
			if err != nil || !cmp.Equal(n, again) {
				t.Fatalf("round trip of %+v: %+v %v", n, again, err)
			}
		}
	})
}

func FuzzParseHandshake(f *testing.F) {
	f.Add(Handshake{ProtocolVersion: ProtocolVersionV1, Sid: 2, Addr: "zk2:3888"}.Marshal())
	f.Add(Handshake{ProtocolVersion: ProtocolVersionV2, Sid: 2, Addr: "a:1|b:2"}.Marshal())
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHandshake(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fle: handshake: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if again, err := ParseHandshake(h.Marshal()); err != nil || again != h {
			t.Fatalf("round trip of %+v: %+v %v", h, again, err)
		}
	})
}
