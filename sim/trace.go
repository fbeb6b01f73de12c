package sim

import (
	"fmt"
	"io"
)

// The trace is the world's record of what happened. Every fired event and every network,
// disk and process action is folded into a running 64-bit hash (always on and cheap: no
// formatting), and, when a writer is set with WithTrace, written as one line. Two runs of
// the same seed must end with the same TraceHash; the determinism test relies on it.

// TraceHash returns the running hash of everything traced so far.
func (w *World) TraceHash() uint64 { return w.traceHash }

// TraceErr returns the first error the trace writer returned, if any.
func (w *World) TraceErr() error { return w.traceErr }

// Tracef adds a component's own line to the trace (and to the hash). It formats even
// without a writer, since the hash covers the text: keep it off per-byte paths.
func (w *World) Tracef(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	w.traceHash = fnvString(w.mix(0x7f), line)
	w.writeLine(line)
}

// mix folds one 64-bit word into the hash.
func (w *World) mix(x uint64) uint64 {
	h := w.traceHash ^ splitmix64(x)
	h *= fnvPrime
	return h
}

// note traces one of the simulator's own actions: kind names it, a, b, c are its fields.
func (w *World) note(kind string, a, b, c int64) {
	h := fnvString(w.mix(uint64(w.now)), kind)
	w.traceHash = h
	w.traceHash = w.mix(uint64(a))
	w.traceHash = w.mix(uint64(b))
	w.traceHash = w.mix(uint64(c))
	if w.trace != nil {
		w.writeLine(formatNote(kind, a, b, c))
	}
}

// noteFields names the fields of each kind of note, for the written trace only.
var noteFields = map[string][3]string{
	"world":              {"seed"},
	"host.add":           {"host"},
	"host.crash":         {"host", "diskmode"},
	"host.restart":       {"host"},
	"host.kill":          {"host"},
	"host.pause":         {"host", "for"},
	"host.resume":        {"host", "held"},
	"clock.jump":         {"host", "by"},
	"clock.drift":        {"host", "ppm"},
	"net.dial":           {"from", "to", "port"},
	"net.established":    {"conn", "from", "to"},
	"net.send":           {"conn", "side", "bytes"},
	"net.deliver":        {"conn", "side", "bytes"},
	"net.close":          {"conn", "side"},
	"net.closed":         {"conn", "side"},
	"net.break":          {"conn"},
	"net.crashbreak":     {"conn"},
	"net.fin":            {"conn"},
	"net.cut":            {"from", "to"},
	"net.heal":           {},
	"net.clog":           {"from", "to", "for"},
	"net.swizzle":        {"hosts", "for"},
	"disk.create":        {"host", "inode"},
	"disk.remove":        {"host", "inode"},
	"disk.rename":        {"host", "inode"},
	"disk.sync":          {"host", "inode", "size"},
	"disk.crash":         {"host", "mode", "unsyncednames"},
	"disk.fault":         {"host", "rule", "op"},
	"disk.writeback":     {"host"},
	"disk.journalcommit": {"host"},
	"buggify":            {"sitehash"},
}

// formatNote writes a note as "kind name=value ...", with durations and modes readable.
func formatNote(kind string, a, b, c int64) string {
	names, ok := noteFields[kind]
	if !ok {
		return fmt.Sprintf("%s %d %d %d", kind, a, b, c)
	}
	line := kind
	for i, v := range [3]int64{a, b, c} {
		switch names[i] {
		case "":
		case "for", "by":
			line += fmt.Sprintf(" %s=%v", names[i], Duration(v))
		case "diskmode", "mode":
			line += fmt.Sprintf(" %s=%v", names[i], CrashMode(v))
		case "op":
			line += fmt.Sprintf(" %s=%v", names[i], FaultOp(v))
		default:
			line += fmt.Sprintf(" %s=%d", names[i], v)
		}
	}
	return line
}

// hashEvent folds a fired event into the hash: its time, sequence number and host.
func (w *World) hashEvent(e *event) {
	w.traceHash = w.mix(uint64(e.at) ^ e.seq<<20 ^ uint64(e.host)<<56)
	if w.traceAll && w.trace != nil {
		w.writeLine(fmt.Sprintf("event seq=%d host=%d", e.seq, e.host))
	}
}

func (w *World) writeLine(line string) {
	if w.trace == nil || w.traceErr != nil {
		return
	}
	if _, err := io.WriteString(w.trace, fmt.Sprintf("%v %s\n", w.now, line)); err != nil {
		w.traceErr = fmt.Errorf("sim: trace writer: %w", err)
	}
}
