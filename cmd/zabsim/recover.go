package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"strconv"

	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/wal"
)

func init() {
	register(&command{name: "recover", summary: "recover a ZooKeeper data dir (real or zabsim's) and print its tree as JSON", run: recoverCmd})
}

const recoverDescription = `Recovers a ZooKeeper 3.8 data directory the way a server does at startup (newest valid
snapshot, then every logged txn after it) and prints the tree as JSON in the shape of the
fixtures' tree.json: one object per znode, depth-first with sorted children, data in
base64, every Stat field. DATADIR is the dataDir (holding version-2/) or its version-2
directory itself; --datalogdir names a separate dataLogDir. Nothing is written: recovery
runs read-only. Where recovery fails (a CRC error, no valid snapshot) the error names
the file and offset; exit code 1. A summary (snapshot used, txns replayed, torn tails)
goes to stderr.`

func recoverCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("recover", "DATADIR", recoverDescription, stderr)
	logDir := fs.String("datalogdir", "", "the dataLogDir `DIR` if separate from DATADIR")
	upTo := fs.String("upto", "", "recover the state at `ZXID` (decimal or 0x hex) instead of the latest")
	quiet := fs.Bool("q", false, "no summary on stderr")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	var opts zkdb.LoadOptions
	if *upTo != "" {
		z, err := strconv.ParseInt(*upTo, 0, 64)
		if err != nil || z <= 0 {
			fmt.Fprintf(stderr, "zabsim recover: --upto %q is not a positive zxid\n", *upTo)
			return exitUsage
		}
		opts.UpToZxid = z
	}
	db, err := openReadOnlyDB(pos[0], *logDir)
	if err != nil {
		fmt.Fprintf(stderr, "zabsim recover: %v\n", err)
		return exitError
	}
	rep, err := db.Load(opts)
	if err != nil {
		fmt.Fprintf(stderr, "zabsim recover: %v\n", err)
		return exitError
	}
	if !*quiet {
		printRecoverSummary(stderr, rep, db)
	}
	if err := zkdb.WriteTreeJSON(stdout, db.Tree()); err != nil {
		fmt.Fprintf(stderr, "zabsim recover: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stdout)
	return exitOK
}

// openReadOnlyDB opens a zkdb over the real data dir (and log dir), refusing writes.
func openReadOnlyDB(dataDir, logDir string) (*zkdb.DB, error) {
	fsys, data, err := osPath(dataDir)
	if err != nil {
		return nil, err
	}
	cfg := zkdb.Config{FS: readOnlyFS{fsys}, DataDir: stripVersionDir(data), ReadOnly: true, Rand: rand.New(rand.NewPCG(0, 0))}
	if logDir != "" {
		_, l, err := osPath(logDir)
		if err != nil {
			return nil, err
		}
		cfg.DataLogDir = stripVersionDir(l)
	}
	if _, err := fsys.ReadDir(cfg.DataDir + "/" + wal.VersionDir); err != nil {
		return nil, fmt.Errorf("%s has no %s directory: %w", dataDir, wal.VersionDir, err)
	}
	return zkdb.New(cfg), nil
}

// stripVersionDir accepts either a dataDir or its version-2 directory.
func stripVersionDir(p string) string {
	if path.Base(p) == wal.VersionDir {
		return path.Dir(p)
	}
	return p
}

func printRecoverSummary(w io.Writer, rep zkdb.LoadReport, db *zkdb.DB) {
	if rep.Snapshot == "" {
		fmt.Fprintf(w, "no snapshot: empty database\n")
	} else {
		fmt.Fprintf(w, "snapshot %s, then %d txns replayed; last zxid %#x, %d sessions, %d nodes\n",
			rep.Snapshot, rep.TxnsReplayed, db.LastProcessedZxid(), len(db.Sessions()), db.Tree().NodeCount())
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped %s: %v\n", s.Name, s.Err)
	}
	for _, e := range rep.LogEnds {
		if e.Kind == wal.EndPartial {
			fmt.Fprintf(w, "%s: %s at offset %d\n", e.Name, e.Kind, e.Offset)
		}
	}
}

// errReadOnly is returned for any write recover would attempt.
var errReadOnly = errors.New("recover runs read-only and never changes the data dir")

// readOnlyFS refuses every namespace change, so recover cannot alter a real data dir.
type readOnlyFS struct{ wal.FS }

func (readOnlyFS) MkdirAll(string) error           { return errReadOnly }
func (readOnlyFS) Create(string) (wal.File, error) { return nil, errReadOnly }
func (readOnlyFS) Remove(string) error             { return errReadOnly }
func (readOnlyFS) Rename(string, string) error     { return errReadOnly }
func (r readOnlyFS) Open(name string) (wal.File, error) {
	f, err := r.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return readOnlyFile{f}, nil
}

type readOnlyFile struct{ wal.File }

func (readOnlyFile) WriteAt([]byte, int64) (int, error) { return 0, errReadOnly }
func (readOnlyFile) Truncate(int64) error               { return errReadOnly }
