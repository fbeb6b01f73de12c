package scenarios

import "github.com/zabsim/zabsim/internal/cluster"

// Swarm 580: power losses undid the acceptedEpoch renames of servers 1 and 3, both went
// back to epoch 0 and server 3 was established as leader of epoch 1 a second time. The
// checker reports the same server established twice in one epoch; the label is the
// epoch-rename weakness, decided by the same rule as for two different leaders.
func init() {
	type known = struct {
		scenario string
		seed     uint64
		check    string
		knownID  string
	}
	knownReproductions = append(knownReproductions,
		known{"swarm", 580, "one-leader-per-epoch", cluster.KnownEpochRename})
}
