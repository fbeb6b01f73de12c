package cluster

import (
	"bytes"
	"testing"
)

func TestWalkthrough(t *testing.T) {
	var out bytes.Buffer
	res, err := Walkthrough(1, nil, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.NewLeader == res.FirstLeader || res.NewLeader == 0 {
		t.Fatalf("new leader %d, first %d", res.NewLeader, res.FirstLeader)
	}
	for sid, v := range res.Reads {
		if v != "hello" {
			t.Errorf("server %d read %q", sid, v)
		}
	}
	if len(res.Reads) != 2 {
		t.Errorf("reads from %d servers, want the 2 survivors", len(res.Reads))
	}
	if res.Rejoined.Mode != ModeFollowing {
		t.Errorf("old leader rejoined as %v", res.Rejoined.Mode)
	}
}
