package sim

// DiskOptions is the disk model. (The disk is being built: see the package doc.)
type DiskOptions struct{}

// DefaultDiskOptions returns the default disk model.
func DefaultDiskOptions() DiskOptions { return DiskOptions{} }

// CrashMode says what a crash does to a disk's unsynced writes.
type CrashMode int

// Crash modes.
const (
	CrashDrawn CrashMode = iota // drawn per crash from the disk's stream
	CrashKeep                   // unsynced data and names survive as if synced
	CrashDrop                   // everything not synced is lost
	CrashTear                   // each unsynced 512-byte sector and each name change survives or not
)

// Disk is one host's disk.
type Disk struct {
	w    *World
	host HostID
}

func newDisk(w *World, h HostID, o DiskOptions) *Disk { return &Disk{w: w, host: h} }

func (d *Disk) crash(mode CrashMode) {}
