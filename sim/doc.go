// Package sim is zabsim's deterministic world: virtual time, the event scheduler, seeded random streams, the simulated network and disk, and process faults.
package sim
