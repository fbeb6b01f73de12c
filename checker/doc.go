// Package checker judges a run: linearizability, read guarantees, replica invariants and liveness.
package checker
