package sim

import (
	"fmt"
	"math/bits"
)

// HostID numbers a host (a machine running one server or client). Hosts are numbered
// from 1 in the order AddHost creates them; NoHost (0) marks world events.
type HostID int

// NoHost is the host of world events, which no crash or pause affects.
const NoHost HostID = 0

// host is a machine: its process state (up, paused), the incarnation that gates its
// events, its hooks, its clock and its disk. The disk outlives crashes.
type host struct {
	id     HostID
	up     bool   // the process runs
	killed bool   // the process was killed but the machine runs: its ports refuse at once
	inc    uint64 // bumped on crash and restart: events of an older incarnation are dropped
	paused bool
	// pauseEnd is when the current pause ends; held are the events that came due meanwhile.
	pauseEnd Time
	held     []*event

	crashHooks   []func()
	restartHooks []func()

	clock hostClock
	disk  *Disk
}

// AddHost creates a running host with its own disk and returns its id.
func (w *World) AddHost() HostID {
	id := HostID(len(w.hosts))
	h := &host{id: id, up: true, inc: 1}
	w.hosts = append(w.hosts, h)
	h.disk = newDisk(w, id, w.diskOpts)
	w.note("host.add", int64(id), 0, 0)
	return id
}

// AddHosts creates n hosts and returns their ids in order.
func (w *World) AddHosts(n int) []HostID {
	ids := make([]HostID, n)
	for i := range ids {
		ids[i] = w.AddHost()
	}
	return ids
}

// Hosts returns every host id, in order.
func (w *World) Hosts() []HostID {
	ids := make([]HostID, 0, len(w.hosts)-1)
	for i := 1; i < len(w.hosts); i++ {
		ids = append(ids, HostID(i))
	}
	return ids
}

func (w *World) host(id HostID) *host {
	if id <= 0 || int(id) >= len(w.hosts) {
		panic(fmt.Sprintf("sim: no host %d (world has %d)", id, len(w.hosts)-1))
	}
	return w.hosts[id]
}

// IsUp reports whether h is running (not crashed). A paused host is up.
func (w *World) IsUp(h HostID) bool { return w.host(h).up }

// IsPaused reports whether h is paused.
func (w *World) IsPaused(h HostID) bool { return w.host(h).paused }

// Disk returns h's disk. It survives crashes: it is the durable part of the host.
func (w *World) Disk(h HostID) *Disk { return w.host(h).disk }

// OnCrash registers fn to run when h crashes (in registration order, before the network
// and the disk apply their crash semantics). The harness uses it to throw its server away.
func (w *World) OnCrash(h HostID, fn func()) {
	hs := w.host(h)
	hs.crashHooks = append(hs.crashHooks, fn)
}

// OnRestart registers fn to run when h restarts; the harness builds a fresh server there
// and recovers it from the disk.
func (w *World) OnRestart(h HostID, fn func()) {
	hs := w.host(h)
	hs.restartHooks = append(hs.restartHooks, fn)
}

// Crash kills h's process as a power loss would: its pending and held events are
// dropped, crash hooks run, its connections break (peers learn at their own times) and
// its disk applies crash semantics drawn from the disk's stream. Crashing a host whose
// process was killed (Kill) still applies the disk's crash semantics: the machine loses
// its page cache. Crashing a crashed host does nothing.
func (w *World) Crash(h HostID) { w.crash(h, CrashDrawn) }

// CrashWith is Crash with the disk's crash mode forced (CrashKeep, CrashDrop, CrashTear).
func (w *World) CrashWith(h HostID, mode CrashMode) { w.crash(h, mode) }

func (w *World) crash(id HostID, mode CrashMode) {
	h := w.host(id)
	if !h.up && !h.killed {
		return
	}
	w.note("host.crash", int64(id), int64(mode), 0)
	if h.up {
		w.stopProcess(h)
	}
	h.killed = false // the machine itself is down now: its page cache is lost
	w.net.hostCrashed(id)
	h.disk.crash(mode)
}

// Kill ends h's process the way kill -9 does on a machine that stays up: its pending
// and held events are dropped and the OnCrash hooks run, as for Crash, but the
// operating system survives: it closes the process's connections (peers get the data
// already sent, then a FIN), its ports refuse connections at once, and the disk keeps
// everything written, synced or not (the page cache survives). Open file handles die.
// Restart brings the process back. Killing a down host does nothing.
func (w *World) Kill(id HostID) {
	h := w.host(id)
	if !h.up {
		return
	}
	w.note("host.kill", int64(id), 0, 0)
	w.stopProcess(h)
	h.killed = true
	w.net.hostKilled(id)
	h.disk.gen++
}

// stopProcess ends h's process: no event of this incarnation will fire, and the
// crash hooks run.
func (w *World) stopProcess(h *host) {
	h.up = false
	h.inc++
	h.paused = false
	for _, e := range h.held {
		w.recycle(e)
	}
	h.held = nil
	for _, fn := range h.crashHooks {
		fn()
	}
}

// Restart brings a crashed host back up and runs its restart hooks. Restarting a running
// host does nothing.
func (w *World) Restart(id HostID) {
	h := w.host(id)
	if h.up {
		return
	}
	w.note("host.restart", int64(id), 0, 0)
	h.up = true
	h.killed = false
	h.inc++
	for _, fn := range h.restartHooks {
		fn()
	}
}

// Pause stalls h for d, like a long garbage-collection pause: its events are held and
// fire in their original order when the pause ends. Pausing a paused host extends the
// pause if the new end is later. Pausing a down host does nothing.
func (w *World) Pause(id HostID, d Duration) {
	h := w.host(id)
	if !h.up {
		return
	}
	end := w.now.Add(d)
	w.note("host.pause", int64(id), int64(d), 0)
	if h.paused && end <= h.pauseEnd {
		return
	}
	h.paused = true
	h.pauseEnd = end
	inc := h.inc
	w.At(end, func() {
		if h.inc == inc && h.paused && w.now >= h.pauseEnd {
			w.Resume(id)
		}
	})
}

// Resume ends h's pause now: held events are rescheduled at the current time in their
// original order.
func (w *World) Resume(id HostID) {
	h := w.host(id)
	if !h.paused {
		return
	}
	w.note("host.resume", int64(id), int64(len(h.held)), 0)
	h.paused = false
	held := h.held
	h.held = nil
	for _, e := range held {
		e.held = false
		if e.fn == nil { // cancelled while held
			w.recycle(e)
			continue
		}
		e.at = w.now
		w.seq++
		e.seq = w.seq
		w.events.push(e)
	}
}

// ppmDenom is the unit of clock drift: parts per million.
const ppmDenom = 1_000_000

// hostClock maps true virtual time to a host's local clock reading:
// local = anchorLocal + (now-anchorTrue) * (1e6+ppm)/1e6.
type hostClock struct {
	anchorTrue  Time
	anchorLocal Time
	ppm         int64
}

func (c *hostClock) read(now Time) Time {
	elapsed := int64(now - c.anchorTrue)
	return c.anchorLocal + Time(elapsed) + Time(mulDiv(elapsed, c.ppm, ppmDenom))
}

// LocalNow returns h's clock reading: true time shifted by the host's offset and scaled
// by its drift. Servers see time only through this.
func (w *World) LocalNow(h HostID) Time { return w.host(h).clock.read(w.now) }

// JumpClock steps h's clock by d (negative d sets it back), as NTP or an operator might.
func (w *World) JumpClock(id HostID, d Duration) {
	c := &w.host(id).clock
	c.anchorLocal = c.read(w.now).Add(d)
	c.anchorTrue = w.now
	w.note("clock.jump", int64(id), int64(d), 0)
}

// SetClockDrift makes h's clock run fast (ppm > 0) or slow (ppm < 0) by ppm parts per
// million from now on. ppm must be above -1e6.
func (w *World) SetClockDrift(id HostID, ppm int64) {
	if ppm <= -ppmDenom {
		panic(fmt.Sprintf("sim: clock drift %d ppm would stop or reverse the clock", ppm))
	}
	c := &w.host(id).clock
	c.anchorLocal = c.read(w.now)
	c.anchorTrue = w.now
	c.ppm = ppm
	w.note("clock.drift", int64(id), ppm, 0)
}

// LocalToTrue converts a span d of h's clock to true virtual time, so that "wake me in
// 2s of my time" on a fast clock fires a little earlier in true time.
func (w *World) LocalToTrue(id HostID, d Duration) Duration {
	c := &w.host(id).clock
	return Duration(mulDiv(int64(d), ppmDenom, ppmDenom+c.ppm))
}

// AfterLocal schedules fn on host h after d measured on h's own clock.
func (w *World) AfterLocal(h HostID, d Duration, fn func()) Timer {
	return w.AfterHost(h, w.LocalToTrue(h, d), fn)
}

// mulDiv returns a*b/c truncated toward zero, exactly, without overflowing in the
// product; c must be positive.
func mulDiv(a, b, c int64) int64 {
	neg := (a < 0) != (b < 0)
	ua, ub := abs64(a), abs64(b)
	hi, lo := bits.Mul64(ua, ub)
	if hi >= uint64(c) {
		panic(fmt.Sprintf("sim: clock arithmetic overflow (%d*%d/%d)", a, b, c))
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if neg {
		return -int64(q)
	}
	return int64(q)
}

func abs64(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}
