package zab

// txnLogger is ZooKeeper's SyncRequestProcessor: txns are appended in batches (group
// commit, at most maxBatchTxns per fsync), and each txn's onDurable runs only from
// OnDiskDone of the AppendTxns that covered it. It also counts txns towards the next
// snapshot (snapCount/2 + a fresh draw in [0, snapCount/2)).
type txnLogger struct {
	queued      []loggedTxn
	inFlight    OpID // 0 when no batch is in flight
	batch       []loggedTxn
	appendedMax int64 // highest zxid handed to the disk
	durableMax  int64 // highest zxid whose fsync completed
	sinceSnap   int   // txns appended since the last snapshot
	snapAfter   int   // snapshot once sinceSnap exceeds this
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

// flushLog starts the next batch unless one is in flight.
func (s *Server) flushLog() {
	lg := &s.log
	if lg.inFlight != 0 || len(lg.queued) == 0 {
		return
	}
	n := min(len(lg.queued), maxBatchTxns)
	lg.batch = append([]loggedTxn(nil), lg.queued[:n]...)
	lg.queued = append(lg.queued[:0:0], lg.queued[n:]...)
	entries := make([]Proposal, n)
	for i, t := range lg.batch {
		entries[i] = t.p
	}
	op := s.newOp()
	lg.inFlight = op
	lg.appendedMax = max(lg.appendedMax, entries[n-1].Zxid)
	s.emit(AppendTxns{Op: op, Entries: entries, Fsync: true})
	s.afterDisk(op, s.batchDone)
	lg.sinceSnap += n
	if lg.sinceSnap > lg.snapAfter {
		s.snapshot(false)
	}
}

// batchDone is OnDiskDone for a batch: the batch is durable, ACKs may leave.
func (s *Server) batchDone(now int64, err error) {
	lg := &s.log
	batch := lg.batch
	lg.batch, lg.inFlight = nil, 0
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
	for i := range s.log.batch {
		s.log.batch[i].onDurable = nil
	}
}

func copySessions(m map[int64]int32) map[int64]int32 {
	c := make(map[int64]int32, len(m))
	for id, t := range m { //det:unordered-ok copying a map
		c[id] = t
	}
	return c
}
