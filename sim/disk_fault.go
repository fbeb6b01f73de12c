package sim

import (
	"errors"
	"fmt"
)

// FaultOp is the kind of disk operation a fault rule matches.
type FaultOp int

// Disk operations, as fault rules see them.
const (
	OpRead FaultOp = iota
	OpWrite
	OpSync
	OpTruncate
	OpCreate
	OpOpen
	OpRemove
	OpRename
	OpSyncDir
	OpReadDir
	OpMkdir
)

var faultOpNames = [...]string{"read", "write", "sync", "truncate", "create", "open", "remove", "rename", "syncdir", "readdir", "mkdir"}

func (o FaultOp) String() string {
	if o >= 0 && int(o) < len(faultOpNames) {
		return faultOpNames[o]
	}
	return fmt.Sprintf("FaultOp(%d)", int(o))
}

// FaultKind is what a matching fault rule does.
type FaultKind int

// Fault kinds.
const (
	// FaultEIO fails the operation with ErrIO and changes nothing — except on Sync,
	// where the unsynced pages become clean-but-not-durable, as Linux leaves them.
	FaultEIO FaultKind = iota
	// FaultNoSpace fails the operation with ErrNoSpace and changes nothing.
	FaultNoSpace
	// FaultLatentSector makes the sector at the operation's offset unreadable (reads
	// of it fail with ErrIO until it is rewritten) and fails this operation.
	FaultLatentSector
	// FaultBitFlip flips one drawn bit of durable data in the operation's range (the
	// whole file for a Sync), then lets the operation proceed. The flip is recorded in
	// Disk.Corruptions.
	FaultBitFlip
)

var faultKindNames = [...]string{"eio", "enospc", "latent-sector", "bit-flip"}

func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultKindNames) {
		return faultKindNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is a rule: a predicate over (operation, path, offset, length) and an action.
// Faults are the seam through which the fault injector reaches the disk; callers of the
// disk never test for them.
type Fault struct {
	Name string    // shown in errors and the trace
	Ops  []FaultOp // operations it matches; empty matches every operation
	// Match further restricts the rule (nil matches all). off is -1 and n 0 for
	// operations without a range.
	Match func(op FaultOp, path string, off, n int64) bool
	Kind  FaultKind
	// Prob is the chance a matching operation triggers the rule, drawn from the disk's
	// stream; 0 or 1 mean always.
	Prob float64
	// Times bounds how often the rule fires; 0 is unbounded.
	Times int
}

// FaultID names an injected fault rule.
type FaultID int

type faultRule struct {
	Fault
	id    FaultID
	fired int
}

// Corruption records one injected bit flip in durable data.
type Corruption struct {
	Path string
	Off  int64
	Bit  uint8
}

// Inject adds a fault rule; rules are tried in the order they were added and the
// first that fires decides.
func (d *Disk) Inject(f Fault) FaultID {
	d.nextFault++
	d.faults = append(d.faults, &faultRule{Fault: f, id: d.nextFault})
	return d.nextFault
}

// RemoveFault removes a rule; it reports whether the rule was present.
func (d *Disk) RemoveFault(id FaultID) bool {
	for i, r := range d.faults {
		if r.id == id {
			d.faults = append(d.faults[:i], d.faults[i+1:]...)
			return true
		}
	}
	return false
}

// ClearFaults removes every rule (latent sectors and corruptions already made stay:
// they are physical).
func (d *Disk) ClearFaults() { d.faults = nil }

// Corruptions returns the bit flips injected so far, oldest first.
func (d *Disk) Corruptions() []Corruption { return append([]Corruption(nil), d.corruptions...) }

// fault runs the rules for one operation. It returns the error the operation must fail
// with, or nil to proceed (possibly after corrupting durable data).
func (d *Disk) fault(op FaultOp, name string, off, n int64, ino *inode) error {
	d.catchUpJournal() // every operation passes here first
	for _, r := range d.faults {
		if !r.matches(op, name, off, n) || !chance(d.rand(), probOrAlways(r.Prob)) {
			continue
		}
		r.fired++
		d.w.note("disk.fault", int64(d.host), int64(r.id), int64(op))
		if err := d.applyFault(r, op, name, off, n, ino); err != nil {
			return err
		}
	}
	return nil
}

func probOrAlways(p float64) float64 {
	if p <= 0 {
		return 1
	}
	return p
}

func (r *faultRule) matches(op FaultOp, name string, off, n int64) bool {
	if r.Times > 0 && r.fired >= r.Times {
		return false
	}
	if len(r.Ops) > 0 && !containsOp(r.Ops, op) {
		return false
	}
	return r.Match == nil || r.Match(op, name, off, n)
}

func containsOp(ops []FaultOp, op FaultOp) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

func (d *Disk) applyFault(r *faultRule, op FaultOp, name string, off, n int64, ino *inode) error {
	why := func(err error) error {
		return d.err(op.String(), name, off, fmt.Errorf("%w (injected fault %q)", err, r.Name))
	}
	switch r.Kind {
	case FaultNoSpace:
		return why(ErrNoSpace)
	case FaultLatentSector:
		if ino != nil && off >= 0 {
			if ino.badSectors == nil {
				ino.badSectors = map[int64]bool{}
			}
			ino.badSectors[off/SectorSize] = true
		}
		return why(ErrIO)
	case FaultBitFlip:
		d.flipBit(name, off, n, ino)
		return nil
	}
	return why(ErrIO)
}

// flipBit flips one drawn bit of ino's durable data within [off, off+n), clipped to the
// durable size. A page that has unsynced data keeps showing it; the flip surfaces when
// that data is lost or torn.
func (d *Disk) flipBit(name string, off, n int64, ino *inode) {
	if ino == nil {
		return
	}
	off = max(off, 0)
	end := min(off+n, ino.durableSize)
	if end <= off {
		return
	}
	at := off + d.rand().Int64N(end-off)
	bit := uint8(d.rand().IntN(8))
	idx := at / PageSize
	p := ino.durable[idx]
	q := new(page)
	if p != nil {
		*q = *p
	}
	q[at%PageSize] ^= 1 << bit
	ino.setDurable(idx, q)
	d.corruptions = append(d.corruptions, Corruption{Path: name, Off: at, Bit: bit})
}

func errorsIsIO(err error) bool { return errors.Is(err, ErrIO) }
