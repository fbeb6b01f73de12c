package sim

import "math/rand/v2"

// Rand returns the random stream named name. The stream depends only on the world's seed
// and the name, so a component that draws more (or a new component) never reshuffles the
// draws of another. Asking twice for the same name returns the same stream, continuing
// where it left off: a restarted server that asks for its stream again does not replay
// the choices of its previous life.
//
// Name streams after the component that owns them: "net", "disk/3", "server/2",
// "client/7", "faults". The world itself uses names starting with "sim/".
func (w *World) Rand(name string) *rand.Rand {
	if r, ok := w.streams[name]; ok {
		return r
	}
	h := fnvString(fnvOffset, name)
	r := rand.New(rand.NewPCG(splitmix64(w.seed^splitmix64(h)), splitmix64(h+w.seed*0x9e3779b97f4a7c15)))
	w.streams[name] = r
	return r
}

// splitmix64 is a strong 64-bit mixer (the finaliser of SplitMix64), used to turn
// (seed, name) into well-spread PCG state.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// chance reports true with probability p, drawing from r only when 0 < p < 1, so that a
// knob set to 0 or 1 does not consume randomness.
func chance(r *rand.Rand, p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return r.Float64() < p
}
