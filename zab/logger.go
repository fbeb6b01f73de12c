package zab

// txnLogger is ZooKeeper's SyncRequestProcessor: txns are appended in batches (group
// commit, at most maxBatchTxns per fsync), and each txn's onDurable runs only from
// OnDiskDone of the AppendTxns that covered it. It also counts txns towards the next
// snapshot (snapCount/2 + a fresh draw in [0, snapCount/2)).
type txnLogger struct {
	queued      []loggedTxn
	inFlight    int                  // batches handed to the disk and not yet completed
	batches     map[OpID][]loggedTxn // in-flight batches by op
	appendedMax int64                // highest zxid handed to the disk
	durableMax  int64                // highest zxid whose fsync completed
	sinceSnap   int                  // txns appended since the last snapshot
	snapAfter   int                  // snapshot once sinceSnap exceeds this
}

type loggedTxn struct {
	p         Proposal
	onDurable func(now int64)
}

const maxBatchTxns = 1000

// drawSnapThreshold re-draws the snapshot trigger (SyncRequestProcessor.resetSnapshotStats).
func (s *Server) drawSnapThreshold() {
	half := s.p.snapCount / 2
	roll := 0
	if half > 0 {
		roll = s.rnd.IntN(half)
	}
	s.log.snapAfter = half + roll
}

// logTxn queues p for the log; onDurable (may be nil) runs once its fsync completed. The
// queue is flushed when the current input's effects are returned, so every txn that
// arrived in one input (or while a batch was in flight) shares one fsync.
func (s *Server) logTxn(p Proposal, onDurable func(now int64)) {
	s.log.queued = append(s.log.queued, loggedTxn{p: p, onDurable: onDurable})
}

// flushLog starts the next batch unless one is in flight (group commit: what queues up
// meanwhile shares the next fsync).
func (s *Server) flushLog() {
	if s.log.inFlight == 0 && len(s.log.queued) > 0 {
		s.startBatch(maxBatchTxns)
	}
}

// flushAllLog hands every queued txn to the disk now, even behind an in-flight batch (the
// harness runs disk ops in order).
func (s *Server) flushAllLog() {
	for len(s.log.queued) > 0 {
		s.startBatch(maxBatchTxns)
	}
}

// startBatch emits an AppendTxns+fsync for up to n queued txns.
func (s *Server) startBatch(n int) {
	lg := &s.log
	n = min(len(lg.queued), n)
	batch := append([]loggedTxn(nil), lg.queued[:n]...)
	lg.queued = append(lg.queued[:0:0], lg.queued[n:]...)
	entries := make([]Proposal, n)
	for i, t := range batch {
		entries[i] = t.p
	}
	op := s.newOp()
	if lg.batches == nil {
		lg.batches = map[OpID][]loggedTxn{}
	}
	lg.batches[op] = batch
	lg.inFlight++
	lg.appendedMax = max(lg.appendedMax, entries[n-1].Zxid)
	s.emit(AppendTxns{Op: op, Entries: entries, Fsync: true})
	s.afterDisk(op, func(now int64, err error) { s.batchDone(now, op, err) })
	lg.sinceSnap += n
	if lg.sinceSnap > lg.snapAfter {
		s.snapshot(false)
	}
}

// batchDone is OnDiskDone for a batch: the batch is durable, its ACKs may leave.
func (s *Server) batchDone(now int64, op OpID, err error) {
	lg := &s.log
	batch := lg.batches[op]
	delete(lg.batches, op)
	lg.inFlight--
	if err != nil {
		s.exit(ExitUnexpected, "SyncRequestProcessor: Severe unrecoverable error: "+err.Error())
		return
	}
	last := batch[len(batch)-1].p.Zxid
	lg.durableMax = max(lg.durableMax, last)
	s.emit(Logged{Zxid: last})
	for _, t := range batch {
		if t.onDurable != nil {
			t.onDurable(now)
		}
	}
	s.flushLog()
}

// snapshot rolls the log and snapshots the current tree; a failure exits with code 10.
func (s *Server) snapshot(syncSnap bool) OpID {
	s.log.sinceSnap = 0
	s.drawSnapThreshold()
	op := s.newOp()
	s.emit(RollAndSnapshot{Op: op, Zxid: s.db.lastProcessed, Tree: s.db.tree,
		Sessions: copySessions(s.db.sessions), Sync: syncSnap})
	s.afterDisk(op, func(now int64, err error) {
		if err != nil {
			s.exit(ExitSnapshotError, "Severe unrecoverable error taking snapshot: "+err.Error())
		}
	})
	return op
}

// dropLogCallbacks forgets the ACK callbacks of queued and in-flight txns (the role that
// wanted them ended) but keeps the txns themselves: they still reach the disk.
func (s *Server) dropLogCallbacks() {
	for i := range s.log.queued {
		s.log.queued[i].onDurable = nil
	}
	for _, b := range s.log.batches { //det:unordered-ok clearing each batch's callbacks
		for i := range b {
			b[i].onDurable = nil
		}
	}
}

func copySessions(m map[int64]int32) map[int64]int32 {
	c := make(map[int64]int32, len(m))
	for id, t := range m { //det:unordered-ok copying a map
		c[id] = t
	}
	return c
}
