package zab

import (
	"slices"

	"github.com/zabsim/zabsim/internal/jute"
)

// sessionState is the server's session bookkeeping: the id generator (every server mints
// ids for sessions created through it), the leader's expiry tracker (SessionTrackerImpl +
// ExpiryQueue) and the follower's touch list (sent in PING replies).
type sessionState struct {
	nextID   int64
	tracking bool                      // leader, established
	tracked  map[int64]*trackedSession // leader only
	touched  map[int64]int32           // follower: session -> timeout, since the last PING
	// local maps a session id to the client connection holding it on this server.
	local map[int64]ConnID
}

type trackedSession struct {
	timeoutMs  int32
	expireAtNs int64
	owner      int64 // sid of the server the client is connected to; -1 unknown
	closing    bool
}

type touchedSession struct {
	id        int64
	timeoutMs int32
}

func (ss *sessionState) init() {
	ss.tracked = map[int64]*trackedSession{}
	ss.touched = map[int64]int32{}
	ss.local = map[int64]ConnID{}
}

// initNextID is SessionTrackerImpl.initializeNextSessionId: [sid 8 bits][low 40 bits of
// the ms clock][16-bit counter].
func (ss *sessionState) initNextID(sid int64, nowNs int64) {
	ms := nowNs / 1e6
	ss.nextID = int64(uint64(ms<<24)>>8) | sid<<56
}

func (ss *sessionState) mint() int64 {
	id := ss.nextID
	ss.nextID++
	if id == -1<<63 { // Long.MIN_VALUE is the container marker
		id = ss.nextID
		ss.nextID++
	}
	return id
}

// expiryNs rounds now+timeout up to the next tick boundary (ExpiryQueue.roundToNextInterval).
func (s *Server) expiryNs(now int64, timeoutMs int32) int64 {
	tickMs := s.p.tickNs / 1e6
	at := now/1e6 + int64(timeoutMs)
	return (at/tickMs + 1) * tickMs * 1e6
}

// leaderStartSessions: the new leader tracks every session of its database with a fresh
// full timeout from now.
func (s *Server) leaderStartSessions(now int64) {
	s.sess.tracking = true
	s.sess.tracked = map[int64]*trackedSession{}
	for _, id := range sortedIDs(s.db.sessions) {
		s.trackSession(now, id, s.db.sessions[id], -1)
	}
	s.armExpiry()
}

func (s *Server) trackSession(now int64, id int64, timeoutMs int32, owner int64) {
	if !s.sess.tracking {
		return
	}
	if t, ok := s.sess.tracked[id]; ok {
		t.expireAtNs = s.expiryNs(now, timeoutMs)
		return
	}
	s.sess.tracked[id] = &trackedSession{timeoutMs: timeoutMs, expireAtNs: s.expiryNs(now, timeoutMs), owner: owner}
	s.armExpiry()
}

// touchSession moves a live session to a later bucket; false if unknown or closing.
func (s *Server) touchSession(now int64, id int64, timeoutMs int32) bool {
	t, ok := s.sess.tracked[id]
	if !ok || t.closing {
		return false
	}
	t.expireAtNs = s.expiryNs(now, timeoutMs)
	return true
}

func (s *Server) touchFromPing(now int64, data []byte) {
	d := jute.NewDecoder(data, 0)
	for d.Remaining() >= 12 {
		id := d.Long("ping sessionId")
		to := d.Int("ping timeout")
		s.touchSession(now, id, to)
	}
}

// armExpiry sets the expiry timer at the earliest bucket.
func (s *Server) armExpiry() {
	next := int64(-1)
	for _, t := range s.sess.tracked { //det:unordered-ok min is order-independent
		if !t.closing && (next < 0 || t.expireAtNs < next) {
			next = t.expireAtNs
		}
	}
	if next >= 0 {
		s.setTimer(timerSessionExpiry, next)
	}
}

// sessionExpiryTimer expires every session whose bucket is due: mark closing, submit
// closeSession.
func (s *Server) sessionExpiryTimer(now int64) {
	if !s.sess.tracking || s.lead == nil {
		return
	}
	var due []int64
	for id, t := range s.sess.tracked { //det:unordered-ok sorted below
		if !t.closing && t.expireAtNs <= now {
			due = append(due, id)
		}
	}
	slices.Sort(due)
	for _, id := range due {
		s.sess.tracked[id].closing = true
		s.leaderSubmit(now, submission{origin: s.id, sessionID: id, op: opCloseSession})
	}
	s.armExpiry()
}

func (ss *sessionState) stopTracking() {
	ss.tracking = false
	ss.tracked = map[int64]*trackedSession{}
}

func (ss *sessionState) touch(id int64, timeoutMs int32) { ss.touched[id] = timeoutMs }

func (ss *sessionState) takeTouched() []touchedSession {
	out := make([]touchedSession, 0, len(ss.touched))
	for _, id := range sortedIDs(ss.touched) {
		out = append(out, touchedSession{id: id, timeoutMs: ss.touched[id]})
	}
	ss.touched = map[int64]int32{}
	return out
}

func sortedIDs(m map[int64]int32) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m { //det:unordered-ok sorted below
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sessionPassword is ZooKeeperServer.generatePasswd: 16 bytes from
// java.util.Random(sessionId ^ superSecret).
func sessionPassword(id int64) []byte {
	const superSecret = 0xB3415C00
	r := newJavaRandom(id ^ superSecret)
	out := make([]byte, 16)
	r.nextBytes(out)
	return out
}

// javaRandom is java.util.Random's 48-bit LCG, enough for nextBytes.
type javaRandom struct{ seed uint64 }

const (
	javaMultiplier = 0x5DEECE66D
	javaMask       = 1<<48 - 1
)

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (uint64(seed) ^ javaMultiplier) & javaMask}
}

func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*javaMultiplier + 0xB) & javaMask
	return int32(int64(r.seed) >> (48 - bits))
}

func (r *javaRandom) nextBytes(b []byte) {
	for i := 0; i < len(b); {
		rnd := r.next(32)
		for n := min(len(b)-i, 4); n > 0; n-- {
			b[i] = byte(rnd)
			rnd >>= 8
			i++
		}
	}
}

// negotiateTimeout clamps the client's requested timeout into [min, max].
func (s *Server) negotiateTimeout(requestedMs int32) int32 {
	return min(max(requestedMs, s.p.minSessionTimeoutMs), s.p.maxSessionTimeoutMs)
}
