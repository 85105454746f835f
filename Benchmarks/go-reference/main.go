// Command go-reference is the minimal Go poller the end-to-end benchmarks run beside expvasyml:
// per target one goroutine on a time.Ticker does a keep-alive GET, decodes the body with
// encoding/json into a map, adds the envelope (@timestamp = poll start, reader) and encodes it
// again with encoding/json into a bulk body; one goroutine POSTs the bulk body to the sink every
// second (or at 500 documents), so the benchmark's sink counts its polls like expvasyml's.
//
//	go-reference -targets TARGETS.json -interval 20ms
//
// TARGETS.json is {"ports": [p0, p1, ...], "sink": "http://127.0.0.1:PORT"}; reader app_i polls
// http://127.0.0.1:p_i/debug/vars. Runs until SIGTERM/SIGINT or stdin closes. Standard library
// only (Go 1.19), so `go build` works offline.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

type targets struct {
	Ports []int  `json:"ports"`
	Sink  string `json:"sink"`
}

type bulk struct {
	mu    sync.Mutex
	body  bytes.Buffer
	count int
	kick  chan struct{}
}

func (b *bulk) add(reader string, started time.Time, document map[string]any) {
	document["@timestamp"] = started.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	document["reader"] = reader
	encoded, err := json.Marshal(document)
	if err != nil {
		return
	}
	b.mu.Lock()
	b.body.WriteString(`{"create":{"_index":"go-reference"}}` + "\n")
	b.body.Write(encoded)
	b.body.WriteByte('\n')
	b.count++
	full := b.count >= 500
	b.mu.Unlock()
	if full {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

func (b *bulk) flush(client *http.Client, sink string) {
	b.mu.Lock()
	if b.count == 0 {
		b.mu.Unlock()
		return
	}
	body := append([]byte(nil), b.body.Bytes()...)
	b.body.Reset()
	b.count = 0
	b.mu.Unlock()
	response, err := client.Post(sink+"/_bulk", "application/x-ndjson", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-reference: bulk: %v\n", err)
		return
	}
	_, _ = io.Copy(io.Discard, response.Body)
	response.Body.Close()
}

func poll(client *http.Client, url, reader string, interval time.Duration, out *bulk, stop <-chan struct{}) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			// The tick's own time is when it was due; the poll starts now (as expvasyml stamps it).
			started := time.Now()
			response, err := client.Get(url)
			if err != nil {
				continue
			}
			var document map[string]any
			err = json.NewDecoder(response.Body).Decode(&document)
			_, _ = io.Copy(io.Discard, response.Body)
			response.Body.Close()
			if err == nil && response.StatusCode == 200 {
				out.add(reader, started, document)
			}
		}
	}
}

func main() {
	file := flag.String("targets", "", "the targets file (required)")
	interval := flag.Duration("interval", time.Second, "poll interval of every target")
	flag.Parse()
	text, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-reference: %v\n", err)
		os.Exit(64)
	}
	var t targets
	if err := json.Unmarshal(text, &t); err != nil {
		fmt.Fprintf(os.Stderr, "go-reference: %v\n", err)
		os.Exit(64)
	}
	client := &http.Client{
		Timeout:   *interval + time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true},
	}
	stop := make(chan struct{})
	out := &bulk{kick: make(chan struct{}, 1)}
	for i, port := range t.Ports {
		go poll(client, fmt.Sprintf("http://127.0.0.1:%d/debug/vars", port), fmt.Sprintf("app_%d", i), *interval, out, stop)
	}
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		done <- struct{}{}
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		done <- struct{}{}
	}()
	flusher := time.NewTicker(time.Second)
	for {
		select {
		case <-flusher.C:
			out.flush(client, t.Sink)
		case <-out.kick:
			out.flush(client, t.Sink)
		case <-done:
			close(stop)
			out.flush(client, t.Sink)
			return
		}
	}
}
