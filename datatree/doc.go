// Package datatree is ZooKeeper 3.8's znode tree, exact to the byte and the error code:
// nodes and their Stat, the request "prep" that turns a client write into a txn, the
// "apply" that changes the tree, the jute encoding of every txn record, watches, the
// incrementally kept digest, and the tree section of a snapshot. It imports nothing of
// the project but internal/jute and does no I/O.
//
// # The model
//
// ZooKeeper handles a write in two halves, and so does this package.
//
// Prep (PrepRequestProcessor) runs on the leader. A [Prepper] validates a [Request]
// against the tree plus the changes of earlier prepped txns that are not applied yet
// (ZooKeeper's outstandingChanges), in ZooKeeper's exact order and with its codes, and
// returns a [TxnEntry]: a [TxnHeader], a txn record with absolute results (new version,
// parent cversion, sequential name, ephemeral owner) and the [TxnDigest] the tree will
// have once it is applied. A request that fails validation still gets the zxid the
// caller chose: it becomes an [ErrorTxn] (header type OpError, no digest — ZooKeeper
// writes none there) that is proposed, logged and committed like any txn. A multi is one
// [MultiTxn]; when a sub-op fails, the sub-ops before it keep their txns, it becomes
// ErrorTxn(code) and the rest ErrorTxn(RUNTIMEINCONSISTENCY).
//
// Apply ([Tree.ProcessTxn], DataTree.processTxn) runs on every server, for committed txns
// and for txns replayed from the log. It never fails: an inapplicable txn sets
// [Result].Err and changes nothing, except the fixups that make replay over a fuzzy
// snapshot converge (a create that meets its node raises the parent's cversion/pzxid,
// ZK-3249; a delete of a missing node still raises the parent's pzxid; pzxid and cversion
// only move forward). A multi with an error sub-txn applies nothing and reports
// ErrorTxn(OK) for the sub-txns before the error and RUNTIMEINCONSISTENCY after.
// [Tree.ProcessEntry] also compares the tree digest with the entry's (ZooKeeper only
// counts a mismatch: [Tree.DigestMismatches]).
//
// The client view: [Stat] is built from the stored [StatPersisted] as DataNode.copyStat
// does: Cversion = 2×persisted − NumChildren (the persisted cversion counts creations
// only, so deletes appear to bump it and /zookeeper shows −2), and EphemeralOwner is 0
// for containers and TTL nodes. Sequential names use %010d of the persisted parent
// cversion at prep time, so deletes never cause a name to be reused (only the int32
// overflow does, as in ZooKeeper).
//
// # Using it (what a server does)
//
//	tree := datatree.New()                       // "/", /zookeeper, quota, config
//	prep := datatree.NewPrepper(tree, sessions)  // sessions implements datatree.Sessions
//	entry := prep.Prep(&req, zxid, nowMs)        // leader: zxid and time chosen by the caller
//	body := datatree.MarshalEntry(&entry)        // PROPOSAL payload / log record body
//	// ... after commit, on every server:
//	e, err := datatree.DecodeEntry(body, 0)
//	res := tree.ProcessEntry(&e)                 // res.Err, res.Path, res.Stat, res.Multi, res.Events
//	prep.Applied(e.Header.Zxid)                  // leader: drop the outstanding change records
//
// The server keeps the session tracker: Prep asks it through [Sessions] (unknown or
// closing → SESSIONEXPIRED, moved → SESSIONMOVED); after prepping a closeSession the
// server marks the session closing, after createSession it tracks it. closeSession prep
// lists the session's ephemerals from the tree plus pending creates minus pending
// deletes. On a leader change call [Prepper.Reset].
//
// Reads go straight to the tree: [Tree.GetData], [Tree.Exists], [Tree.GetChildren],
// [Tree.GetACL], [Tree.GetAllChildrenNumber], [Tree.GetEphemerals]. Children come back
// sorted. The tree does not check read ACLs: the server does, with [CheckACL]. The
// leader's container sweep asks [Tree.ContainerCandidates]; a quorum server writes its
// dynamic configuration into /zookeeper/config with [Tree.InitConfig].
//
// # Watches
//
// A [WatcherID] names the receiver (ZooKeeper's watcher is the connection; the server
// maps ids to sessions; [NoWatch] asks for none). GetData and GetChildren with a watcher
// leave a one-shot watch if the node exists; Exists leaves one even if it does not. [Tree.AddWatch] adds
// the 3.6+ persistent and persistent-recursive watches; [Tree.SetWatches] re-registers
// a reconnecting client's watches and returns the events it missed; [Tree.RemoveWatcher]
// drops a closed connection's; [Tree.CheckWatches] and [Tree.RemoveWatches] answer the
// checkWatches and removeWatches requests. Triggers follow WatchManager: create fires NodeCreated on
// the path (data table) and NodeChildrenChanged on the parent (child table); delete fires
// NodeDeleted on the path (both tables, each watcher once) and NodeChildrenChanged on the
// parent; setData fires NodeDataChanged; setACL fires nothing. Recursive watches fire for
// every descendant except for NodeChildrenChanged. In 3.8 a (watcher, path) pair has one
// mode: a later registration replaces it (ZK-4466). Fired events come back in
// [Result].Events in firing order (sorted by watcher within one trigger).
//
// # Digest
//
// ZOOKEEPER-3114, version 2: each node's digest is CRC32 over its path (the root as ""),
// its data and a 60-byte block of its persisted stat; nodes under /zookeeper/ count 0;
// the tree digest ([Tree.Digest]) is the wrapping 64-bit sum, kept incrementally. After
// loading a snapshot, [Tree.SetSnapshotDigest] suspends per-txn comparison until the
// txn named by the snapshot's digest trailer is replayed, and then checks the tree. [Tree.LastZxidDigest] is what a snapshot trailer records.
//
// # Encodings
//
// Every txn record has Encode/Decode over internal/jute. [EncodeEntry], [MarshalEntry]
// and [DecodeEntry] handle a whole log entry body: TxnHeader + record + optional
// TxnDigest. Decoding never panics; errors name the offset and the field.
// [Tree.SerializeTo] and [DeserializeFrom] read and write the tree section of a snapshot
// (ACL cache, nodes depth-first with the root as "", terminator "/"); the file header,
// session list, checksums and digest trailer belong to package wal. [Tree.Clone] is a
// deep copy.
//
// Byte-exactness: ZooKeeper writes children, ACL cache entries and closeSession paths in
// the iteration order of Java hash sets, which depends on each set's history (its table
// grows and never shrinks). The tree keeps that bookkeeping (jset), so after the same
// history its snapshots and closeSession txns are byte-identical to ZooKeeper's; the
// fixture tests show it for every recorded snapshot and log record.
//
// # Knobs
//
// [Tree.EnableExtendedTypes] is zookeeper.extendedTypesEnabled: without it TTL creates
// fail with UNIMPLEMENTED (as in ZooKeeper, where it is off by default). Digests are
// always on (zookeeper.digest.enabled=true) and closeSession txns always carry their
// paths (zookeeper.closeSessionTxn.enabled=true).
//
// Deviations from ZooKeeper 3.8 are listed in docs/fidelity/datatree.md.
package datatree
