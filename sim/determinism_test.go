package sim

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
)

// runWorkload runs a randomized mix of network, disk and process events on three hosts
// for a few virtual seconds and returns the trace hash. Every host listens; connections
// carry counters; receivers append what they get to a log file and sometimes fsync it;
// a fault driver partitions, clogs, breaks, crashes, restarts, pauses, skews clocks and
// injects disk faults, all drawn from the seed.
func runWorkload(seed uint64) (uint64, error) {
	w := NewWorld(seed, WithMaxSteps(1_000_000))
	hosts := w.AddHosts(3)
	n := w.Network()
	wl := w.Rand("workload")
	type state struct {
		log   *File
		conns []*Conn
		sent  int
	}
	st := map[HostID]*state{}
	var boot func(h HostID)
	handlers := func(h HostID) Handlers {
		return Handlers{
			OnMessage: func(c *Conn, p any) {
				s := st[h]
				w.Tracef("host %d got %v on conn %d", h, p, c.ID())
				if s.log == nil {
					return
				}
				off, _ := s.log.Size()
				if _, err := s.log.WriteAt([]byte(fmt.Sprint(p)), off); err != nil {
					w.Tracef("host %d write: %v", h, err)
				}
				if wl.IntN(4) == 0 {
					if err := s.log.Sync(); err != nil {
						w.Tracef("host %d sync: %v", h, err)
					}
				}
			},
			OnClose: func(c *Conn, err error) { w.Tracef("host %d conn %d closed: %v", h, c.ID(), err) },
		}
	}
	boot = func(h HostID) {
		s := &state{}
		st[h] = s
		d := w.Disk(h)
		d.MkdirAll("data")
		f, err := d.Create(fmt.Sprintf("data/log.%d", w.Now()))
		if err != nil {
			w.Tracef("host %d create: %v", h, err)
		}
		s.log = f
		n.Listen(h, 1, func(c *Conn) Handlers { s.conns = append(s.conns, c); return handlers(h) })
	}
	for _, h := range hosts {
		boot(h)
		w.OnRestart(h, func() { boot(h) })
	}
	pick := func() HostID { return hosts[wl.IntN(len(hosts))] }
	var tick func()
	tick = func() {
		h := pick()
		switch wl.IntN(26) {
		case 0, 1:
			if w.IsUp(h) {
				n.Dial(h, pick(), 1, handlers(h), func(c *Conn, err error) {
					if err == nil {
						st[h].conns = append(st[h].conns, c)
					} else {
						w.Tracef("dial from %d: %v", h, err)
					}
				})
			}
		default: // 2 and 14-25: send, the common case
			if s := st[h]; w.IsUp(h) && len(s.conns) > 0 {
				s.sent++
				s.conns[wl.IntN(len(s.conns))].Send(s.sent, 8)
			}
		case 6:
			n.Partition([]HostID{h}, []HostID{pick()})
		case 7:
			n.Heal()
		case 8:
			n.Clog(h, pick(), Duration(wl.IntN(500))*Millisecond)
		case 9:
			if s := st[h]; len(s.conns) > 0 {
				n.Break(s.conns[wl.IntN(len(s.conns))])
			}
		case 10:
			if w.IsUp(h) && wl.IntN(3) == 0 {
				w.Kill(h)
			} else if w.IsUp(h) {
				w.Crash(h)
			} else {
				w.Restart(h)
			}
		case 11:
			w.Pause(h, Duration(wl.IntN(300))*Millisecond)
		case 12:
			w.JumpClock(h, Duration(wl.IntN(100)-50)*Millisecond)
			w.SetClockDrift(h, int64(wl.IntN(200)-100))
		case 13:
			kinds := []FaultKind{FaultEIO, FaultNoSpace, FaultBitFlip, FaultLatentSector}
			w.Disk(h).Inject(Fault{Name: "wl", Ops: []FaultOp{FaultOp(wl.IntN(3))}, Kind: kinds[wl.IntN(len(kinds))], Times: 1})
		}
		w.After(Duration(wl.IntN(20))*Millisecond, tick)
	}
	w.After(0, tick)
	err := w.RunFor(5 * Second)
	if probe != nil {
		probe(w)
	}
	return w.TraceHash(), err
}

// probe, when set, sees each workload's world at the end (to check the workload does
// what it claims).
var probe func(w *World)

func TestWorkloadExercisesEverything(t *testing.T) {
	var net NetStats
	var disk DiskStats
	var steps uint64
	probe = func(w *World) {
		s := w.Network().Stats()
		net.Delivered += s.Delivered
		net.Dropped += s.Dropped
		net.DialFailures += s.DialFailures
		net.Breaks += s.Breaks
		steps += w.Steps()
		for _, h := range w.Hosts() {
			d := w.Disk(h).Stats()
			disk.Syncs += d.Syncs
			disk.Crashes += d.Crashes
			disk.Writes += d.Writes
		}
	}
	defer func() { probe = nil }()
	for seed := range uint64(20) {
		runWorkload(seed)
	}
	t.Logf("20 seeds: %d steps, net %+v, disk %+v", steps, net, disk)
	if net.Delivered == 0 || net.Dropped == 0 || net.DialFailures == 0 || net.Breaks == 0 ||
		disk.Syncs == 0 || disk.Crashes == 0 || disk.Writes == 0 {
		t.Fatal("the determinism workload misses a kind of event")
	}
}

func TestDeterminismTwoRunsPerSeed(t *testing.T) {
	distinct := map[uint64]bool{}
	for seed := range uint64(1000) {
		a, err := runWorkload(seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		b, _ := runWorkload(seed)
		if a != b {
			t.Fatalf("seed %d: trace hashes differ between two runs: %x vs %x (go test ./sim -run TestDeterminismTwoRunsPerSeed)", seed, a, b)
		}
		distinct[a] = true
	}
	if len(distinct) < 990 {
		t.Fatalf("1000 seeds gave only %d distinct hashes: the hash does not see the run", len(distinct))
	}
}

func TestDeterminismAcrossGOMAXPROCS(t *testing.T) {
	const seeds = 1000
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	one := make([]uint64, seeds)
	for s := range one {
		one[s], _ = runWorkload(uint64(s) + 5000)
	}
	runtime.GOMAXPROCS(2)
	// Two worlds at once, one per goroutine, as a parallel sweep runs them.
	two := make([]uint64, seeds)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := g; s < seeds; s += 2 {
				two[s], _ = runWorkload(uint64(s) + 5000)
			}
		}()
	}
	wg.Wait()
	for s := range one {
		if one[s] != two[s] {
			t.Fatalf("seed %d: hash %x with GOMAXPROCS=1, %x with 2 parallel worlds", s+5000, one[s], two[s])
		}
	}
}

func TestTraceWriterShowsEvents(t *testing.T) {
	var out lineBuffer
	w := NewWorld(9, WithTrace(&out))
	h := w.AddHost()
	w.AfterHost(h, Millisecond, func() { w.Tracef("hello from %d", h) })
	w.RunFor(Second)
	w.Crash(h)
	want := "T+0s world seed=9\nT+0s host.add host=1\nT+1ms hello from 1\nT+1s host.crash host=1 diskmode=drawn\nT+1s disk.crash host=1 mode=tear unsyncednames=0\n"
	if out.String() != want {
		t.Fatalf("trace:\n%s\nwant:\n%s", out.String(), want)
	}
}

type lineBuffer struct{ b []byte }

func (l *lineBuffer) Write(p []byte) (int, error) { l.b = append(l.b, p...); return len(p), nil }
func (l *lineBuffer) String() string              { return string(l.b) }

func TestSchedulerTraceWritesEveryEvent(t *testing.T) {
	var out lineBuffer
	w := NewWorld(9, WithTrace(&out), WithSchedulerTrace())
	w.After(Millisecond, func() {})
	w.After(2*Millisecond, func() {})
	w.RunFor(Second)
	want := "T+0s world seed=9\nT+1ms event seq=1 host=0\nT+2ms event seq=2 host=0\n"
	if out.String() != want {
		t.Fatalf("trace:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestTraceWriterErrorIsReportedNotFatal(t *testing.T) {
	w := NewWorld(9, WithTrace(failingWriter{}))
	w.Tracef("x")
	if w.TraceErr() == nil {
		t.Fatal("a failing trace writer went unreported")
	}
	if err := w.RunFor(Second); err != nil {
		t.Fatalf("a trace write error stopped the run: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
