package zab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// addServer parses one server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]
// line (QuorumPeer.QuorumServer's format; 3.8 requires both peer ports).
func (p *configParser) addServer(prop property) error {
	idText := strings.TrimPrefix(prop.key, "server.")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return p.errorAt(prop, "server id %q is not a number", idText)
	}
	if id < 1 || id > maxServerID {
		return p.errorAt(prop, "server id %d is out of range 1..%d", id, maxServerID)
	}
	for _, s := range p.cfg.Servers {
		if s.ID == id {
			return p.errorAt(prop, "server id %d is configured twice", id)
		}
	}
	s, err := parseServerAddr(prop.value)
	if err != nil {
		return p.errorAt(prop, "%v", err)
	}
	s.ID = id
	p.cfg.Servers = append(p.cfg.Servers, s)
	return nil
}

func parseServerAddr(value string) (ServerAddr, error) {
	const format = "want host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]"
	peerPart, clientPart, hasClient := strings.Cut(value, ";")
	if strings.Contains(clientPart, ";") {
		return ServerAddr{}, fmt.Errorf("%q: more than one ';' (%s)", value, format)
	}
	host, fields, err := splitHostFields(peerPart)
	if err != nil {
		return ServerAddr{}, fmt.Errorf("%q: %v (%s)", value, err, format)
	}
	if len(fields) < 2 || len(fields) > 3 {
		return ServerAddr{}, fmt.Errorf("%q: %s", value, format)
	}
	s := ServerAddr{Host: host}
	if s.QuorumPort, err = parsePort(fields[0], false); err != nil {
		return ServerAddr{}, fmt.Errorf("%q: quorum %v", value, err)
	}
	if s.ElectionPort, err = parsePort(fields[1], false); err != nil {
		return ServerAddr{}, fmt.Errorf("%q: election %v", value, err)
	}
	if s.QuorumPort == s.ElectionPort {
		return ServerAddr{}, fmt.Errorf("%q: quorum and election port must differ", value)
	}
	if len(fields) == 3 {
		switch strings.ToLower(fields[2]) {
		case "participant":
			s.Role = Participant
		case "observer":
			s.Role = ObserverRole
		default:
			return ServerAddr{}, fmt.Errorf("%q: unrecognised peer type %q (want participant or observer)", value, fields[2])
		}
	}
	if hasClient {
		if err := parseClientAddr(strings.TrimSpace(clientPart), &s); err != nil {
			return ServerAddr{}, fmt.Errorf("%q: %v", value, err)
		}
	}
	return s, nil
}

// splitHostFields splits "host:a:b[:c]" or "[v6addr]:a:b[:c]" into the host and the rest.
func splitHostFields(s string) (host string, fields []string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return "", nil, fmt.Errorf("malformed bracketed IPv6 address")
		}
		host, s = s[1:end], s[end+2:]
		if host == "" || strings.ContainsAny(host, "[") {
			return "", nil, fmt.Errorf("malformed bracketed IPv6 address")
		}
		return host, strings.Split(s, ":"), nil
	}
	parts := strings.Split(s, ":")
	if parts[0] == "" {
		return "", nil, fmt.Errorf("empty host")
	}
	if strings.ContainsAny(parts[0], "[]") {
		return "", nil, fmt.Errorf("malformed host %q", parts[0])
	}
	return parts[0], parts[1:], nil
}

// parseClientAddr parses the ";[clientHost:]clientPort" suffix of a server line.
func parseClientAddr(s string, dst *ServerAddr) error {
	host, portText := "", s
	if i := strings.LastIndex(s, ":"); i >= 0 {
		host, portText = strings.Trim(s[:i], "[]"), s[i+1:]
	}
	port, err := parsePort(portText, false)
	if err != nil {
		return fmt.Errorf("client %v", err)
	}
	dst.ClientHost, dst.ClientPort = host, port
	return nil
}

// valueKind says how an accepted-but-ignored key's value is checked.
type valueKind int

const (
	anyValue valueKind = iota
	boolValue
	intValue
)

// ignoredKey is a key real ZooKeeper 3.8 understands that zabsim accepts and ignores.
type ignoredKey struct {
	name string
	kind valueKind
}

// ignoredConfigKeys are keys real ZooKeeper 3.8 understands that zabsim accepts and
// ignores because they do not change what the simulation models (admin server, TLS/SASL,
// metrics, listen addresses, 4lw whitelist, ...). Booleans and integers among them are
// still checked, so a typo'd value is reported as ZooKeeper would. Any other unknown key is
// an error. IgnoredConfigKeys lists them for the documentation and the shell.
var ignoredConfigKeys = []ignoredKey{
	{"standaloneEnabled", boolValue},
	{"reconfigEnabled", boolValue},
	{"4lw.commands.whitelist", anyValue},
	{"admin.enableServer", boolValue},
	{"admin.serverAddress", anyValue},
	{"admin.serverPort", intValue},
	{"admin.idleTimeout", intValue},
	{"admin.commandURL", anyValue},
	{"admin.portUnification", boolValue},
	{"localSessionsEnabled", boolValue},
	{"localSessionsUpgradingEnabled", boolValue},
	{"secureClientPort", intValue},
	{"secureClientPortAddress", anyValue},
	{"observerMasterPort", intValue},
	{"clientPortListenBacklog", intValue},
	{"connectToLearnerMasterLimit", intValue},
	{"quorumListenOnAllIPs", boolValue},
	{"syncEnabled", boolValue},
	{"sslQuorum", boolValue},
	{"portUnification", boolValue},
	{"sslQuorumReloadCertFiles", boolValue},
	{"quorum.cnxn.threads.size", intValue},
	{"multiAddress.enabled", boolValue},
	{"multiAddress.reachabilityCheckTimeoutMs", intValue},
	{"multiAddress.reachabilityCheckEnabled", boolValue},
	{"globalOutstandingLimit", intValue},
	{"maxCnxns", intValue},
	{"serverCnxnFactory", anyValue},
	{"skipACL", anyValue},
	{"authProvider.1", anyValue},
	{"jute.maxbuffer", intValue},
	{"fsync.warningthresholdms", intValue},
	{"forceSync", anyValue},
	{"digest.enabled", boolValue},
	{"audit.enable", boolValue},
	{"electionPortBindRetry", intValue},
}

// IgnoredConfigKeys returns the exact keys ParseConfig accepts and ignores; keys starting
// with one of IgnoredConfigPrefixes are accepted too.
func IgnoredConfigKeys() []string {
	names := make([]string, len(ignoredConfigKeys))
	for i, k := range ignoredConfigKeys {
		names[i] = k.name
	}
	slices.Sort(names)
	return names
}

// IgnoredConfigPrefixes are key families accepted and ignored like IgnoredConfigKeys.
var IgnoredConfigPrefixes = []string{
	"metricsProvider.", "jvm.pause.", "quorum.auth.", "ssl.", "admin.", "zookeeper.",
}

func lookupIgnoredKey(key string) (valueKind, bool) {
	for _, k := range ignoredConfigKeys {
		if k.name == key {
			return k.kind, true
		}
	}
	return anyValue, false
}

// ignore accepts a key from IgnoredConfigKeys()/IgnoredConfigPrefixes (checking its value's
// shape) and rejects everything else with the line number.
func (p *configParser) ignore(prop property) error {
	kind, known := lookupIgnoredKey(prop.key)
	if !known {
		for _, prefix := range IgnoredConfigPrefixes {
			if strings.HasPrefix(prop.key, prefix) {
				known = true
			}
		}
	}
	switch {
	case prop.key == "electionAlg":
		if prop.value != "3" {
			return p.errorAt(prop, "invalid electionAlg %q: only 3 (fast leader election) is supported", prop.value)
		}
		return nil
	case prop.key == "peerType":
		if v := strings.ToLower(prop.value); v != "participant" && v != "observer" {
			return p.errorAt(prop, "unrecognised peer type %q", prop.value)
		}
		p.cfg.Warnings = append(p.cfg.Warnings, "peerType ignored: the role comes from the server.N line")
		return nil
	case prop.key == "dynamicConfigFile", strings.HasPrefix(prop.key, "group."), strings.HasPrefix(prop.key, "weight."):
		return p.errorAt(prop, "not supported by zabsim (dynamic configuration and hierarchical quorums are not modeled)")
	case !known:
		return p.errorAt(prop, "unknown key (see zab.IgnoredConfigKeys() for the ZooKeeper keys zabsim accepts and ignores)")
	}
	return p.checkIgnoredValue(prop, kind)
}

func (p *configParser) checkIgnoredValue(prop property, kind valueKind) error {
	switch kind {
	case boolValue:
		if v := strings.ToLower(prop.value); v != "true" && v != "false" {
			return p.errorAt(prop, "invalid option %q: expected true or false", prop.value)
		}
	case intValue:
		if _, err := parseJavaInt(prop.value); err != nil {
			return p.errorAt(prop, "%v", err)
		}
	}
	p.cfg.Warnings = append(p.cfg.Warnings, fmt.Sprintf("%s ignored (not modeled)", prop.key))
	return nil
}

// String renders the configuration as a canonical zoo.cfg that ParseConfig reads back to
// an equal Config (warnings aside): every modeled key, servers in id order.
func (c *Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\n", c.TickTimeMs)
	if c.InitLimit > 0 {
		fmt.Fprintf(&b, "initLimit=%d\n", c.InitLimit)
	}
	if c.SyncLimit > 0 {
		fmt.Fprintf(&b, "syncLimit=%d\n", c.SyncLimit)
	}
	fmt.Fprintf(&b, "dataDir=%s\ndataLogDir=%s\n", c.DataDir, c.DataLogDir)
	if c.ClientPort > 0 {
		fmt.Fprintf(&b, "clientPort=%d\n", c.ClientPort)
	}
	if c.ClientPortAddress != "" {
		fmt.Fprintf(&b, "clientPortAddress=%s\n", c.ClientPortAddress)
	}
	fmt.Fprintf(&b, "maxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\n",
		c.MaxClientCnxns, c.MinSessionTimeoutMs, c.MaxSessionTimeoutMs)
	fmt.Fprintf(&b, "snapCount=%d\npreAllocSize=%d\n", c.SnapCount, c.PreAllocSizeKB)
	fmt.Fprintf(&b, "autopurge.snapRetainCount=%d\nautopurge.purgeInterval=%d\n",
		c.SnapRetainCount, c.PurgeIntervalHours)
	fmt.Fprintf(&b, "fastleader.minNotificationInterval=%d\nfastleader.maxNotificationInterval=%d\ncnxTimeout=%d\n",
		c.ElectionMinNotificationIntervalMs, c.ElectionMaxNotificationIntervalMs, c.ElectionConnectTimeoutMs)
	for _, s := range c.Servers {
		fmt.Fprintf(&b, "server.%d=%s\n", s.ID, s.lineValue())
	}
	return b.String()
}

// lineValue is the right-hand side of this server's server.N line.
func (s ServerAddr) lineValue() string {
	host := s.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	v := fmt.Sprintf("%s:%d:%d:%s", host, s.QuorumPort, s.ElectionPort, s.Role)
	if s.ClientPort == 0 {
		return v
	}
	if s.ClientHost == "" {
		return fmt.Sprintf("%s;%d", v, s.ClientPort)
	}
	return fmt.Sprintf("%s;%s:%d", v, s.ClientHost, s.ClientPort)
}
