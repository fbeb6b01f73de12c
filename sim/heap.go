package sim

// event is one scheduled callback. Events are pooled: a fired or cancelled event goes back
// to the world's free list and its gen is bumped, so a stale Timer handle cannot touch it.
type event struct {
	at    Time
	seq   uint64
	fn    func()
	host  HostID // NoHost for world events; otherwise gated by the host's state
	inc   uint64 // the host's incarnation when the event was scheduled
	gen   uint64 // bumped each time the event is recycled
	index int    // position in the heap, or -1 when not in the heap
	held  bool   // parked in a paused host's hold queue
}

// less orders events by (time, sequence): the total order of the simulation.
func (e *event) less(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// eventHeap is a binary min-heap of events. It is hand-written rather than built on
// container/heap to avoid interface calls on the hottest path of the simulator.
type eventHeap []*event

func (h *eventHeap) push(e *event) {
	e.index = len(*h)
	*h = append(*h, e)
	h.up(e.index)
}

// pop removes and returns the earliest event; the heap must not be empty.
func (h *eventHeap) pop() *event {
	old := *h
	n := len(old) - 1
	top := old[0]
	old[0] = old[n]
	old[0].index = 0
	old[n] = nil
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	top.index = -1
	return top
}

// remove takes the event at index i out of the heap.
func (h *eventHeap) remove(i int) {
	old := *h
	n := len(old) - 1
	e := old[i]
	if i != n {
		old[i] = old[n]
		old[i].index = i
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		h.down(i)
		h.up(i)
	}
	e.index = -1
}

func (h eventHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].less(h[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h eventHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].less(h[l]) {
			m = r
		}
		if !h[m].less(h[i]) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

func (h eventHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
