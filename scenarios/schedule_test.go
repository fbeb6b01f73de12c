package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const everyKindScript = `# one of each
at 0s drift 2 +20000ppm
at 1.5s crash 3
at 2s crash leader torn
at 3s pause leader for 2s
at 4s restart all
at 5s partition 1,2 | 3
at 5s partition leader -> rest
at 5.25s partition rest | leader,1
at 6s heal
at 7s clog 1-2 for 500ms
at 8s fsync-error 2 for 1s
at 8.5s fsync-error 3 log
at 9s disk-full leader
at 9s disk-full 1 log for 2s
at 10s restart 3
at 10.001s drift 1 -5ppm
`

func TestParseScheduleEveryKind(t *testing.T) {
	s, err := ParseSchedule(strings.NewReader(everyKindScript), "every.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := Schedule{
		{At: 0, Kind: Drift, Host: 2, PPM: 20000},
		{At: 1500 * time.Millisecond, Kind: Crash, Host: 3},
		{At: 2 * time.Second, Kind: Crash, Host: Leader, Torn: true},
		{At: 3 * time.Second, Kind: Pause, Host: Leader, For: 2 * time.Second},
		{At: 4 * time.Second, Kind: Restart, Host: All},
		{At: 5 * time.Second, Kind: Partition, A: []Host{1, 2}, B: []Host{3}},
		{At: 5 * time.Second, Kind: Partition, A: []Host{Leader}, B: []Host{Rest}, Once: true},
		{At: 5250 * time.Millisecond, Kind: Partition, A: []Host{Rest}, B: []Host{Leader, 1}},
		{At: 6 * time.Second, Kind: Heal},
		{At: 7 * time.Second, Kind: Clog, A: []Host{1}, B: []Host{2}, For: 500 * time.Millisecond},
		{At: 8 * time.Second, Kind: FsyncError, Host: 2, For: time.Second},
		{At: 8500 * time.Millisecond, Kind: FsyncError, Host: 3, Log: true},
		{At: 9 * time.Second, Kind: DiskFull, Host: Leader},
		{At: 9 * time.Second, Kind: DiskFull, Host: 1, Log: true, For: 2 * time.Second},
		{At: 10 * time.Second, Kind: Restart, Host: 3},
		{At: 10001 * time.Millisecond, Kind: Drift, Host: 1, PPM: -5},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Fatalf("parsed schedule (-want +got):\n%s", diff)
	}
	// Printing gives the canonical script, which parses back to the same schedule.
	again, err := ParseSchedule(strings.NewReader(s.String()), "printed")
	if err != nil {
		t.Fatalf("reparse of printed schedule: %v\n%s", err, s)
	}
	if diff := cmp.Diff(s, again); diff != "" {
		t.Fatalf("print/parse round trip (-first +second):\n%s", diff)
	}
	wantText := "at 0s drift 2 +20000ppm\nat 1.5s crash 3\nat 2s crash leader torn\nat 3s pause leader for 2s\n" +
		"at 4s restart all\nat 5s partition 1,2 | 3\nat 5s partition leader -> rest\nat 5.25s partition rest | leader,1\n" +
		"at 6s heal\nat 7s clog 1-2 for 500ms\nat 8s fsync-error 2 for 1s\nat 8.5s fsync-error 3 log\nat 9s disk-full leader\n" +
		"at 9s disk-full 1 log for 2s\nat 10s restart 3\n" +
		"at 10.001s drift 1 -5ppm\n"
	if got := s.String(); got != wantText {
		t.Fatalf("printed schedule:\n%s\nwant:\n%s", got, wantText)
	}
}

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct {
		script string
		line   int
		msg    string
	}{
		{"at 1s crash 3\nat 2s crsh 3\n", 2, `unknown event "crsh"`},
		{"\n\n# c\nat x crash 1", 4, `bad time "x"`},
		{"at -1s crash 1", 1, "must not be negative"},
		{"crash 1 at 1s", 1, `want "at <time> <event> ...`},
		{"at 2s crash 1\nat 1s crash 2", 2, "comes before the previous event"},
		{"at 1s crash 0", 1, `bad host "0"`},
		{"at 1s crash 1 2", 1, "crash wants one host"},
		{"at 1s crash all", 1, `"all" is only allowed in "restart all"`},
		{"at 1s restart leader", 1, "restart wants a server id or \"all\""},
		{"at 1s pause 1", 1, "pause wants a duration"},
		{"at 1s pause 1 for 0s", 1, "must be positive"},
		{"at 1s pause 1 during 2s", 1, `want "for <duration>"`},
		{"at 1s pause 1 log for 2s", 1, `pause wants "<host> [for <duration>]"`},
		{"at 1s fsync-error 1 log 2s", 1, `fsync-error wants "<host> [log] [for <duration>]"`},
		{"at 1s partition 1,2 3", 1, "partition wants"},
		{"at 1s partition 1,2 | 2", 1, "host 2 is on both sides"},
		{"at 1s partition 1,1 | 2", 1, "host 1 named twice"},
		{"at 1s partition rest | rest", 1, `"rest" may name only one side`},
		{"at 1s heal now", 1, "heal takes no arguments"},
		{"at 1s clog 1 2", 1, "clog wants"},
		{"at 1s clog 1-1", 1, "two different hosts"},
		{"at 1s drift 1 5", 1, "drift wants"},
		{"at 1s drift 1 +2000000ppm", 1, "bad drift"},
		{"at 48h crash 1", 1, "longer than"},
	}
	for _, tt := range tests {
		_, err := ParseSchedule(strings.NewReader(tt.script), "s.txt")
		var se *ScriptError
		if !errors.As(err, &se) {
			t.Errorf("%q: got error %v, want a *ScriptError", tt.script, err)
			continue
		}
		if se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("%q: got line %d %q, want line %d containing %q", tt.script, se.Line, se.Msg, tt.line, tt.msg)
		}
		if !strings.HasPrefix(err.Error(), "scenarios: s.txt:") {
			t.Errorf("%q: error %q does not name the script", tt.script, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 1500 * time.Millisecond: "1.5s", 200 * time.Millisecond: "200ms", 2 * time.Minute: "120s",
		250 * time.Microsecond: "250us", 7: "7ns", 1001 * time.Microsecond: "1001us",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%d) = %q, want %q", d, got, want)
		}
		back, err := parseDuration(want)
		if err != nil || back != d {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", want, back, err, d)
		}
	}
}

// TestFormatDurationMillisecondsRoundTrip: every millisecond count prints exactly (a
// float conversion once printed 11.569s as 11.568999999999999s).
func TestFormatDurationMillisecondsRoundTrip(t *testing.T) {
	for ms := int64(0); ms <= 100_000; ms++ {
		d := time.Duration(ms) * time.Millisecond
		text := formatDuration(d)
		back, err := parseDuration(text)
		if err != nil || back != d || len(text) > len("100.000s") {
			t.Fatalf("%dms prints as %q, which parses to %v, %v", ms, text, back, err)
		}
	}
}

// FuzzParseSchedule: any input either parses to a schedule whose printed form parses
// back to the same schedule, or fails with a line-numbered ScriptError; never a panic.
func FuzzParseSchedule(f *testing.F) {
	f.Add(everyKindScript)
	f.Add("at 1s partition 1,2|3\n")
	f.Add("at 1s clog 2-1\nat 1.5s heal # done\n")
	f.Add("at 0.0001s pause 1 for 1ns")
	f.Add("at 1s partition ->\n")
	f.Fuzz(func(t *testing.T, script string) {
		s, err := ParseSchedule(strings.NewReader(script), "fuzz")
		if err != nil {
			var se *ScriptError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		again, err := ParseSchedule(strings.NewReader(s.String()), "printed")
		if err != nil {
			t.Fatalf("printed schedule does not parse: %v\n%s", err, s)
		}
		if diff := cmp.Diff(s, again); diff != "" {
			t.Fatalf("round trip changed the schedule (-parsed +reparsed):\n%s", diff)
		}
	})
}
