// Command fixture-server is the far side of the Expvastic end-to-end benchmark: N Go expvar
// endpoints with moving counters on 127.0.0.1, and one Elasticsearch-like bulk sink that answers
// correctly and remembers what it received.
//
// With -per-port 1 (the default) every endpoint has its own port and answers on any path. With
// -per-port P > 1 the endpoints share ceil(N/P) ports, P per port, each on its own path
// /t/<index>/debug/vars (so 10,000 endpoints need 100 listeners, not 10,000: a process has a
// limited number of descriptors, and every listener and every poller connection holds one).
// Every endpoint's body is distinct (its moving counters are offset by its index).
//
// It prints one JSON line on stdout once every listener is up:
//
//	{"ports":[...],"targets":["127.0.0.1:PORT" or "127.0.0.1:PORT/t/I/debug/vars",...],
//	 "sink":"http://127.0.0.1:PORT","pid":123}
//
// ports has one entry per listener; targets one address per endpoint, in index order.
//
// and runs until stdin closes or SIGTERM/SIGINT arrives. -content-type sets the endpoints'
// Content-Type ("text/plain; version=0.0.4" serves a Prometheus text -fixture). The sink answers:
//
//	GET  /                          an Elasticsearch 8.x version document
//	PUT  /_index_template/*, /_template/*   200 {"acknowledged":true}
//	POST /_bulk (plain or gzip)     {"took":1,"errors":false,"items":[{"create":{...,"status":201}}...]}
//	GET  /_bench/report             {"docs":D,"bulks":B,"bad_lines":X,
//	                                 "timestamps":{"app_0":[ms,...]},"arrivals":[[µs,...],...]}
//
// timestamps are each received document's @timestamp (Unix ms) by its "reader" field; arrivals
// are, per endpoint index, the wall-clock time (Unix µs) each GET arrived at the endpoint.
// Standard library only (Go 1.19), so `go build` works offline.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// maxSamples bounds what is remembered per reader or endpoint (a run is bounded in time anyway).
const maxSamples = 4096

// movingKeys are counters that change on every request, as they do in a live Go process.
var movingKeys = []struct {
	key  string
	step int64
}{
	{`"TotalAlloc":`, 65536}, {`"Mallocs":`, 913}, {`"Frees":`, 871}, {`"HeapAlloc":`, 4096},
	{`"Alloc":`, 4096}, {`"GET /a":`, 7}, {`"requests_total":`, 11},
}

// template is the fixture split around the numbers that move.
type template struct {
	parts [][]byte // len(values)+1 literal pieces
	base  []int64
	step  []int64
}

func parseTemplate(body []byte) template {
	type hit struct {
		at, end int
		value   int64
		step    int64
	}
	var hits []hit
	for _, moving := range movingKeys {
		at := bytes.Index(body, []byte(moving.key))
		if at < 0 {
			continue
		}
		start := at + len(moving.key)
		for start < len(body) && body[start] == ' ' {
			start++
		}
		end := start
		for end < len(body) && body[end] >= '0' && body[end] <= '9' {
			end++
		}
		if end == start {
			continue
		}
		value, err := strconv.ParseInt(string(body[start:end]), 10, 64)
		if err != nil {
			continue
		}
		overlaps := false
		for _, other := range hits {
			if start < other.end && other.at < end {
				overlaps = true
			}
		}
		if !overlaps {
			hits = append(hits, hit{start, end, value, moving.step})
		}
	}
	// In body order.
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].at < hits[j-1].at; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	var t template
	previous := 0
	for _, h := range hits {
		t.parts = append(t.parts, body[previous:h.at])
		t.base = append(t.base, h.value)
		t.step = append(t.step, h.step)
		previous = h.end
	}
	t.parts = append(t.parts, body[previous:])
	return t
}

func (t template) render(buffer []byte, polls int64, endpoint int) []byte {
	buffer = buffer[:0]
	for i, value := range t.base {
		buffer = append(buffer, t.parts[i]...)
		buffer = strconv.AppendInt(buffer, value+int64(endpoint)+polls*t.step[i], 10)
	}
	return append(buffer, t.parts[len(t.parts)-1]...)
}

// contentType is what the endpoints answer with (-content-type; a Prometheus text body with
// "text/plain; version=0.0.4").
var contentType = "application/json; charset=utf-8"

type endpoint struct {
	index    int
	template template
	mu       sync.Mutex
	polls    int64
	buffer   []byte
	arrivals []int64
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixMicro()
	e.mu.Lock()
	if len(e.arrivals) < maxSamples {
		e.arrivals = append(e.arrivals, now)
	}
	e.polls++
	e.buffer = e.template.render(e.buffer, e.polls, e.index)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(e.buffer)))
	_, _ = w.Write(e.buffer)
	e.mu.Unlock()
}

type sink struct {
	mu         sync.Mutex
	docs       int64
	bulks      int64
	badLines   int64
	timestamps map[string][]int64
}

const rootAnswer = `{"name":"bench-sink","cluster_name":"expvastic-bench","cluster_uuid":"bench",` +
	`"version":{"number":"8.13.4","build_flavor":"default","build_type":"tar","build_hash":"bench",` +
	`"build_date":"2024-05-06T22:04:45.107454559Z","build_snapshot":false,"lucene_version":"9.10.0",` +
	`"minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"},` +
	`"tagline":"You Know, for Search"}`

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		_, _ = io.WriteString(w, rootAnswer)
	case r.Method == http.MethodPut && (hasPrefix(r.URL.Path, "/_index_template/") || hasPrefix(r.URL.Path, "/_template/")):
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"acknowledged":true}`)
	case r.Method == http.MethodPost && (r.URL.Path == "/_bulk" || hasSuffix(r.URL.Path, "/_bulk")):
		s.bulk(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/_bench/report":
		s.report(w)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"type":"not_found","reason":"the benchmark sink does not serve this"},"status":404}`)
	}
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

var (
	timestampKey = []byte(`"@timestamp":"`)
	readerKey    = []byte(`"reader":"`)
	// A discovered target's label naming it (one job, many targets): keys its timestamps instead of reader.
	targetKey = []byte(`"labels.bench_target":"`)
	indexKey  = []byte(`"_index":"`)
	idKey     = []byte(`"_id":"`)
)

// quoted returns the string value that follows key in line (no unescaping: names are plain).
func quoted(line, key []byte) []byte {
	at := bytes.Index(line, key)
	if at < 0 {
		return nil
	}
	rest := line[at+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return nil
	}
	return rest[:end]
}

func (s *sink) bulk(w http.ResponseWriter, r *http.Request) {
	// expvasyml gzips bulk bodies by default (compression: gzip); Elasticsearch accepts both.
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		in = gz
	}
	body, err := io.ReadAll(in)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	type received struct {
		reader string
		millis int64
	}
	var docs []received
	out := make([]byte, 0, 64+len(body)/40)
	out = append(out, `{"took":1,"errors":false,"items":[`...)
	bad := int64(0)
	for len(body) > 0 {
		action := body
		if nl := bytes.IndexByte(body, '\n'); nl >= 0 {
			action, body = body[:nl], body[nl+1:]
		} else {
			body = nil
		}
		if len(action) == 0 {
			continue
		}
		document := body
		if nl := bytes.IndexByte(body, '\n'); nl >= 0 {
			document, body = body[:nl], body[nl+1:]
		} else {
			body = nil
		}
		if len(docs) > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"create":{"_index":"`...)
		out = append(out, quoted(action, indexKey)...)
		out = append(out, `","_id":"`...)
		out = append(out, quoted(action, idKey)...)
		out = append(out, `","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}`...)
		stamp, reader := quoted(document, timestampKey), quoted(document, readerKey)
		if target := quoted(document, targetKey); target != nil {
			reader = target
		}
		parsed, err := time.Parse(time.RFC3339Nano, string(stamp))
		if err != nil || reader == nil {
			bad++
			docs = append(docs, received{})
			continue
		}
		docs = append(docs, received{string(reader), parsed.UnixMilli()})
	}
	out = append(out, "]}"...)
	s.mu.Lock()
	s.bulks++
	s.badLines += bad
	for _, d := range docs {
		if d.reader == "" {
			continue
		}
		s.docs++
		list := s.timestamps[d.reader]
		if len(list) < maxSamples {
			s.timestamps[d.reader] = append(list, d.millis)
		}
	}
	s.mu.Unlock()
	_, _ = w.Write(out)
}

var endpoints []*endpoint

// shared serves the endpoints first..<first+count of one port by path: /t/<index>/...
type shared struct {
	first, count int
}

func (s shared) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if hasPrefix(path, "/t/") {
		rest := path[len("/t/"):]
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if index, err := strconv.Atoi(rest[:end]); err == nil && index >= s.first && index < s.first+s.count {
			endpoints[index].ServeHTTP(w, r)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
}

func (s *sink) report(w http.ResponseWriter) {
	arrivals := make([][]int64, len(endpoints))
	for i, e := range endpoints {
		e.mu.Lock()
		arrivals[i] = append([]int64{}, e.arrivals...)
		e.mu.Unlock()
	}
	s.mu.Lock()
	answer := struct {
		Docs       int64              `json:"docs"`
		Bulks      int64              `json:"bulks"`
		BadLines   int64              `json:"bad_lines"`
		Timestamps map[string][]int64 `json:"timestamps"`
		Arrivals   [][]int64          `json:"arrivals"`
	}{s.docs, s.bulks, s.badLines, s.timestamps, arrivals}
	encoded, err := json.Marshal(answer)
	s.mu.Unlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(encoded)
}

func listen() net.Listener {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "fixture-server: cannot listen on 127.0.0.1: %v\n", err)
		os.Exit(1)
	}
	return listener
}

func serve(listener net.Listener, handler http.Handler) {
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	go func() { _ = server.Serve(listener) }()
}

func main() {
	count := flag.Int("endpoints", 1, "number of expvar endpoints")
	perPort := flag.Int("per-port", 1, "endpoints per port (more than 1: each on its own path /t/<index>/debug/vars)")
	fixture := flag.String("fixture", "", "a real Go /debug/vars body to serve (required)")
	flag.StringVar(&contentType, "content-type", contentType, "the endpoints' Content-Type (e.g. text/plain; version=0.0.4 for a Prometheus body)")
	flag.Parse()
	if *fixture == "" || *count < 0 || *perPort < 1 {
		fmt.Fprintln(os.Stderr, "usage: fixture-server -fixture FILE [-endpoints N] [-per-port P]")
		os.Exit(64)
	}
	body, err := os.ReadFile(*fixture)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fixture-server: %v\n", err)
		os.Exit(1)
	}
	shape := parseTemplate(bytes.TrimSpace(body))
	ports := []int{}
	targets := make([]string, *count)
	for i := 0; i < *count; i++ {
		endpoints = append(endpoints, &endpoint{index: i, template: shape})
	}
	for first := 0; first < *count; first += *perPort {
		listener := listen()
		port := listener.Addr().(*net.TCPAddr).Port
		ports = append(ports, port)
		if *perPort == 1 {
			targets[first] = fmt.Sprintf("127.0.0.1:%d", port)
			serve(listener, endpoints[first])
			continue
		}
		n := *perPort
		if first+n > *count {
			n = *count - first
		}
		for i := first; i < first+n; i++ {
			targets[i] = fmt.Sprintf("127.0.0.1:%d/t/%d/debug/vars", port, i)
		}
		serve(listener, shared{first, n})
	}
	sinkListener := listen()
	serve(sinkListener, &sink{timestamps: map[string][]int64{}})
	hello, _ := json.Marshal(struct {
		Ports   []int    `json:"ports"`
		Targets []string `json:"targets"`
		Sink    string   `json:"sink"`
		PID     int      `json:"pid"`
		Moving  int      `json:"moving_counters"`
	}{ports, targets, fmt.Sprintf("http://127.0.0.1:%d", sinkListener.Addr().(*net.TCPAddr).Port), os.Getpid(), len(shape.base)})
	fmt.Println(string(hello))

	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		done <- struct{}{}
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		done <- struct{}{}
	}()
	<-done
}
