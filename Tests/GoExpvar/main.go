// Command goexpvar is the real Go program the Expvastic integration tests poll: it serves the
// standard expvar handler at /debug/vars with a variable of every expvar kind, and a few control
// endpoints (/gc, /set, /quit) so a test can make values move. Standard library only.
package main

import (
	"bufio"
	"encoding/json"
	"expvar"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// big is above 2^63 and not representable as a float64: a reader that goes through Double loses it.
const big uint64 = 18446744073709551557

var (
	requests = expvar.NewInt("requests")
	ratio    = expvar.NewFloat("ratio")
	infinite = expvar.NewFloat("infinite")
	message  = expvar.NewString("message")
	db       = expvar.NewMap("db")
)

func init() {
	infinite.Set(math.Inf(1))
	message.Set("say \"hi\" \\ <b>\n naïve ✓ 😀")

	pool := new(expvar.Map).Init()
	pool.Add("open", 3)
	pool.Add("idle", 2)
	pool.AddFloat("wait_seconds", 1.5)
	limits := new(expvar.Map).Init()
	limits.Add("max_open", 10)
	pool.Set("limits", limits)
	name := new(expvar.String)
	name.Set("primary")
	db.Set("name", name)
	db.Set("pool", pool)
	db.Add("queries", 42)
	db.AddFloat("latency_ms", 0.125)

	expvar.Publish("healthy", expvar.Func(func() any { return true }))
	expvar.Publish("tags", expvar.Func(func() any { return []string{"a", "b \"c\"", "ü"} }))
	expvar.Publish("nothing", expvar.Func(func() any { return nil }))
	expvar.Publish("items", expvar.Func(func() any {
		return []map[string]any{{"id": 1, "name": "one", "ok": true}, {"id": 2, "name": "two", "ok": false}}
	}))
	expvar.Publish("big", expvar.Func(func() any { return big }))
}

// gcReport is the answer of /gc: the pause ring entries of the collections just forced.
type gcReport struct {
	NumGCBefore uint32   `json:"numgc_before"`
	NumGC       uint32   `json:"numgc"`
	PausesNs    []uint64 `json:"pauses_ns"`
	PauseEnds   []uint64 `json:"pause_ends"`
	LastGC      uint64   `json:"last_gc"`
}

func forceGC(n int) gcReport {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	report := gcReport{NumGCBefore: before.NumGC, NumGC: after.NumGC, LastGC: after.LastGC}
	report.PausesNs, report.PauseEnds = []uint64{}, []uint64{}
	// GC number k (1-based) sits at index (k-1) % 256 of the ring; oldest first.
	for k := int(after.NumGC) - n + 1; k <= int(after.NumGC); k++ {
		if k < 1 {
			continue
		}
		report.PausesNs = append(report.PausesNs, after.PauseNs[(k-1)%256])
		report.PauseEnds = append(report.PauseEnds, after.PauseEnd[(k-1)%256])
	}
	return report
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0: pick a free one)")
	stdinWatch := flag.Bool("exit-on-stdin-eof", false, "exit when stdin is closed (the parent died)")
	flag.Parse()

	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goexpvar:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	vars := expvar.Handler()
	mux.HandleFunc("/debug/vars", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		vars.ServeHTTP(w, r)
	})
	// Many small targets on one port for the pool tests: /t/<name>/debug/vars answers a tiny expvar
	// document of its own (how often it was asked), so 60 targets cost one process.
	var targetHits sync.Map
	mux.HandleFunc("/t/", func(w http.ResponseWriter, r *http.Request) {
		counter, _ := targetHits.LoadOrStore(r.URL.Path, new(atomic.Int64))
		writeJSON(w, map[string]any{"target": r.URL.Path, "hits": counter.(*atomic.Int64).Add(1)})
	})
	mux.HandleFunc("/gc", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 1 || n > 256 {
			http.Error(w, "n must be an integer in 1...256", http.StatusBadRequest)
			return
		}
		writeJSON(w, forceGC(n))
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		value, err := strconv.ParseFloat(r.URL.Query().Get("ratio"), 64)
		if err != nil {
			http.Error(w, "ratio must be a number", http.StatusBadRequest)
			return
		}
		ratio.Set(value)
		writeJSON(w, map[string]float64{"ratio": value})
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]bool{"quitting": true})
		go func() {
			time.Sleep(50 * time.Millisecond)
			os.Exit(0)
		}()
	})
	if *stdinWatch {
		go func() {
			_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
			os.Exit(0)
		}()
	}

	line, _ := json.Marshal(map[string]string{"addr": listener.Addr().String()})
	os.Stdout.Write(append(line, '\n'))
	_ = os.Stdout.Sync()
	if err := http.Serve(listener, mux); err != nil {
		fmt.Fprintln(os.Stderr, "goexpvar:", err)
		os.Exit(1)
	}
}
