// Package fle is ZooKeeper 3.8's fast leader election (FastLeaderElection) together with
// its election-channel connection manager (QuorumCnxManager), as an I/O-free state
// machine. The embedding zab server feeds it inputs and executes the effects it returns;
// nothing here reads a clock, a socket or a random source.
//
// (The full manual follows below in this file as the package grows.)
package fle
