package zab

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Role is a server's role in the ensemble, from the optional fourth field of a server.N
// line.
type Role int

const (
	// Participant servers vote in elections and count towards quorums (the default).
	Participant Role = iota
	// ObserverRole servers follow the leader but never vote.
	ObserverRole
)

func (r Role) String() string {
	if r == ObserverRole {
		return "observer"
	}
	return "participant"
}

// ServerAddr is one server.N line: server.ID=Host:QuorumPort:ElectionPort[:role][;[ClientHost:]ClientPort].
type ServerAddr struct {
	ID           int64
	Host         string
	QuorumPort   int
	ElectionPort int
	Role         Role
	// ClientHost and ClientPort come from the optional ";[host:]port" suffix; ClientPort is
	// 0 when the line has none (the server then uses the static clientPort).
	ClientHost string
	ClientPort int
}

// Config is a parsed zoo.cfg. Field names carry their unit last (TickTimeMs). Defaults are
// ZooKeeper 3.8's (see DefaultTickTimeMs and friends).
type Config struct {
	TickTimeMs int
	// InitLimit and SyncLimit are in ticks. ZooKeeper has no default: a distributed
	// configuration without them is an error.
	InitLimit int
	SyncLimit int
	DataDir   string
	// DataLogDir defaults to DataDir.
	DataLogDir string
	// ClientPort 0 means "not set" (ZooKeeper then serves no plain client port unless a
	// server.N line carries one).
	ClientPort        int
	ClientPortAddress string
	MaxClientCnxns    int
	// MinSessionTimeoutMs and MaxSessionTimeoutMs default to 2× and 20× TickTimeMs.
	MinSessionTimeoutMs int
	MaxSessionTimeoutMs int
	// SnapCount is zookeeper.snapCount (clamped to at least 2, as ZooKeeperServer does).
	SnapCount int
	// PreAllocSizeKB is zookeeper.preAllocSize, in KiB.
	PreAllocSizeKB int64
	// SnapRetainCount is autopurge.snapRetainCount (raised to at least 3, as ZooKeeper does).
	SnapRetainCount int
	// PurgeIntervalHours is autopurge.purgeInterval; 0 (the default) disables purging.
	PurgeIntervalHours int
	// Election knobs ZooKeeper reads as system properties (which zoo.cfg keys become):
	// fastleader.minNotificationInterval / fastleader.maxNotificationInterval (FLE's poll
	// timeout starts at the first and doubles up to the second) and cnxTimeout (the
	// election connect timeout). Pass them to zab/fle's Config.
	ElectionMinNotificationIntervalMs int
	ElectionMaxNotificationIntervalMs int
	ElectionConnectTimeoutMs          int
	// Servers are the server.N lines sorted by ID. Use Server(id) to look one up, and
	// Voters() for the participants.
	Servers []ServerAddr
	// Warnings are the adjustments ZooKeeper makes silently or with a log line (a clamped
	// snapCount, a raised snapRetainCount, an ignored key), for the operator to read.
	Warnings []string
}

// ZooKeeper 3.8's defaults for keys a zoo.cfg may leave out.
const (
	DefaultTickTimeMs      = 3000
	DefaultMaxClientCnxns  = 60
	DefaultSnapCount       = 100000
	DefaultPreAllocSizeKB  = 65536
	DefaultSnapRetainCount = 3
	// FastLeaderElection's minNotificationInterval (= finalizeWait), maxNotificationInterval
	// and QuorumCnxManager's cnxTO.
	DefaultElectionMinNotificationIntervalMs = 200
	DefaultElectionMaxNotificationIntervalMs = 60000
	DefaultElectionConnectTimeoutMs          = 5000
	minSnapCount                             = 2
	minSnapRetainCount                       = 3
	maxServerID                              = 255
)

// DefaultConfigText is the canonical three-server zoo.cfg of the operator's walkthrough
// (tickTime=2000, initLimit=10, syncLimit=5). Hosts are the simulator's host names.
const DefaultConfigText = `# zabsim's canonical three-server ensemble
tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
server.1=zk1:2888:3888
server.2=zk2:2888:3888
server.3=zk3:2888:3888
`

// DefaultConfig returns DefaultConfigText parsed.
func DefaultConfig() *Config {
	cfg, err := ParseConfig(strings.NewReader(DefaultConfigText), "zoo.cfg")
	if err != nil {
		panic("zab: DefaultConfigText does not parse: " + err.Error())
	}
	return cfg
}

// ConfigError is a problem in a zoo.cfg or myid file: the file, the line (0 when the
// problem is about the file as a whole) and what is wrong.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("zab: %s: %s: %s", where, e.Key, e.Msg)
	}
	return fmt.Sprintf("zab: %s: %s", where, e.Msg)
}

// property is one key=value of a Java properties file and the line it started on.
type property struct {
	key, value string
	line       int
}

// ParseConfig reads a zoo.cfg. name is used in error messages ("zoo.cfg:7: tickTime: ...").
//
// The syntax is Java's properties format as ZooKeeper reads it (comments with # or !,
// key=value, key:value or "key value", backslash continuation lines and escapes), with
// keys and values trimmed. Unlike ZooKeeper, a key given twice is an error (Java keeps the
// last silently), and a key that is neither modeled nor in IgnoredConfigKeys() is an error
// (ZooKeeper turns unknown keys into system properties "zookeeper.<key>").
//
// Rules kept from QuorumPeerConfig: dataDir is required and dataLogDir defaults to it;
// tickTime defaults to 3000 ms; min/maxSessionTimeout default to 2×/20× tickTime and min
// must not exceed max; initLimit and syncLimit are required once more than one
// participant is configured (standalone mode needs neither); clientPortAddress needs
// clientPort; observers need at least two participants; snapCount is raised to 2 and
// autopurge.snapRetainCount to 3. Every error is a *ConfigError naming the file, the line
// when one line is at fault, the key and what is wrong.
func ParseConfig(r io.Reader, name string) (*Config, error) {
	props, err := readProperties(r, name)
	if err != nil {
		return nil, err
	}
	p := configParser{file: name, cfg: &Config{
		TickTimeMs:          DefaultTickTimeMs,
		MaxClientCnxns:      DefaultMaxClientCnxns,
		MinSessionTimeoutMs: -1,
		MaxSessionTimeoutMs: -1,
		SnapCount:           DefaultSnapCount,
		PreAllocSizeKB:      DefaultPreAllocSizeKB,
		SnapRetainCount:     DefaultSnapRetainCount,

		ElectionMinNotificationIntervalMs: DefaultElectionMinNotificationIntervalMs,
		ElectionMaxNotificationIntervalMs: DefaultElectionMaxNotificationIntervalMs,
		ElectionConnectTimeoutMs:          DefaultElectionConnectTimeoutMs,
	}}
	for _, prop := range props {
		if err := p.apply(prop); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

// readProperties splits a properties file into key/value pairs, rejecting duplicate keys.
func readProperties(r io.Reader, name string) ([]property, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var props []property
	seen := map[string]int{}
	lineNo := 0
	for sc.Scan() {
		lineNo++
		startLine := lineNo
		logical := strings.TrimLeft(sc.Text(), " \t\f")
		if logical == "" || logical[0] == '#' || logical[0] == '!' {
			continue
		}
		for continued(logical) && sc.Scan() {
			lineNo++
			logical = logical[:len(logical)-1] + strings.TrimLeft(sc.Text(), " \t\f")
		}
		key, value, err := splitProperty(logical)
		if err != nil {
			return nil, &ConfigError{File: name, Line: startLine, Msg: err.Error()}
		}
		if first, dup := seen[key]; dup {
			return nil, &ConfigError{File: name, Line: startLine, Key: key,
				Msg: fmt.Sprintf("duplicate key (first set on line %d)", first)}
		}
		seen[key] = startLine
		props = append(props, property{key: key, value: value, line: startLine})
	}
	if err := sc.Err(); err != nil {
		return nil, &ConfigError{File: name, Line: lineNo + 1, Msg: "reading: " + err.Error()}
	}
	return props, nil
}

// continued reports whether a line ends in an odd number of backslashes (a continuation).
func continued(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits "key=value", "key:value" or "key value" at the first unescaped
// separator and unescapes both halves; both are trimmed as QuorumPeerConfig does.
func splitProperty(line string) (key, value string, err error) {
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rest := strings.TrimLeft(line[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = rest[1:]
	}
	if key, err = unescape(line[:end]); err != nil {
		return "", "", err
	}
	if value, err = unescape(rest); err != nil {
		return "", "", err
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return "", "", fmt.Errorf("line has a value but no key")
	}
	return key, strings.TrimSpace(value), nil
}

// unescape resolves Java properties escapes: \t \n \r \f, \uXXXX, and \x for any other x.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\uxxxx escape %q", s[i-1:])
			}
			cp, perr := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if perr != nil {
				return "", fmt.Errorf("malformed \\uxxxx escape %q", s[i-1:i+5])
			}
			b.WriteRune(rune(cp))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// configParser applies properties to a Config, remembering what it needs for the checks
// that span several keys.
type configParser struct {
	file           string
	cfg            *Config
	clientAddrLine int
	dataDirSet     bool
}

func (p *configParser) errorAt(prop property, format string, args ...any) error {
	return &ConfigError{File: p.file, Line: prop.line, Key: prop.key, Msg: fmt.Sprintf(format, args...)}
}

func (p *configParser) fileError(format string, args ...any) error {
	return &ConfigError{File: p.file, Msg: fmt.Sprintf(format, args...)}
}

// intTarget returns the field of an integer key ZooKeeper reads, with the smallest value it accepts.
func (p *configParser) intTarget(key string) (target *int, minValue int, ok bool) {
	c := p.cfg
	switch key {
	case "tickTime":
		return &c.TickTimeMs, 1, true
	case "initLimit":
		return &c.InitLimit, 1, true
	case "syncLimit":
		return &c.SyncLimit, 1, true
	case "maxClientCnxns":
		return &c.MaxClientCnxns, 0, true
	case "minSessionTimeout":
		return &c.MinSessionTimeoutMs, -1, true
	case "maxSessionTimeout":
		return &c.MaxSessionTimeoutMs, -1, true
	case "snapCount":
		return &c.SnapCount, 1, true
	case "autopurge.snapRetainCount":
		return &c.SnapRetainCount, 0, true
	case "autopurge.purgeInterval":
		return &c.PurgeIntervalHours, -1 << 31, true
	case "fastleader.minNotificationInterval":
		return &c.ElectionMinNotificationIntervalMs, 1, true
	case "fastleader.maxNotificationInterval":
		return &c.ElectionMaxNotificationIntervalMs, 1, true
	case "cnxTimeout":
		return &c.ElectionConnectTimeoutMs, 1, true
	}
	return nil, 0, false
}

func (p *configParser) apply(prop property) error {
	if target, minValue, ok := p.intTarget(prop.key); ok {
		v, err := parseJavaInt(prop.value)
		if err != nil {
			return p.errorAt(prop, "%v", err)
		}
		if v < minValue {
			return p.errorAt(prop, "%d is out of range (must be at least %d)", v, minValue)
		}
		*target = v
		return nil
	}
	switch {
	case prop.key == "dataDir":
		return p.setDir(prop, &p.cfg.DataDir)
	case prop.key == "dataLogDir":
		return p.setDir(prop, &p.cfg.DataLogDir)
	case prop.key == "clientPort":
		port, err := parsePort(prop.value, true)
		if err != nil {
			return p.errorAt(prop, "%v", err)
		}
		p.cfg.ClientPort = port
	case prop.key == "clientPortAddress":
		p.cfg.ClientPortAddress = prop.value
		p.clientAddrLine = prop.line
	case prop.key == "preAllocSize":
		v, err := strconv.ParseInt(prop.value, 10, 64)
		if err != nil || v <= 0 {
			return p.errorAt(prop, "%q is not a positive size in KiB", prop.value)
		}
		p.cfg.PreAllocSizeKB = v
	case strings.HasPrefix(prop.key, "server."):
		return p.addServer(prop)
	default:
		return p.ignore(prop)
	}
	return nil
}

func (p *configParser) setDir(prop property, dst *string) error {
	if prop.value == "" {
		return p.errorAt(prop, "empty directory")
	}
	*dst = prop.value
	if prop.key == "dataDir" {
		p.dataDirSet = true
	}
	return nil
}

// parseJavaInt parses like Integer.parseInt: optional sign, decimal digits, 32-bit range.
func parseJavaInt(s string) (int, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 32-bit integer", s)
	}
	return int(v), nil
}

// parsePort parses a TCP port; zeroOK allows 0 ("not set", only for clientPort).
func parsePort(s string, zeroOK bool) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("port %q is not a number", s)
	}
	if v == 0 && zeroOK {
		return 0, nil
	}
	if v < 1 || v > 65535 {
		return 0, fmt.Errorf("port %d is out of range 1..65535", v)
	}
	return v, nil
}

// finish applies ZooKeeper's cross-key rules and defaults once every key is read.
func (p *configParser) finish() error {
	c := p.cfg
	if !p.dataDirSet {
		return p.fileError("dataDir is not set")
	}
	if c.DataLogDir == "" {
		c.DataLogDir = c.DataDir
	}
	if c.ClientPortAddress != "" && c.ClientPort == 0 {
		return &ConfigError{File: p.file, Line: p.clientAddrLine, Key: "clientPortAddress",
			Msg: "clientPortAddress is set but clientPort is not set"}
	}
	if c.MinSessionTimeoutMs == -1 {
		c.MinSessionTimeoutMs = 2 * c.TickTimeMs
	}
	if c.MaxSessionTimeoutMs == -1 {
		c.MaxSessionTimeoutMs = 20 * c.TickTimeMs
	}
	if c.MinSessionTimeoutMs > c.MaxSessionTimeoutMs {
		return p.fileError("minSessionTimeout (%d) must not be larger than maxSessionTimeout (%d)",
			c.MinSessionTimeoutMs, c.MaxSessionTimeoutMs)
	}
	if c.SnapCount < minSnapCount {
		c.Warnings = append(c.Warnings, fmt.Sprintf("snapCount %d raised to %d", c.SnapCount, minSnapCount))
		c.SnapCount = minSnapCount
	}
	if c.SnapRetainCount < minSnapRetainCount {
		c.Warnings = append(c.Warnings, fmt.Sprintf("autopurge.snapRetainCount %d raised to %d",
			c.SnapRetainCount, minSnapRetainCount))
		c.SnapRetainCount = minSnapRetainCount
	}
	slices.SortFunc(c.Servers, func(a, b ServerAddr) int { return int(a.ID - b.ID) })
	return p.checkQuorum()
}

// checkQuorum applies QuorumPeerConfig's rules for the server list.
func (p *configParser) checkQuorum() error {
	c := p.cfg
	voters := len(c.Voters())
	observers := len(c.Servers) - voters
	if voters == 0 && observers > 0 {
		return p.fileError("observers without participants is an invalid configuration")
	}
	if voters == 1 && observers > 0 {
		return p.fileError("observers without a quorum (one participant) is an invalid configuration")
	}
	if !c.Distributed() {
		return nil
	}
	if c.InitLimit == 0 {
		return p.fileError("initLimit is not set")
	}
	if c.SyncLimit == 0 {
		return p.fileError("syncLimit is not set")
	}
	if voters%2 == 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d participants: consider an odd number of servers", voters))
	}
	return nil
}

// Distributed reports whether this is a replicated ensemble (more than one participant),
// as opposed to ZooKeeper's standalone mode.
func (c *Config) Distributed() bool { return len(c.Voters()) > 1 }

// Voters returns the participants' ids in increasing order.
func (c *Config) Voters() []int64 {
	var ids []int64
	for _, s := range c.Servers {
		if s.Role == Participant {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// ServerIDs returns every configured server id (participants and observers) in
// increasing order.
func (c *Config) ServerIDs() []int64 {
	ids := make([]int64, len(c.Servers))
	for i, s := range c.Servers {
		ids[i] = s.ID
	}
	return ids
}

// Server returns the server.N entry for id.
func (c *Config) Server(id int64) (ServerAddr, bool) {
	i, found := slices.BinarySearchFunc(c.Servers, id, func(s ServerAddr, id int64) int {
		return int(s.ID - id)
	})
	if !found {
		return ServerAddr{}, false
	}
	return c.Servers[i], true
}

// CheckMyID checks that id (from the myid file) names a configured server, as a
// distributed ZooKeeper requires at start.
func (c *Config) CheckMyID(id int64) error {
	if _, ok := c.Server(id); !ok && c.Distributed() {
		return fmt.Errorf("zab: myid %d is not one of the configured servers %v", id, c.ServerIDs())
	}
	return nil
}

// ParseMyID reads a myid file: ZooKeeper reads its first line and parses it as a long (a
// trailing newline is fine, spaces are not). Ids must be 1..255: the server id is the top
// byte of every session id ZooKeeper mints.
func ParseMyID(r io.Reader, name string) (int64, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return 0, &ConfigError{File: name, Msg: "reading: " + err.Error()}
	}
	first, _, _ := strings.Cut(string(data), "\n")
	first = strings.TrimSuffix(first, "\r")
	id, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, &ConfigError{File: name, Line: 1, Msg: fmt.Sprintf("serverid %q is not a number", first)}
	}
	if id < 1 || id > maxServerID {
		return 0, &ConfigError{File: name, Line: 1, Msg: fmt.Sprintf("serverid %d is out of range 1..%d", id, maxServerID)}
	}
	return id, nil
}
