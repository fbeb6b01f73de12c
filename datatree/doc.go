// Package datatree is ZooKeeper 3.8's znode tree: requests, txns, Stat, errors, watches and digest.
package datatree
