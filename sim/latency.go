package sim

import (
	"fmt"
	"math/rand/v2"
)

// Latency is a delay distribution: Mean plus uniform jitter in [-Jitter, +Jitter], never
// below Min, and with probability TailProb an extra exponentially distributed delay of
// mean TailMean (the rare long tail: a retransmission, a slow disk, a stalled switch).
type Latency struct {
	Min, Mean, Jitter Duration
	TailProb          float64
	TailMean          Duration
}

// Draw returns one delay drawn from r.
func (l Latency) Draw(r *rand.Rand) Duration {
	d := l.Mean
	if l.Jitter > 0 {
		d += Duration(r.Int64N(int64(2*l.Jitter)+1)) - l.Jitter
	}
	if d < l.Min {
		d = l.Min
	}
	if l.TailMean > 0 && chance(r, l.TailProb) {
		d += Duration(r.ExpFloat64() * float64(l.TailMean))
	}
	return d
}

// Validate reports a distribution that cannot be drawn from.
func (l Latency) Validate() error {
	switch {
	case l.Min < 0 || l.Mean < 0 || l.Jitter < 0 || l.TailMean < 0:
		return fmt.Errorf("sim: latency %+v has a negative duration", l)
	case l.TailProb < 0 || l.TailProb > 1:
		return fmt.Errorf("sim: latency tail probability %v is not in [0, 1]", l.TailProb)
	}
	return nil
}
