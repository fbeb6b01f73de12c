// Package cluster wires zab servers and clients onto the simulated world.
package cluster
