package fle

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/scripts/*.txt with the effects the election produces")

// TestGoldenScripts runs the interaction scripts in testdata/scripts. A script drives one
// Election; each command line is followed by the effects it produced, each on a line
// starting with "> ". Commands:
//
//	config me=N voters=1,2,3 [observers=4] [predicate=pre-zk-1419]
//	at MS                                   move the clock
//	accept PEER                             a connection from PEER with its handshake
//	dialed PEER                             our Dial to PEER succeeded
//	dialfail PEER                           our Dial to PEER failed
//	closed PEER                             PEER's connection closed
//	start ZXID EPOCH                        Start a round
//	recv PEER STATE LEADER ZXID ROUND EPOCH a notification from PEER
//	timer poll|connect                      a timer fired
//	update-epoch EPOCH                      UpdateElectionVote
//	state                                   print state, round and current vote
//
// Lines starting with # are comments. Run with -update to rewrite the expectations.
func TestGoldenScripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scripts", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := runScript(t, string(data))
			if *updateGolden {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(data) {
				t.Fatalf("%s: transcript differs (run with -update to accept):\n%s", file, lineDiff(string(data), got))
			}
		})
	}
}

// runScript executes the commands of a script and returns it re-rendered with the
// effects each command produced.
func runScript(t *testing.T, text string) string {
	var out strings.Builder
	var s *script
	sc := bufio.NewScanner(strings.NewReader(text))
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := sc.Text()
		if strings.HasPrefix(line, "> ") {
			continue // expectations are regenerated
		}
		out.WriteString(line + "\n")
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(line, "#") {
			continue
		}
		if fields[0] == "config" {
			s = newScript(t, scriptConfig(t, lineNo, fields[1:]))
			continue
		}
		if s == nil {
			t.Fatalf("line %d: %q before config", lineNo, line)
		}
		for _, eff := range scriptStep(t, s, lineNo, fields) {
			out.WriteString("> " + eff + "\n")
		}
	}
	return out.String()
}

func scriptConfig(t *testing.T, lineNo int, args []string) Config {
	var cfg Config
	for _, arg := range args {
		key, value, _ := strings.Cut(arg, "=")
		switch key {
		case "me":
			cfg.MyID = scriptInt(t, lineNo, value)
		case "voters":
			cfg.Voters = scriptInts(t, lineNo, value)
		case "observers":
			cfg.Observers = scriptInts(t, lineNo, value)
		case "predicate":
			if value == "pre-zk-1419" {
				cfg.Predicate = PreZK1419
			}
		default:
			t.Fatalf("line %d: unknown config %q", lineNo, arg)
		}
	}
	return cfg
}

func scriptStep(t *testing.T, s *script, lineNo int, f []string) []string {
	arg := func(i int) int64 {
		if i >= len(f) {
			t.Fatalf("line %d: %s needs more arguments", lineNo, f[0])
		}
		return scriptInt(t, lineNo, f[i])
	}
	switch f[0] {
	case "at":
		s.at(arg(1))
		return nil
	case "accept":
		return s.connectFrom(arg(1))
	case "dialed":
		return s.dialed(arg(1))
	case "dialfail":
		return s.render(s.e.OnDialFailed(s.now, arg(1)))
	case "closed":
		return s.render(s.e.OnClosed(s.now, s.conns[arg(1)]))
	case "start":
		return s.start(arg(1), arg(2))
	case "recv":
		st := map[string]State{"LOOKING": Looking, "FOLLOWING": Following, "LEADING": Leading, "OBSERVING": Observing}[f[2]]
		return s.recv(arg(1), Notification{State: st, Leader: arg(3), Zxid: arg(4), ElectionEpoch: arg(5), PeerEpoch: arg(6)})
	case "timer":
		if len(f) > 1 && f[1] == "connect" {
			return s.timer(ConnectTimer)
		}
		return s.timer(PollTimer)
	case "update-epoch":
		s.e.UpdateElectionVote(arg(1))
		return nil
	case "state":
		return []string{fmt.Sprintf("%s round %d vote %s", s.e.State(), s.e.LogicalClock(), short(s.e.CurrentVote()))}
	}
	t.Fatalf("line %d: unknown command %q", lineNo, f[0])
	return nil
}

func scriptInt(t *testing.T, lineNo int, s string) int64 {
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		t.Fatalf("line %d: %q is not a number", lineNo, s)
	}
	return v
}

func scriptInts(t *testing.T, lineNo int, s string) []int64 {
	var out []int64
	for _, part := range strings.Split(s, ",") {
		out = append(out, scriptInt(t, lineNo, part))
	}
	return out
}

// lineDiff shows the first differing line of two transcripts with context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return "(equal)"
}
