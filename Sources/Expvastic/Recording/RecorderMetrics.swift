import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The metric series of one recorder, labelled `recorder=<name>`. Created once at start-up.
package struct RecorderMetrics: Sendable {
    package let queued: Counter
    package let sent: Counter
    package let retried: Counter
    package let deadLettered: Counter
    /// Fields taken out of documents the cluster refused because of them (`fields_dead_lettered`).
    package let fieldsDeadLettered: Counter
    package let spooled: Counter
    package let replayed: Counter
    package let dropped: Counter
    package let bulkRequests: Counter
    package let bulkFailures: Counter
    package let connectionFailures: Counter
    package let bulkLatency: Timer
    package let queueLength: Gauge
    /// 1 while the cluster refuses writes with `cluster_block_exception`, else 0.
    package let clusterBlocked: Gauge

    package init(recorder: String, factory: any MetricsFactory) {
        let labels = [MetricKey.Label("recorder", recorder)]
        func counter(_ name: String) -> Counter { factory.counter(MetricKey(name, labels: labels)) }
        func gauge(_ name: String) -> Gauge { factory.gauge(MetricKey(name, labels: labels)) }
        queued = counter("docs_queued")
        sent = counter("docs_sent")
        retried = counter("docs_retried")
        deadLettered = counter("docs_dead_lettered")
        fieldsDeadLettered = counter("fields_dead_lettered")
        spooled = counter("docs_spooled")
        replayed = counter("docs_replayed")
        dropped = counter("docs_dropped")
        bulkRequests = counter("bulk_requests")
        bulkFailures = counter("bulk_failures")
        connectionFailures = counter("connection_failures")
        bulkLatency = factory.timer(MetricKey("bulk_latency", labels: labels))
        queueLength = gauge("queue_length")
        clusterBlocked = gauge("cluster_blocked")
    }

    /// Adds the difference between two snapshots of the state machine's totals. `docs_spooled` is
    /// counted by the shell when a spool write succeeds.
    package func publish(from old: BulkStateMachine.Stats, to new: BulkStateMachine.Stats) {
        func add(_ counter: Counter, _ delta: Int) { if delta != 0 { counter.increment(by: Int64(delta)) } }
        add(queued, new.queued - old.queued)
        add(sent, new.sent - old.sent)
        add(retried, new.retried - old.retried)
        add(deadLettered, new.deadLettered - old.deadLettered)
        add(fieldsDeadLettered, new.fieldsDeadLettered - old.fieldsDeadLettered)
        add(replayed, new.replayed - old.replayed)
        add(dropped, new.dropped - old.dropped)
        add(bulkRequests, new.bulkRequests - old.bulkRequests)
        add(bulkFailures, new.bulkFailures - old.bulkFailures)
        add(connectionFailures, new.connectionFailures - old.connectionFailures)
    }
}
