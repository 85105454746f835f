// The reference for the prometheus-node benchmark: Prometheus' own Go parser
// (expfmt.TextParser from Debian's golang-github-prometheus-common-dev) on the same body.
// Built offline: GO111MODULE=off GOPATH=/usr/share/gocode go build -o expfmt-reference .
//
//	expfmt-reference -fixture FILE [-seconds 3]
//
// Parses the file repeatedly for about -seconds on one goroutine (GOMAXPROCS=1) and prints one JSON
// line: wall-clock microseconds per parse (median, min and max of 10 runs), the same in process CPU
// time (user + system, garbage collection included; comparable with ExpvasticBenchmarks --cpu-time),
// MB/s, families and samples found.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
)

func main() {
	fixture := flag.String("fixture", "", "exposition body to parse")
	seconds := flag.Float64("seconds", 3, "time to spend measuring")
	calls := flag.Int("calls", -1, "parse exactly this many times after the first and print nothing (for callgrind: the difference of two counts)")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	body, err := os.ReadFile(*fixture)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	parse := func() (int, int) {
		var parser expfmt.TextParser
		families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		samples := 0
		for _, family := range families {
			samples += len(family.Metric)
		}
		return len(families), samples
	}
	families, samples := parse()
	if *calls >= 0 {
		for i := 0; i < *calls; i++ {
			parse()
		}
		return
	}
	// Calls per run so that one run takes about a tenth of the budget.
	start := time.Now()
	warm := 0
	for time.Since(start) < 100*time.Millisecond {
		parse()
		warm++
	}
	perRun := warm * int(*seconds*1000) / 1000 / 10
	if perRun < 1 {
		perRun = 1
	}
	cpu := func() float64 {
		var usage syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
		return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e3
	}
	var runs, cpuRuns []float64
	for r := 0; r < 10; r++ {
		t := time.Now()
		c := cpu()
		for i := 0; i < perRun; i++ {
			parse()
		}
		runs = append(runs, float64(time.Since(t).Nanoseconds())/1e3/float64(perRun))
		cpuRuns = append(cpuRuns, (cpu()-c)/float64(perRun))
	}
	sort.Float64s(runs)
	sort.Float64s(cpuRuns)
	median := runs[len(runs)/2]
	out, _ := json.Marshal(map[string]interface{}{
		"us_per_parse": median, "min_us": runs[0], "max_us": runs[len(runs)-1],
		"cpu_us_per_parse": cpuRuns[len(cpuRuns)/2], "cpu_min_us": cpuRuns[0], "cpu_max_us": cpuRuns[len(cpuRuns)-1],
		"mb_per_s": float64(len(body)) / median, "families": families, "samples": samples, "bytes": len(body),
	})
	fmt.Println(string(out))
}
