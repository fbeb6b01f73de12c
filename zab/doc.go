// Package zab is one ZooKeeper 3.8 server as an I/O-free state machine, with its client library.
package zab
