package main

import (
	"fmt"
	"io"
	"os"

	"github.com/zabsim/zabsim/internal/cluster"
	"github.com/zabsim/zabsim/zab"
)

func init() {
	register(&command{
		name:    "walkthrough",
		summary: "the operator's failover walkthrough on a simulated 3-server ensemble",
		run:     runWalkthrough,
	})
}

const walkthroughDoc = `Builds the ensemble of a zoo.cfg (default: three servers, tickTime=2000 initLimit=10
syncLimit=5) on the simulator, waits for one leader and two followers, creates /app1 "hello",
kills the leader, reports the election time in virtual milliseconds, reads /app1 on every
live server, restarts the old leader and shows it rejoin as a follower and catch up.`

func runWalkthrough(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("walkthrough", "", walkthroughDoc, stderr)
	seed := fs.Uint64("seed", 1, "the run's seed: same seed, same run")
	cfgPath := fs.String("config", "", "zoo.cfg to build the ensemble from (default: the built-in three-server config)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "zabsim walkthrough: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	var cfg *zab.Config
	if *cfgPath != "" {
		if cfg, err = readConfigFile(*cfgPath); err != nil {
			fmt.Fprintf(stderr, "zabsim walkthrough: %v\n", err)
			return exitError
		}
	}
	if _, err := cluster.Walkthrough(*seed, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "zabsim walkthrough: %v\nreproduce with: zabsim walkthrough --seed %d%s\n", err, *seed, configFlag(*cfgPath))
		return exitError
	}
	return exitOK
}

func readConfigFile(path string) (*zab.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return zab.ParseConfig(f, path)
}

func configFlag(path string) string {
	if path == "" {
		return ""
	}
	return " --config " + path
}
