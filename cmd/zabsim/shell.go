package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zabsim/zabsim/internal/cluster"
	"github.com/zabsim/zabsim/zab"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

func init() {
	register(&command{name: "shell", summary: "interactive zkCli-style console on a simulated ensemble", run: shellCmd})
}

const shellDescription = `An interactive console, like ZooKeeper's zkCli.sh, on a simulated ensemble built
from a zoo.cfg (default: three servers, tickTime=2000 initLimit=10 syncLimit=5).
The first prompt appears once every server is serving (one leader, the rest synced
followers). Virtual time only moves while a command waits for its answer or on 'advance'.
Reads commands from stdin, so a script can be piped in; the output of a script is
the same on every run. Type 'help' for the commands.`

const shellHelp = `znode commands (zkCli):
  ls PATH                      children of PATH
  create [-e] [-s] PATH [DATA] create a znode (-e ephemeral, -s sequential)
  get PATH                     data of PATH
  set PATH DATA                replace the data of PATH
  stat PATH                    the Stat of PATH
  delete PATH                  delete PATH (it must have no children)
  deleteall PATH               delete PATH and everything below it
  version                      the simulated ZooKeeper version
cluster commands:
  status                       each server's mode, epochs and zxid, and the leader
  kill N                       kill -9 server N
  start N                      restart server N (it recovers from its disk)
  partition A,B|C              cut every link between servers A,B and server C
  heal                         remove every partition
  advance DURATION             let virtual time pass (e.g. 2s, 500ms)
  connect N                    reconnect the console's client to server N
  help, quit`

// opWaitLimit bounds how much virtual time a console command waits for its answer.
const opWaitLimit = 60 * time.Second

// shellInput is where the console reads commands; tests replace it.
var shellInput io.Reader = os.Stdin

func shellCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("shell", "", shellDescription, stderr)
	cfgFile := fs.String("config", "", "zoo.cfg `file` (default: the built-in three-server ensemble)")
	seed := fs.Uint64("seed", 1, "the simulation seed")
	variant := fs.String("variant", "", "server variant (3.9.3, 3.8.5, 3.8.0)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	if len(pos) != 0 {
		return reportErr(usageErr("takes no arguments, got %q", strings.Join(pos, " ")), fs, stderr)
	}
	sh, err := newShell(*cfgFile, *seed, *variant, stdout)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	if err := sh.loop(shellInput); err != nil {
		fmt.Fprintf(stderr, "zabsim shell: %v\n", err)
		return exitError
	}
	return exitOK
}

// shell is one console session on one simulated ensemble.
type shell struct {
	c       *cluster.Cluster
	cl      *cluster.Client
	server  int64 // the server the console's client is pinned to
	out     io.Writer
	cmdNo   int
	killAt  time.Duration
	killed  int64
	elected int // elections already reported
	variant zab.Variant
}

func newShell(cfgFile string, seed uint64, variantName string, out io.Writer) (*shell, error) {
	cfgText, name := zab.DefaultConfigText, "built-in zoo.cfg"
	if cfgFile != "" {
		b, err := os.ReadFile(cfgFile)
		if err != nil {
			return nil, err
		}
		cfgText, name = string(b), cfgFile
	}
	cfg, err := zab.ParseConfig(strings.NewReader(cfgText), name)
	if err != nil {
		return nil, err
	}
	variant, err := zab.ParseVariant(variantName)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	c, err := cluster.New(cluster.Options{Seed: seed, Config: cfg, Variant: variant})
	if err != nil {
		return nil, err
	}
	sh := &shell{c: c, out: out, variant: variant}
	fmt.Fprintf(out, "zabsim shell: %d servers from %s (tickTime=%d initLimit=%d syncLimit=%d), seed %d, variant %s\n",
		len(c.ServerIDs()), name, cfg.TickTimeMs, cfg.InitLimit, cfg.SyncLimit, seed, variant)
	// The first prompt waits until every server is serving, as the walkthrough does and
	// as an operator checks zkServer.sh status first. Prompting at the first leader left
	// a follower still in its connect-to-leader retries (it dialed just before the leader
	// listened; ZooKeeper retries 5 times, 100 ms apart), so an immediate `kill` of the
	// leader kept it out of the next election for ~0.6 s and the election took 1.2 s —
	// ZooKeeper's own behaviour for that timing, but not the failover the console shows.
	if _, err := c.RunUntilCond(opWaitLimit, c.Converged); err != nil {
		return nil, err
	}
	sh.reportElections()
	sh.connect(c.ServerIDs()[0])
	return sh, nil
}

func (sh *shell) now() time.Duration { return time.Duration(sh.c.Now()) }

func (sh *shell) printf(format string, args ...any) { fmt.Fprintf(sh.out, format, args...) }

// loop reads and runs commands until the input ends or quit.
func (sh *shell) loop(in io.Reader) error {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sh.printf("[zk: zk%d(%s) %d t=%s] %s\n", sh.server, sh.state(), sh.cmdNo, formatVirtual(sh.now()), line)
		sh.cmdNo++
		if quit := sh.exec(line); quit {
			return nil
		}
	}
	return sc.Err()
}

func formatVirtual(d time.Duration) string {
	return fmt.Sprintf("%d.%03ds", d/time.Second, (d%time.Second)/time.Millisecond)
}

func (sh *shell) state() string {
	if sh.cl == nil {
		return "NONE"
	}
	return strings.ToUpper(sh.cl.Lib().State().String())
}

// exec runs one command line; it reports whether the console should end.
func (sh *shell) exec(line string) bool {
	args, err := splitArgs(line)
	if err != nil {
		sh.printf("%v\n", err)
		return false
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "quit", "exit":
		return true
	case "help":
		sh.printf("%s\n", shellHelp)
	case "version":
		sh.printf("ZooKeeper CLI version: zabsim, simulating Apache ZooKeeper 3.8 (server variant %s)\n", sh.variantName())
	case "ls", "get", "stat", "delete", "deleteall":
		sh.pathCommand(cmd, args)
	case "create":
		sh.create(args)
	case "set":
		sh.set(args)
	default:
		sh.clusterCommand(cmd, args)
	}
	return false
}

func (sh *shell) variantName() string { return sh.variant.String() }

// clusterCommand runs the commands that act on the ensemble rather than on znodes.
func (sh *shell) clusterCommand(cmd string, args []string) {
	switch cmd {
	case "status":
		sh.status()
	case "kill", "start", "connect":
		sid, ok := sh.serverArg(cmd, args)
		if !ok {
			return
		}
		switch cmd {
		case "kill":
			sh.c.Kill(sid)
			sh.killAt, sh.killed = sh.now(), sid
			sh.printf("killed server %d\n", sid)
		case "start":
			sh.c.Restart(sid)
			sh.printf("started server %d\n", sid)
		case "connect":
			sh.connect(sid)
		}
	case "partition":
		sh.partition(args)
	case "heal":
		sh.c.Heal()
		sh.printf("healed every partition\n")
	case "advance":
		sh.advance(args)
	default:
		sh.printf("unknown command %q; type help for the commands\n", cmd)
	}
}

func (sh *shell) serverArg(cmd string, args []string) (int64, bool) {
	if len(args) != 1 {
		sh.printf("usage: %s N\n", cmd)
		return 0, false
	}
	sid, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || !slices.Contains(sh.c.ServerIDs(), sid) {
		sh.printf("no server %q (servers: %v)\n", args[0], sh.c.ServerIDs())
		return 0, false
	}
	return sid, true
}

func (sh *shell) advance(args []string) {
	if len(args) != 1 {
		sh.printf("usage: advance DURATION (e.g. 2s)\n")
		return
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d <= 0 {
		sh.printf("bad duration %q: want a positive duration like 2s or 500ms\n", args[0])
		return
	}
	if err := sh.c.RunFor(d); err != nil {
		sh.printf("simulation stopped: %v\n", err)
		return
	}
	sh.reportElections()
}

// reportElections prints the leader establishments since the last report, with the
// election time after a kill.
func (sh *shell) reportElections() {
	els := sh.c.Elections()
	for _, e := range els[sh.elected:] {
		at := time.Duration(e.AtNs)
		sh.printf("  t=%s: server %d is leading, epoch %d", formatVirtual(at), e.Leader, e.Epoch)
		if sh.killed != 0 && at >= sh.killAt {
			sh.printf(" (%dms after server %d was killed)", (at-sh.killAt)/time.Millisecond, sh.killed)
			sh.killed = 0
		}
		sh.printf("\n")
	}
	sh.elected = len(els)
}

func (sh *shell) status() {
	for _, sid := range sh.c.ServerIDs() {
		sh.printf("%s\n", sh.c.StatusLine(sid))
	}
	if l, ok := sh.c.Leader(); ok {
		sh.printf("leader: server %d\n", l)
	} else {
		sh.printf("leader: none\n")
	}
}

func (sh *shell) partition(args []string) {
	spec := strings.Join(args, "")
	left, right, ok := strings.Cut(spec, "|")
	a, errA := sh.serverList(left)
	b, errB := sh.serverList(right)
	if !ok || errA != nil || errB != nil {
		sh.printf("usage: partition A,B|C (server ids on each side)\n")
		return
	}
	sh.c.Partition(a, b)
	sh.printf("partitioned %v from %v\n", a, b)
}

func (sh *shell) serverList(s string) ([]int64, error) {
	var ids []int64
	for _, f := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || !slices.Contains(sh.c.ServerIDs(), id) {
			return nil, fmt.Errorf("bad server %q", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// connect pins a fresh client session to one server and waits for it to connect.
func (sh *shell) connect(sid int64) {
	if sh.cl != nil {
		sh.cl.Do(func(now int64, lib *client.Client) { lib.Close(now, func(client.Result) {}) })
	}
	cl, err := sh.c.AddClient(cluster.ClientOptions{Servers: []int64{sid}, SessionTimeoutMs: 30000})
	if err != nil {
		sh.printf("connect: %v\n", err)
		return
	}
	sh.cl, sh.server = cl, sid
	ok, err := sh.c.RunUntilCond(opWaitLimit, func() bool { return cl.Lib().State() == client.StateConnected })
	switch {
	case err != nil:
		sh.printf("simulation stopped: %v\n", err)
	case !ok:
		sh.printf("could not connect to server %d within %s of virtual time\n", sid, opWaitLimit)
	default:
		sh.printf("connected to server %d (session timeout %dms)\n", sid, cl.Lib().NegotiatedTimeoutMs())
	}
	sh.reportElections()
}

// call issues one operation and runs the world until its callback fires.
func (sh *shell) call(issue func(now int64, lib *client.Client, cb client.Callback)) (client.Result, bool) {
	var res client.Result
	done := false
	sh.cl.Do(func(now int64, lib *client.Client) {
		issue(now, lib, func(r client.Result) { res, done = r, true })
	})
	ok, err := sh.c.RunUntilCond(opWaitLimit, func() bool { return done })
	if err != nil {
		sh.printf("simulation stopped: %v\n", err)
		return res, false
	}
	if !ok {
		sh.printf("no answer within %s of virtual time (the outcome is unknown)\n", opWaitLimit)
		return res, false
	}
	sh.reportElections()
	return res, true
}

func (sh *shell) pathCommand(cmd string, args []string) {
	if len(args) != 1 {
		sh.printf("usage: %s PATH\n", cmd)
		return
	}
	path := args[0]
	switch cmd {
	case "ls":
		if r, ok := sh.call(func(now int64, lib *client.Client, cb client.Callback) { lib.Children(now, path, nil, cb) }); ok && sh.okOr(r, path) {
			kids := slices.Clone(r.Children)
			slices.Sort(kids)
			sh.printf("[%s]\n", strings.Join(kids, ", "))
		}
	case "get":
		if r, ok := sh.call(func(now int64, lib *client.Client, cb client.Callback) { lib.Get(now, path, nil, cb) }); ok && sh.okOr(r, path) {
			sh.printf("%s\n", r.Data)
		}
	case "stat":
		if r, ok := sh.call(func(now int64, lib *client.Client, cb client.Callback) { lib.Exists(now, path, nil, cb) }); ok && sh.okOr(r, path) {
			sh.printStat(r.Stat)
		}
	case "delete":
		if r, ok := sh.call(func(now int64, lib *client.Client, cb client.Callback) { lib.Delete(now, path, -1, cb) }); ok {
			sh.okOr(r, path)
		}
	case "deleteall":
		sh.deleteAll(path)
	}
}

// deleteAll deletes a subtree bottom-up, as zkCli's deleteall does.
func (sh *shell) deleteAll(path string) bool {
	r, ok := sh.call(func(now int64, lib *client.Client, cb client.Callback) { lib.Children(now, path, nil, cb) })
	if !ok || !sh.okOr(r, path) {
		return false
	}
	kids := slices.Clone(r.Children)
	slices.Sort(kids)
	for _, k := range kids {
		if !sh.deleteAll(strings.TrimSuffix(path, "/") + "/" + k) {
			return false
		}
	}
	r, ok = sh.call(func(now int64, lib *client.Client, cb client.Callback) { lib.Delete(now, path, -1, cb) })
	return ok && sh.okOr(r, path)
}

func (sh *shell) create(args []string) {
	var flags int32
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-e":
			flags |= cp.FlagEphemeral
		case "-s":
			flags |= cp.FlagPersistentSequential
		default:
			sh.printf("create: unknown option %s (want -e, -s)\n", args[0])
			return
		}
		args = args[1:]
	}
	if len(args) < 1 || len(args) > 2 {
		sh.printf("usage: create [-e] [-s] PATH [DATA]\n")
		return
	}
	path, data := args[0], ""
	if len(args) == 2 {
		data = args[1]
	}
	r, ok := sh.call(func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, path, []byte(data), flags, cb)
	})
	if ok && sh.okOr(r, path) {
		sh.printf("Created %s\n", r.Path)
	}
}

func (sh *shell) set(args []string) {
	if len(args) != 2 {
		sh.printf("usage: set PATH DATA\n")
		return
	}
	path, data := args[0], args[1]
	if r, ok := sh.call(func(now int64, lib *client.Client, cb client.Callback) { lib.Set(now, path, []byte(data), -1, cb) }); ok {
		sh.okOr(r, path)
	}
}

// okOr reports whether the result is a success, printing zkCli's message if not.
func (sh *shell) okOr(r client.Result, path string) bool {
	switch r.Err {
	case cp.ErrOK:
		return true
	case cp.ErrNoNode:
		sh.printf("Node does not exist: %s\n", path)
	case cp.ErrNodeExists:
		sh.printf("Node already exists: %s\n", path)
	case cp.ErrNotEmpty:
		sh.printf("Node not empty: %s\n", path)
	case cp.ErrBadVersion:
		sh.printf("version No is not valid : %s\n", path)
	default:
		sh.printf("KeeperErrorCode = %s for %s\n", keeperCodeName(r.Err), path)
		if st := sh.cl.Lib().State(); st != client.StateConnected {
			sh.printf("(the console's session is %s: server %d may be down or cut off; try connect N)\n", strings.ToLower(st.String()), sh.server)
		}
	}
	return false
}

// keeperCodeName is the name zkCli prints for an error code (KeeperException.Code's).
func keeperCodeName(e cp.ErrCode) string {
	names := map[cp.ErrCode]string{cp.ErrConnectionLoss: "ConnectionLoss", cp.ErrSessionExpired: "SessionExpired",
		cp.ErrOperationTimeout: "OperationTimeout", cp.ErrBadArguments: "BadArguments", cp.ErrNoAuth: "NoAuth",
		cp.ErrNoChildrenForEphemerals: "NoChildrenForEphemerals", cp.ErrSessionMoved: "SessionMoved"}
	if n, ok := names[e]; ok {
		return n
	}
	return e.String()
}

// printStat prints a Stat as zkCli does; times are virtual milliseconds since the run
// began, printed as dates from the Unix epoch.
func (sh *shell) printStat(st cp.Stat) {
	date := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("Mon Jan 02 15:04:05 UTC 2006") }
	sh.printf("cZxid = 0x%x\nctime = %s\nmZxid = 0x%x\nmtime = %s\npZxid = 0x%x\n", st.Czxid, date(st.Ctime), st.Mzxid, date(st.Mtime), st.Pzxid)
	sh.printf("cversion = %d\ndataVersion = %d\naclVersion = %d\nephemeralOwner = 0x%x\ndataLength = %d\nnumChildren = %d\n",
		st.Cversion, st.Version, st.Aversion, st.EphemeralOwner, st.DataLength, st.NumChildren)
}

// splitArgs splits a command line on blanks; double quotes group words ("hello world")
// and are removed.
func splitArgs(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range line {
		switch {
		case r == '"':
			inQuote, have = !inQuote, true
		case (r == ' ' || r == '\t') && !inQuote:
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if have {
		args = append(args, cur.String())
	}
	return args, nil
}
