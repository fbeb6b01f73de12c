package sim

// event is one scheduled callback. Events are pooled: a fired or cancelled event goes back
// to the world's free list and its gen is bumped, so a stale Timer handle cannot touch it.
type event struct {
	at   Time
	seq  uint64
	fn   func() // nil once cancelled
	host HostID // NoHost for world events; otherwise gated by the host's state
	inc  uint64 // the host's incarnation when the event was scheduled
	gen  uint64 // bumped each time the event is recycled
	held bool   // parked in a paused host's hold queue
}

// slot is a heap entry. The ordering key is copied in, so that sifting compares
// without chasing the event pointer: the scheduler's hottest loop stays in one array.
type slot struct {
	at  Time
	seq uint64
	e   *event
}

// less orders slots by (time, sequence): the total order of the simulation.
func (s slot) less(o slot) bool {
	if s.at != o.at {
		return s.at < o.at
	}
	return s.seq < o.seq
}

// eventHeap is a binary min-heap of slots, hand-written rather than built on
// container/heap to avoid interface calls. Cancelled events stay in it until they reach
// the top or the heap is compacted (see World.cancelled).
type eventHeap []slot

func (h *eventHeap) push(e *event) {
	*h = append(*h, slot{e.at, e.seq, e})
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest event; the heap must not be empty.
func (h *eventHeap) pop() *event {
	old := *h
	n := len(old) - 1
	top := old[0].e
	old[0] = old[n]
	old[n] = slot{}
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	return top
}

func (h eventHeap) up(i int) {
	s := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = s
}

func (h eventHeap) down(i int) {
	n := len(h)
	s := h[i]
	for {
		m := 2*i + 1
		if m >= n {
			break
		}
		if r := m + 1; r < n && h[r].less(h[m]) {
			m = r
		}
		if !h[m].less(s) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = s
}

// rebuild restores the heap property over the whole array in O(n).
func (h eventHeap) rebuild() {
	if len(h) < 2 {
		return
	}
	for i := (len(h) - 2) / 2; i >= 0; i-- {
		h.down(i)
	}
}
