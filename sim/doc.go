// Package sim is zabsim's deterministic world: virtual time, the event scheduler, seeded
// random streams, hosts that crash, restart, pause and drift, the simulated network and
// disk, and the trace. (The full manual is written as the network and disk land.)
//
// A World is created from one uint64 seed. Its scheduler is the only loop: callbacks
// scheduled with At/After (world events) or AtHost/AfterHost (gated by a host's state)
// fire one at a time in (virtual time, sequence) order; idle time costs nothing. A run is
// bounded by a step and a virtual-time budget; exceeding either is an error wrapping
// ErrBudget, never a hang.
package sim
