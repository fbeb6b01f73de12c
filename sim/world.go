package sim

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
)

// World is one deterministic simulation: a virtual clock, the event scheduler, the hosts,
// their network and disks, and the seeded random streams. Everything that happens in a
// world is a callback fired by its scheduler, one at a time, in (time, sequence) order.
// A World is not safe for concurrent use; run independent worlds in parallel instead.
type World struct {
	seed uint64
	now  Time
	seq  uint64

	events eventHeap
	free   []*event
	// cancelled counts cancelled events still in the heap; when they are more than
	// half of it, it is compacted, so timers reset again and again cost no memory.
	cancelled int

	steps    uint64
	maxSteps uint64
	maxTime  Time

	streams map[string]*rand.Rand

	hosts []*host // index 0 is unused: HostID 0 is NoHost

	net *Network

	trace     io.Writer
	traceErr  error
	traceHash uint64
	traceAll  bool

	diskOpts  DiskOptions
	configErr error // an invalid option: every run returns it

	buggify      bool
	buggifySites map[string]*buggifySite
}

// Default budgets: generous enough for hours of virtual time of a busy ensemble; a
// runaway loop of events hits the step budget within a minute or two of real time
// instead of hanging. Tests and sweeps should set a tighter WithMaxSteps.
const (
	DefaultMaxSteps = 500_000_000
	DefaultMaxTime  = Time(7 * 24 * Hour)
)

// Option configures a World at creation.
type Option func(*World)

// WithMaxSteps sets the step budget: the number of events a world may fire in total.
// Firing one more is refused with an error wrapping ErrBudget.
func WithMaxSteps(n uint64) Option { return func(w *World) { w.maxSteps = n } }

// WithMaxTime sets the virtual-time budget: an event due after t is not fired; the run
// stops with an error wrapping ErrBudget.
func WithMaxTime(t Time) Option { return func(w *World) { w.maxTime = t } }

// WithTrace sends one line per traced event to out. The running trace hash is kept
// whether or not a writer is set. A write error stops further writes and is reported by
// TraceErr; it never changes the simulation.
func WithTrace(out io.Writer) Option { return func(w *World) { w.trace = out } }

// WithSchedulerTrace also writes a line for every event the scheduler fires (it is always
// hashed). It is verbose: use it to find where two runs diverge.
func WithSchedulerTrace() Option { return func(w *World) { w.traceAll = true } }

// WithNetwork sets the network model (latency, timeouts, half-open probability).
func WithNetwork(o NetOptions) Option { return func(w *World) { w.net.opts = o } }

// WithDisks sets the disk model used for every host's disk.
func WithDisks(o DiskOptions) Option { return func(w *World) { w.diskOpts = o } }

// NewWorld creates a world whose every random choice derives from seed.
func NewWorld(seed uint64, opts ...Option) *World {
	w := &World{
		seed:         seed,
		maxSteps:     DefaultMaxSteps,
		maxTime:      DefaultMaxTime,
		streams:      map[string]*rand.Rand{},
		buggifySites: map[string]*buggifySite{},
		hosts:        []*host{nil},
		traceHash:    fnvOffset,
		diskOpts:     DefaultDiskOptions(),
	}
	w.net = newNetwork(w, DefaultNetOptions())
	for _, o := range opts {
		o(w)
	}
	w.rejectBadOptions()
	w.note("world", int64(seed), 0, 0)
	return w
}

// rejectBadOptions records the first invalid option as the world's error (every run
// returns it; nothing fires) and puts defaults in its place, so that nothing can panic
// on it meanwhile.
func (w *World) rejectBadOptions() {
	if w.configErr = w.validate(); w.configErr == nil {
		return
	}
	if w.net.opts.Validate() != nil {
		w.net.opts = DefaultNetOptions()
	}
	if w.diskOpts.Validate() != nil {
		w.diskOpts = DefaultDiskOptions()
	}
	w.maxSteps, w.maxTime = max(w.maxSteps, 1), max(w.maxTime, 1)
}

// Err returns the error that stops this world from running: an invalid option given to
// NewWorld (nil if all were valid).
func (w *World) Err() error { return w.configErr }

// CheckOptions reports the first option that NewWorld would reject. Validate options
// that come from users (flags, scenario files) with it before building a world; a world
// built with a bad option refuses to run and returns the same error from every run.
func CheckOptions(opts ...Option) error {
	w := &World{maxSteps: DefaultMaxSteps, maxTime: DefaultMaxTime, diskOpts: DefaultDiskOptions()}
	w.net = &Network{opts: DefaultNetOptions()}
	for _, o := range opts {
		o(w)
	}
	return w.validate()
}

func (w *World) validate() error {
	if w.maxSteps == 0 {
		return errors.New("sim: step budget must be positive")
	}
	if w.maxTime <= 0 {
		return fmt.Errorf("sim: time budget %v must be positive", w.maxTime)
	}
	if err := w.net.opts.Validate(); err != nil {
		return err
	}
	return w.diskOpts.Validate()
}

// Seed returns the seed the world was created with.
func (w *World) Seed() uint64 { return w.seed }

// Now returns the current virtual time (true time, not any host's drifting clock).
func (w *World) Now() Time { return w.now }

// Steps returns how many events have fired so far.
func (w *World) Steps() uint64 { return w.steps }

// Pending returns how many events are scheduled (not counting those held by paused hosts).
func (w *World) Pending() int { return len(w.events) - w.cancelled }

// Network returns the world's network.
func (w *World) Network() *Network { return w.net }

// ErrBudget is wrapped by the error a run returns when it would exceed its step or time
// budget. ErrIdle is wrapped when RunWhile's condition still holds but nothing is
// scheduled: the world can never change again.
var (
	ErrBudget = errors.New("sim: budget exceeded")
	ErrIdle   = errors.New("sim: no events scheduled")
)

// BudgetError reports which budget a run exceeded and where.
type BudgetError struct {
	What  string // "steps" or "time"
	Limit int64
	Now   Time
	Steps uint64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("sim: %s budget of %d exceeded at %v after %d steps", e.What, e.Limit, e.Now, e.Steps)
}

func (e *BudgetError) Unwrap() error { return ErrBudget }

// Timer is the handle of a scheduled event. The zero Timer is valid and never pending.
type Timer struct {
	w   *World
	e   *event
	gen uint64
}

// Cancel stops the event from firing. It reports whether the event was still pending.
func (t Timer) Cancel() bool {
	if !t.Pending() {
		return false
	}
	e := t.e
	e.fn = nil // the heap or the host's hold queue recycles it when it comes up
	if !e.held {
		t.w.cancelled++
		t.w.compactIfMostlyCancelled()
	}
	return true
}

// Pending reports whether the event is still waiting to fire.
func (t Timer) Pending() bool {
	return t.e != nil && t.e.gen == t.gen && t.e.fn != nil
}

// When returns when the event is due (meaningful only while Pending).
func (t Timer) When() Time {
	if t.e == nil || t.e.gen != t.gen {
		return Never
	}
	return t.e.at
}

// At schedules fn at time t (or now, if t is in the past) as a world event: it runs
// whatever the state of any host.
func (w *World) At(t Time, fn func()) Timer { return w.schedule(t, NoHost, fn) }

// After schedules fn d from now as a world event.
func (w *World) After(d Duration, fn func()) Timer { return w.schedule(w.now.Add(d), NoHost, fn) }

// AtHost schedules fn at time t on host h: it is dropped if h crashes before then (or is
// down), and held while h is paused, then fired in order when the pause ends.
func (w *World) AtHost(h HostID, t Time, fn func()) Timer { return w.schedule(t, h, fn) }

// AfterHost schedules fn d from now on host h (see AtHost).
func (w *World) AfterHost(h HostID, d Duration, fn func()) Timer {
	return w.schedule(w.now.Add(d), h, fn)
}

func (w *World) schedule(t Time, h HostID, fn func()) Timer {
	if fn == nil {
		panic("sim: schedule of a nil func")
	}
	if t < w.now {
		t = w.now
	}
	e := w.newEvent()
	e.at, e.fn, e.host = t, fn, h
	if h != NoHost {
		e.inc = w.host(h).inc
	}
	w.seq++
	e.seq = w.seq
	w.events.push(e)
	return Timer{w: w, e: e, gen: e.gen}
}

func (w *World) newEvent() *event {
	if n := len(w.free); n > 0 {
		e := w.free[n-1]
		w.free = w.free[:n-1]
		return e
	}
	return &event{}
}

// compactIfMostlyCancelled drops cancelled events from the heap once they are the
// majority (and many), keeping the heap's size proportional to the live events.
func (w *World) compactIfMostlyCancelled() {
	if w.cancelled < 1024 || 2*w.cancelled < len(w.events) {
		return
	}
	live := w.events[:0]
	for _, s := range w.events {
		if s.e.fn == nil {
			w.recycle(s.e)
		} else {
			live = append(live, s)
		}
	}
	clear(w.events[len(live):])
	w.events = live
	w.events.rebuild()
	w.cancelled = 0
}

// popCancelled recycles a cancelled event found at the top of the heap.
func (w *World) popCancelled() {
	w.recycle(w.events.pop())
	w.cancelled--
}

func (w *World) recycle(e *event) {
	e.gen++
	e.fn = nil
	e.held = false
	w.free = append(w.free, e)
}

// Step fires the next event. It reports false when nothing is scheduled. If firing the
// event would exceed the budget it returns an error wrapping ErrBudget and fires nothing.
func (w *World) Step() (bool, error) {
	if w.configErr != nil {
		return false, w.configErr
	}
	for len(w.events) > 0 {
		e := w.events[0].e
		if e.fn == nil {
			w.popCancelled()
			continue
		}
		if err := w.checkBudget(e.at); err != nil {
			return false, err
		}
		w.events.pop()
		w.fire(e)
		return true, nil
	}
	return false, nil
}

func (w *World) checkBudget(at Time) error {
	if w.steps >= w.maxSteps {
		return &BudgetError{What: "steps", Limit: int64(w.maxSteps), Now: w.now, Steps: w.steps}
	}
	if at > w.maxTime {
		return &BudgetError{What: "time", Limit: int64(w.maxTime), Now: w.now, Steps: w.steps}
	}
	return nil
}

// fire runs one popped event, applying host gating.
func (w *World) fire(e *event) {
	w.now = e.at
	w.steps++
	if e.host != NoHost {
		h := w.hosts[e.host]
		if !h.up || e.inc != h.inc {
			w.recycle(e) // the host crashed after this was scheduled
			return
		}
		if h.paused {
			e.held = true
			h.held = append(h.held, e)
			return
		}
	}
	w.hashEvent(e)
	fn := e.fn
	w.recycle(e)
	fn()
}

// nextAt returns the time of the earliest live event, or Never.
func (w *World) nextAt() Time {
	for len(w.events) > 0 {
		if s := w.events[0]; s.e.fn != nil {
			return s.at
		}
		w.popCancelled()
	}
	return Never
}

// RunUntil fires every event due at or before t, then sets the clock to t.
func (w *World) RunUntil(t Time) error {
	if w.configErr != nil {
		return w.configErr
	}
	for w.nextAt() <= t {
		if _, err := w.Step(); err != nil {
			return err
		}
	}
	if t > w.now {
		if t > w.maxTime {
			return &BudgetError{What: "time", Limit: int64(w.maxTime), Now: w.now, Steps: w.steps}
		}
		w.now = t
	}
	return nil
}

// RunFor runs the world for d of virtual time (see RunUntil).
func (w *World) RunFor(d Duration) error { return w.RunUntil(w.now.Add(d)) }

// RunWhile fires events while cond() holds. It returns nil once cond() is false, and an
// error wrapping ErrIdle if cond() still holds but nothing is scheduled.
func (w *World) RunWhile(cond func() bool) error {
	for cond() {
		fired, err := w.Step()
		if err != nil {
			return err
		}
		if !fired {
			return fmt.Errorf("%w: condition still true at %v after %d steps", ErrIdle, w.now, w.steps)
		}
	}
	return nil
}
