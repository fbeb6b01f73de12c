package zab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const threeServers = `tickTime=2000
initLimit=10
syncLimit=5
dataDir=/data
server.1=zk1:2888:3888
server.2=zk2:2888:3888
server.3=zk3:2888:3888
`

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader(threeServers), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		TickTimeMs: 2000, InitLimit: 10, SyncLimit: 5,
		DataDir: "/data", DataLogDir: "/data",
		MaxClientCnxns:      60,
		MinSessionTimeoutMs: 4000, MaxSessionTimeoutMs: 40000,
		SnapCount: 100000, PreAllocSizeKB: 65536, SnapRetainCount: 3,
		ElectionMinNotificationIntervalMs: 200, ElectionMaxNotificationIntervalMs: 60000,
		ElectionConnectTimeoutMs: 5000,
		Servers: []ServerAddr{
			{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888},
			{ID: 2, Host: "zk2", QuorumPort: 2888, ElectionPort: 3888},
			{ID: 3, Host: "zk3", QuorumPort: 2888, ElectionPort: 3888},
		},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Fatalf("config (-want +got):\n%s", diff)
	}
	if !cfg.Distributed() || !cmp.Equal(cfg.Voters(), []int64{1, 2, 3}) {
		t.Fatalf("voters %v distributed %v", cfg.Voters(), cfg.Distributed())
	}
}

func TestParseConfigEveryKey(t *testing.T) {
	text := `# comment
! also a comment
tickTime = 500
initLimit: 4
syncLimit 2
dataDir=/var/zk
dataLogDir=/var/zklog
clientPort=2191
clientPortAddress=127.0.0.1
maxClientCnxns=0
minSessionTimeout=1000
maxSessionTimeout=60000
snapCount=1
preAllocSize=16
autopurge.snapRetainCount=1
autopurge.purgeInterval=24
fastleader.minNotificationInterval=50
fastleader.maxNotificationInterval=2000
cnxTimeout=1000
server.5=[::1]:2890:3890;127.0.0.1:2195
server.1=a.example:2888:3888:participant;2181
server.3=b:2889:3889:OBSERVER
server.2=c:2887:3887
server.4=d:2886:3886
admin.enableServer=false
4lw.commands.whitelist=*
standaloneEnabled=true
reconfigEnabled=false
electionAlg=3
metricsProvider.httpPort=7000
`
	cfg, err := ParseConfig(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		TickTimeMs: 500, InitLimit: 4, SyncLimit: 2,
		DataDir: "/var/zk", DataLogDir: "/var/zklog",
		ClientPort: 2191, ClientPortAddress: "127.0.0.1",
		MaxClientCnxns:      0,
		MinSessionTimeoutMs: 1000, MaxSessionTimeoutMs: 60000,
		SnapCount: 2, PreAllocSizeKB: 16, SnapRetainCount: 3, PurgeIntervalHours: 24,
		ElectionMinNotificationIntervalMs: 50, ElectionMaxNotificationIntervalMs: 2000,
		ElectionConnectTimeoutMs: 1000,
		Servers: []ServerAddr{
			{ID: 1, Host: "a.example", QuorumPort: 2888, ElectionPort: 3888, ClientPort: 2181},
			{ID: 2, Host: "c", QuorumPort: 2887, ElectionPort: 3887},
			{ID: 3, Host: "b", QuorumPort: 2889, ElectionPort: 3889, Role: ObserverRole},
			{ID: 4, Host: "d", QuorumPort: 2886, ElectionPort: 3886},
			{ID: 5, Host: "::1", QuorumPort: 2890, ElectionPort: 3890, ClientHost: "127.0.0.1", ClientPort: 2195},
		},
	}
	if diff := cmp.Diff(want, cfg, cmpIgnoreWarnings); diff != "" {
		t.Fatalf("config (-want +got):\n%s", diff)
	}
	if !cmp.Equal(cfg.Voters(), []int64{1, 2, 4, 5}) {
		t.Fatalf("voters %v", cfg.Voters())
	}
	for _, w := range []string{"snapCount 1 raised to 2", "autopurge.snapRetainCount 1 raised to 3",
		"4 participants: consider an odd number of servers", "admin.enableServer ignored (not modeled)"} {
		if !strings.Contains(strings.Join(cfg.Warnings, "\n"), w) {
			t.Errorf("warnings %q lack %q", cfg.Warnings, w)
		}
	}
	// String() renders a zoo.cfg that reads back to the same configuration.
	again, err := ParseConfig(strings.NewReader(cfg.String()), "rendered.cfg")
	if err != nil {
		t.Fatalf("rendered config does not parse: %v\n%s", err, cfg.String())
	}
	if diff := cmp.Diff(cfg, again, cmpIgnoreWarnings); diff != "" {
		t.Fatalf("round trip (-first +again):\n%s", diff)
	}
}

var cmpIgnoreWarnings = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".Warnings"
}, cmp.Ignore())

func TestParseConfigContinuationAndEscapes(t *testing.T) {
	text := "tickTime=2\\\n    000\ndataDir=C\\:\\\\zk\\u0041\nclientPort=2181\n"
	cfg, err := ParseConfig(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TickTimeMs != 2000 || cfg.DataDir != `C:\zkA` {
		t.Fatalf("tickTime %d dataDir %q", cfg.TickTimeMs, cfg.DataDir)
	}
	if cfg.Distributed() || cfg.MinSessionTimeoutMs != 4000 {
		t.Fatalf("standalone config: distributed %v min %d", cfg.Distributed(), cfg.MinSessionTimeoutMs)
	}
}

// TestParseConfigErrors pins every error: each names the file, the line (when one line is
// at fault) and what is wrong.
func TestParseConfigErrors(t *testing.T) {
	base := "dataDir=/d\n"
	quorum := base + "initLimit=5\nsyncLimit=2\nserver.1=h1:1:2\nserver.2=h2:1:2\nserver.3=h3:1:2\n"
	tests := []struct {
		name, text, want string
	}{
		{"unknown key", base + "tickTim=2000\n", "zoo.cfg:2: tickTim: unknown key"},
		{"no key", base + "=5\n", "zoo.cfg:2: line has a value but no key"},
		{"duplicate key", base + "tickTime=1\ntickTime=2\n", "zoo.cfg:3: tickTime: duplicate key (first set on line 2)"},
		{"not an integer", base + "tickTime=fast\n", `zoo.cfg:2: tickTime: "fast" is not a 32-bit integer`},
		{"int overflow", base + "initLimit=99999999999\n", `zoo.cfg:2: initLimit: "99999999999" is not a 32-bit integer`},
		{"zero tick", base + "tickTime=0\n", "zoo.cfg:2: tickTime: 0 is out of range (must be at least 1)"},
		{"negative initLimit", base + "initLimit=-1\n", "zoo.cfg:2: initLimit: -1 is out of range (must be at least 1)"},
		{"negative cnxns", base + "maxClientCnxns=-2\n", "zoo.cfg:2: maxClientCnxns: -2 is out of range (must be at least 0)"},
		{"bad session timeout", base + "minSessionTimeout=-5\n", "zoo.cfg:2: minSessionTimeout: -5 is out of range (must be at least -1)"},
		{"min above max", base + "minSessionTimeout=9000\nmaxSessionTimeout=8000\n", "zoo.cfg: minSessionTimeout (9000) must not be larger than maxSessionTimeout (8000)"},
		{"min above default max", base + "tickTime=100\nminSessionTimeout=3000\n", "zoo.cfg: minSessionTimeout (3000) must not be larger than maxSessionTimeout (2000)"},
		{"client port range", base + "clientPort=70000\n", "zoo.cfg:2: clientPort: port 70000 is out of range 1..65535"},
		{"client port text", base + "clientPort=x\n", `zoo.cfg:2: clientPort: port "x" is not a number`},
		{"client address without port", base + "clientPortAddress=0.0.0.0\n", "zoo.cfg:2: clientPortAddress: clientPortAddress is set but clientPort is not set"},
		{"empty dataDir", "dataDir=\n", "zoo.cfg:1: dataDir: empty directory"},
		{"no dataDir", "tickTime=2000\n", "zoo.cfg: dataDir is not set"},
		{"preAllocSize", base + "preAllocSize=64M\n", `zoo.cfg:2: preAllocSize: "64M" is not a positive size in KiB`},
		{"snapCount", base + "snapCount=lots\n", `zoo.cfg:2: snapCount: "lots" is not a 32-bit integer`},
		{"purge interval", base + "autopurge.purgeInterval=1h\n", `zoo.cfg:2: autopurge.purgeInterval: "1h" is not a 32-bit integer`},
		{"notification interval", base + "fastleader.minNotificationInterval=0\n", "zoo.cfg:2: fastleader.minNotificationInterval: 0 is out of range (must be at least 1)"},
		{"cnxTimeout", base + "cnxTimeout=5s\n", `zoo.cfg:2: cnxTimeout: "5s" is not a 32-bit integer`},
		{"server id text", base + "server.x=h:1:2\n", `zoo.cfg:2: server.x: server id "x" is not a number`},
		{"server id zero", base + "server.0=h:1:2\n", "zoo.cfg:2: server.0: server id 0 is out of range 1..255"},
		{"server id big", base + "server.256=h:1:2\n", "zoo.cfg:2: server.256: server id 256 is out of range 1..255"},
		{"server id twice", base + "server.1=h:1:2\nserver.01=h:3:4\n", "zoo.cfg:3: server.01: server id 1 is configured twice"},
		{"server one port", base + "server.1=h:2888\n", `zoo.cfg:2: server.1: "h:2888": want host:quorumPort:electionPort`},
		{"server too many fields", base + "server.1=h:1:2:observer:x\n", `zoo.cfg:2: server.1: "h:1:2:observer:x": want host:quorumPort:electionPort`},
		{"server empty host", base + "server.1=:1:2\n", `zoo.cfg:2: server.1: ":1:2": empty host`},
		{"server bad ipv6", base + "server.1=[::1:1:2\n", `zoo.cfg:2: server.1: "[::1:1:2": malformed bracketed IPv6 address`},
		{"server quorum port", base + "server.1=h:0:2\n", `zoo.cfg:2: server.1: "h:0:2": quorum port 0 is out of range 1..65535`},
		{"server election port", base + "server.1=h:1:e\n", `zoo.cfg:2: server.1: "h:1:e": election port "e" is not a number`},
		{"server same ports", base + "server.1=h:7:7\n", `zoo.cfg:2: server.1: "h:7:7": quorum and election port must differ`},
		{"server role", base + "server.1=h:1:2:witness\n", `zoo.cfg:2: server.1: "h:1:2:witness": unrecognised peer type "witness"`},
		{"server client port", base + "server.1=h:1:2;h:99999\n", `zoo.cfg:2: server.1: "h:1:2;h:99999": client port 99999 is out of range 1..65535`},
		{"server two semicolons", base + "server.1=h:1:2;1;2\n", `zoo.cfg:2: server.1: "h:1:2;1;2": more than one ';'`},
		{"no initLimit", base + "syncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n", "zoo.cfg: initLimit is not set"},
		{"no syncLimit", base + "initLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n", "zoo.cfg: syncLimit is not set"},
		{"observers only", base + "server.1=a:1:2:observer\n", "zoo.cfg: observers without participants is an invalid configuration"},
		{"observer and one voter", base + "server.1=a:1:2\nserver.2=b:1:2:observer\n", "zoo.cfg: observers without a quorum (one participant) is an invalid configuration"},
		{"electionAlg", quorum + "electionAlg=1\n", `zoo.cfg:7: electionAlg: invalid electionAlg "1": only 3 (fast leader election) is supported`},
		{"peerType", quorum + "peerType=leader\n", `zoo.cfg:7: peerType: unrecognised peer type "leader"`},
		{"ignored bool", quorum + "standaloneEnabled=yes\n", `zoo.cfg:7: standaloneEnabled: invalid option "yes": expected true or false`},
		{"ignored int", quorum + "admin.serverPort=http\n", `zoo.cfg:7: admin.serverPort: "http" is not a 32-bit integer`},
		{"dynamic config", quorum + "dynamicConfigFile=/x\n", "zoo.cfg:7: dynamicConfigFile: not supported by zabsim"},
		{"hierarchical", quorum + "group.1=1:2:3\n", "zoo.cfg:7: group.1: not supported by zabsim"},
		{"bad escape", base + "tickTime=\\u12\n", `zoo.cfg:2: malformed \uxxxx escape`},
		{"continuation keeps first line", base + "tickTime=2\\\n000x\n", `zoo.cfg:2: tickTime: "2000x" is not a 32-bit integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(strings.NewReader(tt.text), "zoo.cfg")
			if err == nil {
				t.Fatalf("no error; parsed %+v", cfg)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "zab: "+tt.want) {
				t.Fatalf("error\n  %q\nwant prefix\n  %q", err.Error(), "zab: "+tt.want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.TickTimeMs != 2000 || cfg.InitLimit != 10 || cfg.SyncLimit != 5 {
		t.Fatalf("default config %+v", cfg)
	}
	if !cmp.Equal(cfg.Voters(), []int64{1, 2, 3}) || cfg.ClientPort != 2181 {
		t.Fatalf("voters %v clientPort %d", cfg.Voters(), cfg.ClientPort)
	}
	s, ok := cfg.Server(2)
	if !ok || s.Host != "zk2" || s.QuorumPort != 2888 || s.ElectionPort != 3888 {
		t.Fatalf("server 2: %+v %v", s, ok)
	}
	if _, ok := cfg.Server(4); ok {
		t.Fatal("server 4 found in a three-server config")
	}
	if err := cfg.CheckMyID(3); err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckMyID(4); err == nil || !strings.Contains(err.Error(), "myid 4 is not one of the configured servers [1 2 3]") {
		t.Fatalf("CheckMyID(4) = %v", err)
	}
}

// TestParseConfigFixture reads the zoo.cfg real ZooKeeper 3.8.0 ran with. The recorded file
// has no dataDir (it was given to the server separately), which ZooKeeper would reject the
// same way; with one added it parses, including the admin/4lw keys we ignore.
func TestParseConfigFixture(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "fixtures", "zookeeper-3.8.0", "standalone-1", "zoo.cfg")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	if _, err := ParseConfig(strings.NewReader(string(data)), "zoo.cfg"); err == nil ||
		err.Error() != "zab: zoo.cfg: dataDir is not set" {
		t.Fatalf("fixture as recorded: %v", err)
	}
	cfg, err := ParseConfig(strings.NewReader(string(data)+"dataDir=/tmp/zk\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TickTimeMs != 2000 || cfg.ClientPort != 2191 || cfg.SnapCount != 100 || cfg.Distributed() {
		t.Fatalf("fixture config %+v", cfg)
	}
}

func TestParseMyID(t *testing.T) {
	for _, dir := range []string{"n1", "n2", "n3"} {
		path := filepath.Join("..", "..", "shared", "fixtures", "zookeeper-3.8.0", "ensemble-2", dir, "myid")
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
		id, err := ParseMyID(f, path)
		f.Close()
		if err != nil || fmt.Sprintf("n%d", id) != dir {
			t.Fatalf("%s: id %d err %v", path, id, err)
		}
	}
	tests := []struct{ text, want string }{
		{"", `zab: myid:1: serverid "" is not a number`},
		{" 1\n", `zab: myid:1: serverid " 1" is not a number`},
		{"one\n", `zab: myid:1: serverid "one" is not a number`},
		{"0\n", "zab: myid:1: serverid 0 is out of range 1..255"},
		{"300", "zab: myid:1: serverid 300 is out of range 1..255"},
	}
	for _, tt := range tests {
		if _, err := ParseMyID(strings.NewReader(tt.text), "myid"); err == nil || err.Error() != tt.want {
			t.Errorf("ParseMyID(%q) = %v, want %s", tt.text, err, tt.want)
		}
	}
	if id, err := ParseMyID(strings.NewReader("7\r\nignored"), "myid"); err != nil || id != 7 {
		t.Fatalf("CRLF myid: %d %v", id, err)
	}
}

// FuzzParseConfig: any input either parses into a configuration that satisfies the
// invariants below, or fails with a *ConfigError; it never panics.
func FuzzParseConfig(f *testing.F) {
	f.Add(threeServers)
	f.Add(DefaultConfigText)
	f.Add("dataDir=/d\nserver.1=[::1]:1:2;3\n")
	f.Add("a\\\n=b\\u00")
	f.Add("dataDir=/d\ntickTime=1\nminSessionTimeout=-1\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseConfig(strings.NewReader(text), "fuzz.cfg")
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			return
		}
		if cfg.TickTimeMs < 1 || cfg.DataDir == "" || cfg.MinSessionTimeoutMs > cfg.MaxSessionTimeoutMs {
			t.Fatalf("invalid config accepted: %+v", cfg)
		}
		if cfg.SnapCount < 2 || cfg.SnapRetainCount < 3 {
			t.Fatalf("unclamped config: %+v", cfg)
		}
		if cfg.Distributed() && (cfg.InitLimit < 1 || cfg.SyncLimit < 1) {
			t.Fatalf("distributed config without limits: %+v", cfg)
		}
		for i, s := range cfg.Servers {
			if s.ID < 1 || s.ID > 255 || (i > 0 && cfg.Servers[i-1].ID >= s.ID) {
				t.Fatalf("server ids not unique/sorted/in range: %+v", cfg.Servers)
			}
		}
		again, err := ParseConfig(strings.NewReader(cfg.String()), "rendered.cfg")
		if err != nil {
			t.Fatalf("rendering of %q does not parse: %v\n%s", text, err, cfg.String())
		}
		if diff := cmp.Diff(cfg, again, cmpIgnoreWarnings); diff != "" {
			t.Fatalf("round trip of %q (-first +again):\n%s", text, diff)
		}
	})
}

func ExampleParseConfig() {
	cfg, err := ParseConfig(strings.NewReader(DefaultConfigText), "zoo.cfg")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.TickTimeMs, cfg.InitLimit, cfg.SyncLimit, cfg.Voters())
	s, _ := cfg.Server(1)
	fmt.Printf("server.1 %s quorum %d election %d\n", s.Host, s.QuorumPort, s.ElectionPort)
	_, err = ParseConfig(strings.NewReader("dataDir=/d\ntickTime=2000\ntickTime=3000\n"), "zoo.cfg")
	fmt.Println(err)
	// Output:
	// 2000 10 5 [1 2 3]
	// server.1 zk1 quorum 2888 election 3888
	// zab: zoo.cfg:3: tickTime: duplicate key (first set on line 2)
}
