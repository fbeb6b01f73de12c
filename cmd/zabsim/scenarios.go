package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/zabsim/zabsim/scenarios"
)

func init() {
	register(&command{name: "scenarios", summary: "list the named scenarios with their docs", run: scenariosCmd})
}

func scenariosCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("scenarios", "", "Lists every named scenario with what it does and what it is meant to find.", stderr)
	verbose := fs.Bool("v", false, "also print each scenario's options for seed 1")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	if len(pos) != 0 {
		return reportErr(usageErr("takes no arguments, got %q", strings.Join(pos, " ")), fs, stderr)
	}
	for _, sc := range scenarios.Catalog() {
		fmt.Fprintf(stdout, "%s\n", sc.Name)
		for _, line := range wrap(sc.Doc, 86) {
			fmt.Fprintf(stdout, "    %s\n", line)
		}
		if *verbose {
			o := sc.Options(1)
			for _, line := range strings.Split(strings.TrimRight(o.Describe(), "\n"), "\n") {
				fmt.Fprintf(stdout, "    | %s\n", line)
			}
		}
	}
	return exitOK
}

// wrap breaks text into lines of at most width runes (a longer word gets its own line).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
