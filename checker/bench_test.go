package checker

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The benchmarks check a generated 5-client run with 5% unknown outcomes and a leader
// change every 500 writes, rotating to fresh roots every ~150 calls: from the history
// alone, and with the replica oracle the cluster harness provides (unknown writes then
// resolved by their committed txn headers).
func benchCheck(b *testing.B, ops int, withOracle bool) {
	h, _, reps := generateAll(42, genConfig{clients: 5, ops: ops, unknownRate: 0.05, opsPerRoot: 150, leaderEvery: 500})
	if !withOracle {
		reps = nil
	}
	b.ResetTimer()
	var rep Report
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	for range b.N {
		rep = Check(Input{History: h, Replicas: reps})
	}
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	if rep.Verdict != VerdictOK {
		b.Fatalf("generated history judged %s:\n%s", rep.Verdict, rep.String())
	}
	// CPU time is reported beside wall time because the machine is shared: it does not
	// grow when other processes take the cores.
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/check")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MiB-alloc/check")
	b.ReportMetric(float64(after.Sys)/(1<<20), "MiB-sys")
	b.ReportMetric(float64(len(h.Ops)), "ops")
	b.ReportMetric(float64(rep.Stats.UnknownOps), "unknown-ops")
	b.ReportMetric(float64(rep.Stats.LargestPart), "largest-partition")
}

func BenchmarkCheck10k(b *testing.B)        { benchCheck(b, 10_000, false) }
func BenchmarkCheck100k(b *testing.B)       { benchCheck(b, 100_000, false) }
func BenchmarkCheck10kOracle(b *testing.B)  { benchCheck(b, 10_000, true) }
func BenchmarkCheck100kOracle(b *testing.B) { benchCheck(b, 100_000, true) }
