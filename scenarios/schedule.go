package scenarios

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind names what a fault event does.
type Kind uint8

// The fault kinds a schedule can hold. Their script keywords are in kindWords.
const (
	Crash      Kind = iota + 1 // crash a host: memory lost, unsynced disk data lost (or torn)
	Restart                    // restart a crashed host: it recovers from its disk
	Pause                      // stall a host (a long GC pause) for For, then deliver all at once
	Partition                  // cut the links between side A and side B (or only A→B)
	Heal                       // remove every partition and clog
	Clog                       // stall the link between two hosts for For, then flush it
	FsyncError                 // fsyncs on a host fail for For (0: until healed by the liveness phase)
	DiskFull                   // writes on a host fail with "no space" for For
	// (FsyncError and DiskFull with LogOnly hit only the transaction log files.)
	Drift // a host's clock runs PPM parts per million fast (negative: slow)
)

var kindWords = map[Kind]string{
	Crash: "crash", Restart: "restart", Pause: "pause", Partition: "partition", Heal: "heal",
	Clog: "clog", FsyncError: "fsync-error", DiskFull: "disk-full", Drift: "drift",
}

// kindOrder lists the kinds in the order error messages name them.
var kindOrder = []Kind{Crash, Restart, Pause, Partition, Heal, Clog, FsyncError, DiskFull, Drift}

func (k Kind) String() string {
	if w, ok := kindWords[k]; ok {
		return w
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Host names a server in a schedule: a server id (1..n) or one of the symbolic hosts,
// which are resolved when the event fires.
type Host int

// Symbolic hosts.
const (
	Leader Host = -1 // the established leader at the time of the event (no-op if none)
	All    Host = -2 // every host the event applies to (restart all: every crashed host)
	Rest   Host = -3 // in a partition: every host not named on the other side
)

func (h Host) String() string {
	switch h {
	case Leader:
		return "leader"
	case All:
		return "all"
	case Rest:
		return "rest"
	}
	return strconv.Itoa(int(h))
}

// Event is one timed fault. Which fields matter depends on Kind; the script format
// documents them (see the package manual).
type Event struct {
	At   time.Duration // virtual time since the start of the run
	Kind Kind
	Host Host          // crash, restart, pause, fsync-error, disk-full, drift
	Torn bool          // crash: tear the unsynced tail of the log instead of dropping it
	For  time.Duration // pause, clog, fsync-error, disk-full: how long (0 = until healed)
	A, B []Host        // partition: the two sides (B may be [Rest]); clog: one host each
	Once bool          // partition: one-way, A's packets to B are lost but B→A flows
	Log  bool          // fsync-error, disk-full: only the transaction log files (log.*)
	PPM  int64         // drift: clock rate error in parts per million
}

// Schedule is a list of fault events in time order.
type Schedule []Event

// maxHostID bounds host ids in scripts; ensembles are at most 7 voters, but a script may
// be written for a bigger ensemble than the one it runs on (the runner rejects that).
const maxHostID = 255

// maxScriptEvents bounds how many events a script may hold, so a huge input is a clear
// error rather than a long run.
const maxScriptEvents = 100000

// String formats the schedule as a script that ParseSchedule reads back.
func (s Schedule) String() string {
	var b strings.Builder
	for _, ev := range s {
		b.WriteString(ev.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// String formats one event as a script line.
func (ev Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "at %s %s", formatDuration(ev.At), ev.Kind)
	switch ev.Kind {
	case Crash:
		fmt.Fprintf(&b, " %s", ev.Host)
		if ev.Torn {
			b.WriteString(" torn")
		}
	case Restart:
		fmt.Fprintf(&b, " %s", ev.Host)
	case Pause, FsyncError, DiskFull:
		fmt.Fprintf(&b, " %s", ev.Host)
		if ev.Log {
			b.WriteString(" log")
		}
		if ev.For > 0 {
			fmt.Fprintf(&b, " for %s", formatDuration(ev.For))
		}
	case Partition:
		sep := " | "
		if ev.Once {
			sep = " -> "
		}
		fmt.Fprintf(&b, " %s%s%s", formatHosts(ev.A), sep, formatHosts(ev.B))
	case Clog:
		fmt.Fprintf(&b, " %s-%s", formatHosts(ev.A), formatHosts(ev.B))
		if ev.For > 0 {
			fmt.Fprintf(&b, " for %s", formatDuration(ev.For))
		}
	case Drift:
		fmt.Fprintf(&b, " %s %+dppm", ev.Host, ev.PPM)
	}
	return b.String()
}

func formatHosts(hs []Host) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h.String()
	}
	return strings.Join(parts, ",")
}

// formatDuration prints a duration exactly, in seconds when it is at least a second and
// a whole number of milliseconds (1.5s), else in ms, us or ns (200ms, 250us, 7ns).
// ParseSchedule reads every form back to the same value.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d >= time.Second && d%time.Millisecond == 0:
		frac := strings.TrimRight(fmt.Sprintf("%03d", d%time.Second/time.Millisecond), "0")
		if frac == "" {
			return strconv.FormatInt(int64(d/time.Second), 10) + "s"
		}
		return strconv.FormatInt(int64(d/time.Second), 10) + "." + frac + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	case d%time.Microsecond == 0:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "us"
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}

// ScriptError is a schedule script error with the line it was found on.
type ScriptError struct {
	Name string // the script's name, e.g. its file name
	Line int
	Msg  string
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("scenarios: %s:%d: %s", e.Name, e.Line, e.Msg)
}

// ParseSchedule reads a schedule script: one event a line, '#' starts a comment, blank
// lines are ignored. name is used in error messages. Events must be in time order.
//
//	at 1.5s crash 3            at 2s crash leader torn     at 4s restart all
//	at 3s pause leader for 2s  at 5s partition 1,2 | 3      at 5s partition leader | rest
//	at 5s partition 1 -> 2,3   at 6s heal                  at 7s clog 1-2 for 500ms
//	at 8s fsync-error 2 for 1s at 9s disk-full leader       at 0s drift 2 +20000ppm
//	at 8s fsync-error 2 log    (only the transaction log's fsyncs fail)
func ParseSchedule(r io.Reader, name string) (Schedule, error) {
	var s Schedule
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		ev, msg := parseEvent(line)
		if msg != "" {
			return nil, &ScriptError{name, lineNo, msg}
		}
		if len(s) > 0 && ev.At < s[len(s)-1].At {
			return nil, &ScriptError{name, lineNo, fmt.Sprintf("event at %s comes before the previous event at %s; keep events in time order", formatDuration(ev.At), formatDuration(s[len(s)-1].At))}
		}
		if len(s) >= maxScriptEvents {
			return nil, &ScriptError{name, lineNo, fmt.Sprintf("more than %d events", maxScriptEvents)}
		}
		s = append(s, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, &ScriptError{name, lineNo + 1, "reading: " + err.Error()}
	}
	return s, nil
}

// parseEvent parses one non-blank script line; a non-empty msg says what is wrong.
func parseEvent(line string) (ev Event, msg string) {
	toks := tokenize(line)
	if len(toks) < 3 || toks[0] != "at" {
		return ev, fmt.Sprintf("want \"at <time> <event> ...\", got %q", strings.TrimSpace(line))
	}
	at, err := parseDuration(toks[1])
	if err != nil {
		return ev, fmt.Sprintf("bad time %q: %v", toks[1], err)
	}
	ev.At = at
	kind, ok := kindFromWord(toks[2])
	if !ok {
		return ev, fmt.Sprintf("unknown event %q (want one of %s)", toks[2], kindList())
	}
	ev.Kind = kind
	args := toks[3:]
	switch kind {
	case Crash:
		msg = parseCrash(&ev, args)
	case Restart:
		msg = parseHostOnly(&ev, args)
	case Pause, FsyncError, DiskFull:
		msg = parseHostFor(&ev, args, kind == Pause)
	case Partition:
		msg = parsePartition(&ev, args)
	case Heal:
		if len(args) != 0 {
			msg = fmt.Sprintf("heal takes no arguments, got %q", strings.Join(args, " "))
		}
	case Clog:
		msg = parseClog(&ev, args)
	case Drift:
		msg = parseDrift(&ev, args)
	}
	return ev, msg
}

// tokenize splits a line on blanks, keeping "|" and "->" as tokens of their own so that
// "1,2|3" and "1,2 | 3" read the same.
func tokenize(line string) []string {
	line = strings.ReplaceAll(line, "->", " -> ")
	line = strings.ReplaceAll(line, "|", " | ")
	return strings.Fields(line)
}

func kindFromWord(w string) (Kind, bool) {
	for _, k := range kindOrder {
		if kindWords[k] == w {
			return k, true
		}
	}
	return 0, false
}

func kindList() string {
	words := make([]string, len(kindOrder))
	for i, k := range kindOrder {
		words[i] = kindWords[k]
	}
	return strings.Join(words, ", ")
}

func parseCrash(ev *Event, args []string) string {
	if len(args) == 2 && args[1] == "torn" {
		ev.Torn = true
		args = args[:1]
	}
	return parseHostOnly(ev, args)
}

func parseHostOnly(ev *Event, args []string) string {
	if len(args) != 1 {
		return fmt.Sprintf("%s wants one host, got %q", ev.Kind, strings.Join(args, " "))
	}
	h, msg := parseHost(args[0], ev.Kind == Restart)
	if h == Leader && ev.Kind == Restart {
		return "restart wants a server id or \"all\" (a crashed server is no longer the leader)"
	}
	ev.Host = h
	return msg
}

func parseHostFor(ev *Event, args []string, needFor bool) string {
	if !needFor && len(args) >= 2 && args[1] == "log" {
		ev.Log = true
		args = append(args[:1:1], args[2:]...)
	}
	if len(args) != 1 && len(args) != 3 {
		want := "<host> [for <duration>]"
		if !needFor {
			want = "<host> [log] [for <duration>]"
		}
		return fmt.Sprintf("%s wants \"%s\", got %q", ev.Kind, want, strings.Join(args, " "))
	}
	h, msg := parseHost(args[0], false)
	if msg != "" {
		return msg
	}
	ev.Host = h
	if len(args) == 1 {
		if needFor {
			return fmt.Sprintf("%s wants a duration: \"%s %s for 2s\"", ev.Kind, ev.Kind, args[0])
		}
		return ""
	}
	return parseFor(ev, args[1:])
}

func parseFor(ev *Event, args []string) string {
	if args[0] != "for" {
		return fmt.Sprintf("want \"for <duration>\", got %q", strings.Join(args, " "))
	}
	d, err := parseDuration(args[1])
	if err != nil {
		return fmt.Sprintf("bad duration %q: %v", args[1], err)
	}
	if d == 0 {
		return "a \"for\" duration must be positive"
	}
	ev.For = d
	return ""
}

func parsePartition(ev *Event, args []string) string {
	i := slices.IndexFunc(args, func(t string) bool { return t == "|" || t == "->" })
	if i != 1 || len(args) != 3 {
		return fmt.Sprintf("partition wants \"<hosts> | <hosts>\" or \"<hosts> -> <hosts>\", got %q", strings.Join(args, " "))
	}
	ev.Once = args[1] == "->"
	var msg string
	if ev.A, msg = parseHostList(args[0]); msg != "" {
		return msg
	}
	if ev.B, msg = parseHostList(args[2]); msg != "" {
		return msg
	}
	if ev.A[0] == Rest && ev.B[0] == Rest {
		return "\"rest\" may name only one side of a partition"
	}
	for _, h := range ev.A {
		if h != Leader && slices.Contains(ev.B, h) {
			return fmt.Sprintf("host %s is on both sides of the partition", h)
		}
	}
	if slices.Contains(ev.A, Leader) && slices.Contains(ev.B, Leader) {
		return "leader is on both sides of the partition"
	}
	return ""
}

func parseClog(ev *Event, args []string) string {
	if len(args) != 1 && len(args) != 3 {
		return fmt.Sprintf("clog wants \"<host>-<host> [for <duration>]\", got %q", strings.Join(args, " "))
	}
	a, b, ok := strings.Cut(args[0], "-")
	if !ok {
		return fmt.Sprintf("clog wants a link \"<host>-<host>\", got %q", args[0])
	}
	ha, msg := parseHost(a, false)
	if msg != "" {
		return msg
	}
	hb, msg := parseHost(b, false)
	if msg != "" {
		return msg
	}
	if ha == hb {
		return fmt.Sprintf("clog wants two different hosts, got %q", args[0])
	}
	ev.A, ev.B = []Host{ha}, []Host{hb}
	if len(args) == 3 {
		return parseFor(ev, args[1:])
	}
	return ""
}

func parseDrift(ev *Event, args []string) string {
	if len(args) != 2 || !strings.HasSuffix(args[1], "ppm") {
		return fmt.Sprintf("drift wants \"<host> <+/-N>ppm\", got %q", strings.Join(args, " "))
	}
	h, msg := parseHost(args[0], false)
	if msg != "" {
		return msg
	}
	ev.Host = h
	ppm, err := strconv.ParseInt(strings.TrimSuffix(args[1], "ppm"), 10, 64)
	if err != nil || ppm <= -1_000_000 || ppm > 1_000_000 {
		return fmt.Sprintf("bad drift %q: want an integer between -999999 and 1000000 ppm", args[1])
	}
	ev.PPM = ppm
	return ""
}

// parseHost reads a host id or "leader"; "all" is accepted where allowAll.
func parseHost(tok string, allowAll bool) (Host, string) {
	switch tok {
	case "leader":
		return Leader, ""
	case "all":
		if allowAll {
			return All, ""
		}
		return 0, "\"all\" is only allowed in \"restart all\""
	}
	n, err := strconv.Atoi(tok)
	if err != nil || n < 1 || n > maxHostID {
		return 0, fmt.Sprintf("bad host %q: want a server id 1..%d or \"leader\"", tok, maxHostID)
	}
	return Host(n), ""
}

// parseHostList reads "1,2,3", "leader,2" or "rest".
func parseHostList(tok string) ([]Host, string) {
	if tok == "rest" {
		return []Host{Rest}, ""
	}
	var hs []Host
	for _, part := range strings.Split(tok, ",") {
		h, msg := parseHost(part, false)
		if msg != "" {
			return nil, msg
		}
		if slices.Contains(hs, h) {
			return nil, fmt.Sprintf("host %s named twice in %q", h, tok)
		}
		hs = append(hs, h)
	}
	return hs, ""
}

// parseDuration reads a non-negative duration with a unit: 1.5s, 200ms, 2m, 250us, 10ns.
func parseDuration(tok string) (time.Duration, error) {
	d, err := time.ParseDuration(tok)
	if err != nil {
		return 0, fmt.Errorf("want a number with a unit, like 1.5s or 200ms")
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative")
	}
	if d > maxScriptTime {
		return 0, fmt.Errorf("longer than %s", formatDuration(maxScriptTime))
	}
	return d, nil
}

// maxScriptTime bounds times in scripts: a day of virtual time is far beyond any run.
const maxScriptTime = 24 * time.Hour
