package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/osfs"
)

func init() {
	register(&command{name: "logdump", summary: "print a ZooKeeper txn log file (log.<zxid>) readably", run: logdumpCmd})
}

const logdumpDescription = `Prints every record of a ZooKeeper 3.8 transaction log file, like ZooKeeper's
LogFormatter: one line per txn with its offset, time, session, cxid, zxid, type and
contents, then where and why the file ended (end of file, zero padding, or a torn tail).
A corrupt file (bad magic, CRC mismatch, unreasonable length) stops with an error naming
the offset; exit code 1.`

func logdumpCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("logdump", "FILE", logdumpDescription, stderr)
	fsys, path, code := parseFileArg(fs, args, stderr)
	if fsys == nil {
		return code
	}
	fmt.Fprintf(stdout, "ZooKeeper transactional log file %s (format version 2)\n", path)
	count := 0
	end, err := wal.ScanLogFile(fsys, path, func(off int64, t wal.Txn) error {
		count++
		fmt.Fprintf(stdout, "%8d %s\n", off, describeTxn(t))
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "zabsim logdump: after %d txns: %v\n", count, err)
		return exitError
	}
	fmt.Fprintf(stdout, "%s at offset %d after %d txns\n", end.Kind, end.Offset, count)
	return exitOK
}

// parseFileArg parses the flags and the one FILE argument of a dump command and opens
// FILE's directory on the real filesystem. On failure the FS is nil and code is the exit
// code (the message is already printed).
func parseFileArg(fs *flag.FlagSet, args []string, stderr io.Writer) (fsys wal.FS, name string, code int) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, "", exitForParse(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return nil, "", exitUsage
	}
	fsys, name, err = osFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "zabsim %s: %v\n", fs.Name(), err)
		return nil, "", exitError
	}
	return fsys, name, exitOK
}

// osFile returns the real filesystem rooted at the directory of file, and file's name.
func osFile(file string) (wal.FS, string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, "", err
	}
	return osfs.New(filepath.Dir(abs)), filepath.Base(abs), nil
}

// osPath returns the real filesystem rooted at "/" and the slash path of name in it.
func osPath(name string) (wal.FS, string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, "", err
	}
	return osfs.New(string(filepath.Separator)), strings.TrimPrefix(filepath.ToSlash(abs), "/"), nil
}

// describeTxn renders one txn on a line: time, session, cxid, zxid, type, contents.
func describeTxn(t wal.Txn) string {
	h := t.Header
	head := fmt.Sprintf("%s session %#x cxid %#x zxid %#x %s", formatMs(h.TimeMs), h.ClientID, h.Cxid, h.Zxid, datatree.OpName(h.Type))
	e, err := datatree.DecodeEntry(t.Encode(), 0)
	if err != nil {
		return head + " <undecodable: " + err.Error() + ">"
	}
	s := head
	if e.Txn != nil {
		s += " " + describeRecord(e.Txn)
	}
	if e.Digest != nil {
		s += fmt.Sprintf(" digest v%d %#x", e.Digest.Version, e.Digest.TreeDigest)
	}
	return s
}

// formatMs renders a wall-clock time in ms as UTC, with the raw value.
func formatMs(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// describeRecord renders a txn record's fields.
func describeRecord(txn datatree.Txn) string {
	switch r := txn.(type) {
	case *datatree.CreateTxn:
		return fmt.Sprintf("%s data=%s acl=%s ephemeral=%v parentCVersion=%d", r.Path, quoteData(r.Data), describeACL(r.ACL), r.Ephemeral, r.ParentCVersion)
	case *datatree.CreateContainerTxn:
		return fmt.Sprintf("%s data=%s acl=%s parentCVersion=%d", r.Path, quoteData(r.Data), describeACL(r.ACL), r.ParentCVersion)
	case *datatree.CreateTTLTxn:
		return fmt.Sprintf("%s data=%s acl=%s parentCVersion=%d ttl=%d", r.Path, quoteData(r.Data), describeACL(r.ACL), r.ParentCVersion, r.TTL)
	case *datatree.DeleteTxn:
		return r.Path
	case *datatree.SetDataTxn:
		return fmt.Sprintf("%s data=%s version=%d", r.Path, quoteData(r.Data), r.Version)
	case *datatree.SetACLTxn:
		return fmt.Sprintf("%s acl=%s version=%d", r.Path, describeACL(r.ACL), r.Version)
	case *datatree.CheckVersionTxn:
		return fmt.Sprintf("%s version=%d", r.Path, r.Version)
	case *datatree.CreateSessionTxn:
		return fmt.Sprintf("timeout=%d", r.TimeoutMs)
	case *datatree.CloseSessionTxn:
		return fmt.Sprintf("ephemerals=%v", r.Paths)
	case *datatree.ErrorTxn:
		return fmt.Sprintf("err=%d (%s)", int32(r.Err), r.Err)
	case *datatree.MultiTxn:
		parts := make([]string, len(r.Ops))
		for i, op := range r.Ops {
			parts[i] = datatree.OpName(op.Type)
			if op.Txn != nil {
				parts[i] += " " + describeRecord(op.Txn)
			}
		}
		return "[" + strings.Join(parts, "; ") + "]"
	}
	return fmt.Sprintf("%+v", txn)
}

func describeACL(acls []datatree.ACL) string {
	parts := make([]string, len(acls))
	for i, a := range acls {
		parts[i] = fmt.Sprintf("%s:%s:%d", a.ID.Scheme, a.ID.ID, a.Perms)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// quoteData renders node data as a Go-quoted string, cut at 64 bytes.
func quoteData(b []byte) string {
	if b == nil {
		return "null"
	}
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + fmt.Sprintf("...(%d bytes)", len(b))
	}
	return strconv.Quote(string(b))
}
