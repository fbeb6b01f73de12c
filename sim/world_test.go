package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestEventsFireInTimeThenSequenceOrder(t *testing.T) {
	w := NewWorld(1)
	var got []string
	rec := func(s string) func() { return func() { got = append(got, s) } }
	w.At(30, rec("c"))
	w.At(10, rec("a1"))
	w.At(20, rec("b"))
	w.At(10, rec("a2"))
	if err := w.RunUntil(100); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a1", "a2", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if w.Now() != 100 {
		t.Fatalf("Now after RunUntil(100) = %v", w.Now())
	}
}

func TestIdleTimeJumps(t *testing.T) {
	w := NewWorld(1)
	fired := Time(-1)
	w.After(Hour, func() { fired = w.Now() })
	ok, err := w.Step()
	if !ok || err != nil {
		t.Fatalf("Step = %v, %v", ok, err)
	}
	if fired != Time(Hour) || w.Steps() != 1 {
		t.Fatalf("fired at %v after %d steps, want T+1h after 1", fired, w.Steps())
	}
	if ok, _ := w.Step(); ok {
		t.Fatal("Step on an empty world fired something")
	}
}

func TestPastEventsRunNow(t *testing.T) {
	w := NewWorld(1)
	w.RunUntil(50)
	var at Time
	w.At(10, func() { at = w.Now() })
	w.RunFor(0)
	if at != 50 {
		t.Fatalf("event scheduled in the past ran at %v, want T+50ns", at)
	}
}

func TestCancel(t *testing.T) {
	w := NewWorld(1)
	fired := 0
	tm := w.After(5, func() { fired++ })
	other := w.After(6, func() { fired += 10 })
	if !tm.Pending() || !tm.Cancel() || tm.Pending() || tm.Cancel() {
		t.Fatal("Cancel of a pending timer: want true once, then not pending")
	}
	w.RunFor(10)
	if fired != 10 {
		t.Fatalf("fired = %d, want only the uncancelled event (10)", fired)
	}
	if other.Pending() || other.Cancel() {
		t.Fatal("a fired timer still reports pending")
	}
	// The recycled event must not be reachable through the stale handle.
	fresh := w.After(1, func() { fired += 100 })
	tm.Cancel()
	other.Cancel()
	w.RunFor(10)
	if fired != 110 || fresh.Pending() {
		t.Fatalf("stale handles cancelled a recycled event: fired = %d", fired)
	}
	var zero Timer
	if zero.Pending() || zero.Cancel() {
		t.Fatal("zero Timer should be inert")
	}
}

func TestStepBudget(t *testing.T) {
	w := NewWorld(1, WithMaxSteps(100))
	var loop func()
	loop = func() { w.After(0, loop) } // a runaway zero-delay loop
	w.After(0, loop)
	err := w.RunFor(Second)
	var be *BudgetError
	if !errors.Is(err, ErrBudget) || !errors.As(err, &be) || be.What != "steps" || w.Steps() != 100 {
		t.Fatalf("runaway loop: err %v after %d steps, want steps budget after 100", err, w.Steps())
	}
}

func TestTimeBudget(t *testing.T) {
	w := NewWorld(1, WithMaxTime(Time(Second)))
	w.After(2*Second, func() { t.Error("event beyond the time budget fired") })
	err := w.RunFor(Hour)
	var be *BudgetError
	if !errors.As(err, &be) || be.What != "time" {
		t.Fatalf("err = %v, want a time budget error", err)
	}
}

func TestRunWhile(t *testing.T) {
	w := NewWorld(1)
	n := 0
	for i := range 5 {
		w.After(Duration(i+1)*Millisecond, func() { n++ })
	}
	if err := w.RunWhile(func() bool { return n < 3 }); err != nil || n != 3 || w.Now() != Time(3*Millisecond) {
		t.Fatalf("RunWhile(n<3): err %v, n %d, now %v", err, n, w.Now())
	}
	if err := w.RunWhile(func() bool { return true }); !errors.Is(err, ErrIdle) || n != 5 {
		t.Fatalf("RunWhile(true) on a draining world: err %v, n %d; want ErrIdle after all 5", err, n)
	}
}

func TestRandStreamsAreIndependent(t *testing.T) {
	draw := func(extra int) []uint64 {
		w := NewWorld(42)
		other := w.Rand("other")
		for range extra {
			other.Uint64()
		}
		mine := w.Rand("mine")
		return []uint64{mine.Uint64(), mine.Uint64(), mine.Uint64()}
	}
	a, b := draw(0), draw(1000)
	if !slices.Equal(a, b) {
		t.Fatalf("drawing from another stream changed this one: %v vs %v", a, b)
	}
	w := NewWorld(42)
	if w.Rand("mine") != w.Rand("mine") {
		t.Fatal("the same name should return the same stream")
	}
	if w.Rand("a").Uint64() == w.Rand("b").Uint64() {
		t.Fatal("different names gave the same first draw")
	}
	if NewWorld(1).Rand("x").Uint64() == NewWorld(2).Rand("x").Uint64() {
		t.Fatal("different seeds gave the same first draw")
	}
}

func TestHostEventsDroppedAfterCrash(t *testing.T) {
	w := NewWorld(1)
	h := w.AddHost()
	fired := 0
	w.AfterHost(h, 10, func() { fired++ })
	w.After(5, func() { w.Crash(h) })
	w.After(6, func() { w.Restart(h) })
	w.RunFor(100)
	if fired != 0 {
		t.Fatal("an event scheduled before a crash fired after the restart")
	}
	w.AfterHost(h, 10, func() { fired++ })
	w.RunFor(100)
	if fired != 1 {
		t.Fatal("an event scheduled after the restart did not fire")
	}
}

func TestHostPauseHoldsEventsInOrder(t *testing.T) {
	w := NewWorld(1)
	h := w.AddHost()
	var got []Time
	var order []int
	for i := range 4 {
		w.AfterHost(h, Duration(10*(i+1)), func() { got = append(got, w.Now()); order = append(order, i) })
	}
	cancelled := w.AfterHost(h, 25, func() { t.Error("cancelled held event fired") })
	w.Pause(h, 100) // paused at 0 until 100
	w.RunUntil(24)
	w.RunUntil(26)
	cancelled.Cancel()
	w.RunFor(200)
	if !slices.Equal(order, []int{0, 1, 2, 3}) {
		t.Fatalf("held events fired in order %v", order)
	}
	for _, at := range got {
		if at != 100 {
			t.Fatalf("held event fired at %v, want at the pause end T+100ns", at)
		}
	}
}

func TestCrashHooksAndRestartHooks(t *testing.T) {
	w := NewWorld(1)
	h := w.AddHost()
	var log []string
	w.OnCrash(h, func() { log = append(log, "crash") })
	w.OnRestart(h, func() { log = append(log, "restart") })
	w.Crash(h)
	w.Crash(h) // already down: nothing
	if w.IsUp(h) {
		t.Fatal("crashed host is up")
	}
	w.Restart(h)
	w.Restart(h)
	if !slices.Equal(log, []string{"crash", "restart"}) || !w.IsUp(h) {
		t.Fatalf("hooks ran %v", log)
	}
}

func TestClockDriftAndJump(t *testing.T) {
	w := NewWorld(1)
	h := w.AddHost()
	w.SetClockDrift(h, 1000) // 0.1% fast
	w.RunFor(Second)
	if got, want := w.LocalNow(h), Time(Second+Millisecond); got != want {
		t.Fatalf("local clock after 1s at +1000ppm = %v, want %v", got, want)
	}
	w.JumpClock(h, -5*Second)
	if got, want := w.LocalNow(h), Time(Second+Millisecond-5*Second); got != want {
		t.Fatalf("after a -5s jump: %v, want %v", got, want)
	}
	if got, want := w.LocalToTrue(h, 1001*Millisecond), Second; got != want {
		t.Fatalf("1.001s local at +1000ppm = %v true, want %v", got, want)
	}
	var firedLocal Time
	start := w.LocalNow(h)
	w.AfterLocal(h, 1001*Millisecond, func() { firedLocal = w.LocalNow(h) })
	w.RunFor(2 * Second)
	if firedLocal.Sub(start) != 1001*Millisecond {
		t.Fatalf("AfterLocal(1.001s) fired %v later on the host clock", firedLocal.Sub(start))
	}
}

func BenchmarkSchedulerTimerEvents(b *testing.B) {
	for _, timers := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("timers=%d", timers), func(b *testing.B) { benchTimers(b, timers) })
	}
}

// benchTimers keeps a steady population of timers: each firing schedules its
// successor, as servers' tick and timeout timers do.
func benchTimers(b *testing.B, timers int) {
	w := NewWorld(1, WithMaxSteps(1<<62))
	r := w.Rand("bench")
	var fn func()
	fn = func() { w.After(Duration(1+r.IntN(1000))*Microsecond, fn) }
	for range timers {
		w.After(Duration(r.IntN(1000))*Microsecond, fn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func TestCheckOptions(t *testing.T) {
	if err := CheckOptions(WithMaxSteps(10), WithNetwork(DefaultNetOptions()), WithDisks(DefaultDiskOptions())); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	badNet := DefaultNetOptions()
	badNet.Latency.TailProb = 2
	badDisk := DefaultDiskOptions()
	badDisk.CrashKeepProb = 0.9
	for _, o := range []Option{WithMaxSteps(0), WithMaxTime(-1), WithNetwork(badNet), WithDisks(badDisk)} {
		err := CheckOptions(o)
		if err == nil || !strings.HasPrefix(err.Error(), "sim: ") {
			t.Errorf("bad option accepted or unclear: %v", err)
		}
		w := NewWorld(1, o)
		h := w.AddHosts(2)
		w.Network().Dial(h[0], h[1], 1, Handlers{}, func(*Conn, error) {}) // must not panic
		fired := false
		w.After(0, func() { fired = true })
		if w.Err() == nil || w.RunFor(Second) != w.Err() || w.RunWhile(func() bool { return true }) != w.Err() || fired {
			t.Errorf("a world with a bad option ran: Err %v, fired %v", w.Err(), fired)
		}
	}
}

func TestBuggify(t *testing.T) {
	if NewWorld(1).Buggify("x") {
		t.Fatal("Buggify fired without WithBuggify")
	}
	active, fired, calls := 0, 0, 0
	for seed := range uint64(200) {
		w := NewWorld(seed, WithBuggify())
		n := 0
		for range 100 {
			if w.Buggify("site") {
				n++
			}
		}
		calls += 100
		if n > 0 {
			active++
			fired += n
		}
	}
	// About a quarter of runs activate the site; an active site fires on about a
	// quarter of calls.
	if active < 30 || active > 70 {
		t.Fatalf("site active in %d of 200 runs, want about 50", active)
	}
	if rate := float64(fired) / float64(active*100); rate < 0.18 || rate > 0.32 {
		t.Fatalf("an active site fired on %.2f of calls, want about 0.25", rate)
	}
	// Another site drawing does not change this one.
	a, b := NewWorld(7, WithBuggify()), NewWorld(7, WithBuggify())
	for range 50 {
		b.Buggify("other")
	}
	for i := range 100 {
		if a.Buggify("site") != b.Buggify("site") {
			t.Fatalf("call %d: a site's draws depend on another site", i)
		}
	}
}

func TestCancelledTimersDoNotAccumulate(t *testing.T) {
	w := NewWorld(1)
	var tm Timer
	for i := range 100_000 { // a session timeout reset on every ping
		tm.Cancel()
		tm = w.After(Hour+Duration(i), func() {})
	}
	if w.Pending() != 1 || len(w.events) > 4096 {
		t.Fatalf("after 100k resets: %d pending, %d heap slots", w.Pending(), len(w.events))
	}
	fired := 0
	w.After(Minute, func() { fired++ })
	w.RunFor(2 * Hour)
	if fired != 1 || w.Pending() != 0 || len(w.events) != 0 {
		t.Fatalf("fired %d, pending %d, slots %d", fired, w.Pending(), len(w.events))
	}
}

func TestHeapOrderUnderRandomScheduleAndCancel(t *testing.T) {
	w := NewWorld(1)
	r := w.Rand("test")
	var last Time
	var lastSeq int
	order := 0
	var timers []Timer
	for i := range 20_000 {
		at := Time(r.IntN(1000))
		seq := i
		timers = append(timers, w.At(at, func() {
			if w.Now() < last || (w.Now() == last && seq < lastSeq) {
				t.Fatalf("event %d at %v fired after event %d at %v", seq, w.Now(), lastSeq, last)
			}
			last, lastSeq = w.Now(), seq
			order++
		}))
	}
	cancelled := 0
	for i := 0; i < len(timers); i += 3 {
		if timers[i].Cancel() {
			cancelled++
		}
	}
	w.RunFor(Second)
	if order != 20_000-cancelled {
		t.Fatalf("fired %d, want %d", order, 20_000-cancelled)
	}
}
