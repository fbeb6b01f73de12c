package sim

import "math/rand/v2"

// Buggify is FoundationDB's trick for reaching rare code paths: simulated code asks
// w.Buggify("site name") at a place where it could legally behave worse (send a
// message late, pick the slower branch, shrink a buffer) and misbehaves when told to.
// With WithBuggify, each site is activated for the whole run with probability 1/4 and
// an active site fires on each call with probability 1/4; without it Buggify is always
// false. The activation and the draws of a site depend only on (seed, site), so adding
// a site never reshuffles another.
func (w *World) Buggify(site string) bool {
	if !w.buggify {
		return false
	}
	s, ok := w.buggifySites[site]
	if !ok {
		r := w.Rand("sim/buggify/" + site)
		s = &buggifySite{active: r.IntN(4) == 0, r: r}
		w.buggifySites[site] = s
	}
	if !s.active || s.r.IntN(4) != 0 {
		return false
	}
	w.note("buggify", int64(fnvString(fnvOffset, site)), 0, 0)
	return true
}

type buggifySite struct {
	active bool
	r      *rand.Rand
}

// WithBuggify turns Buggify sites on for the run.
func WithBuggify() Option {
	return func(w *World) { w.buggify = true }
}
