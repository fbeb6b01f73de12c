// Command zabsim runs, explores, replays and inspects deterministic simulations of a
// ZooKeeper ensemble, and reads real ZooKeeper data directories.
//
// Each subcommand lives in its own file and registers itself with register in an init
// function, so that adding a command never touches another command's file.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Exit codes shared by every subcommand.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed (bad file, I/O error)
	exitUsage = 2 // bad flags or arguments
)

// command is one zabsim subcommand.
type command struct {
	name    string
	summary string // one line for `zabsim help`
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

// register adds a subcommand; a duplicate name is a programming error.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("zabsim: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the subcommand named by args[0] and returns the process exit code.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "zabsim: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: zabsim <command> [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for name := range commands { //det:unordered-ok names are sorted below
		names = append(names, name)
	}
	slices.Sort(names)
	width := 0
	for _, name := range names {
		width = max(width, len(name))
	}
	for _, name := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, name, commands[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'zabsim <command> -h' for a command's flags.")
}
