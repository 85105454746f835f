// A Go program instrumented with Debian's client_golang (golang-github-prometheus-client-golang-dev)
// exposing every metric type, for the Prometheus reader's integration tests. Built offline:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o promclient .
//
// It listens on -listen (default 127.0.0.1:0), prints "listening on HOST:PORT" and serves /metrics
// with OpenMetrics negotiation enabled. Values change between scrapes (each scrape observes more).
package main

import (
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()

	registry := prometheus.NewRegistry()
	registry.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))

	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "demo_requests_total", Help: "Requests by method and code.",
	}, []string{"method", "code"})
	temperature := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "demo_temperature_celsius", Help: "A gauge with a \"quoted\" help and labels.",
	}, []string{"room"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "demo_latency_seconds", Help: "A histogram.", Buckets: []float64{0.01, 0.1, 1},
	}, []string{"route"})
	size := prometheus.NewSummaryVec(prometheus.SummaryOpts{
		Name: "demo_response_bytes", Help: "A summary.", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001},
	}, []string{"route"})
	var scrapes uint64
	untyped := prometheus.NewUntypedFunc(prometheus.UntypedOpts{
		Name: "demo_untyped_scrapes", Help: "An untyped value.",
	}, func() float64 { return float64(atomic.LoadUint64(&scrapes)) })
	notANumber := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_not_a_number", Help: "Always NaN."})
	notANumber.Set(math.NaN())
	infinite := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_infinite", Help: "Always +Inf."})
	infinite.Set(math.Inf(1))
	registry.MustRegister(requests, temperature, latency, size, untyped, notANumber, infinite)

	observe := func() {
		n := atomic.AddUint64(&scrapes, 1)
		requests.WithLabelValues("GET", "200").Add(3)
		requests.WithLabelValues("POST", "500").Inc()
		temperature.WithLabelValues("kitchen \\ \"north\"\nwing").Set(21.5 + float64(n%10)/10)
		temperature.WithLabelValues("café").Set(-3.25)
		for i := 0; i < 5; i++ {
			latency.WithLabelValues("/api").Observe(float64((int(n)+i)%20) / 10)
			size.WithLabelValues("/api").Observe(float64(100 * (int(n) + i)))
		}
	}
	observe()
	handler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{EnableOpenMetrics: true})

	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		observe()
		handler.ServeHTTP(w, r)
	})
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	if err := http.Serve(listener, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
