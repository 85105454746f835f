import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// `GET /api/v1/targets`: one page of targets (same query as the page), plus the recorders, discovery
/// sources and pool members. Endpoints and errors have URL credentials masked.
extension StatusSnapshot {
    /// One page of `query`:
    /// ```json
    /// {"time":"2026-11-21T18:00:00.123Z","total":2,"matching":2,"page":1,"pages":1,"per_page":100,
    ///  "targets":[{"job":"app","endpoint":"http://127.0.0.1:1234/debug/vars","labels":{},"owner":null,
    ///   "state":"failing","last_poll":"…","last_poll_ns":…,"duration_ns":…,"consecutive_failures":3,
    ///   "last_error":"cannot connect …","fields_dropped":{"null":2}}],
    ///  "recorders":[{"name":"es","kind":"elasticsearch","destination":"…","cluster_version":null,
    ///   "state":"spooling","docs_per_second":null,"docs_sent":0,"queue_length":0,"spool_bytes":4096,
    ///   "spool_segments":1,"dead_lettered":0,"last_error":"…"}],
    ///  "discovery_sources":[],"pool":{"members":[]}}
    /// ```
    package func targetsJSON(query: StatusQuery, rates: [String: Double] = [:]) -> String {
        targetsJSON(page: query.apply(to: targets), query: query, rates: rates)
    }

    /// The JSON for an already computed page of `query`.
    package func targetsJSON(page: StatusQuery.Page, query: StatusQuery, rates: [String: Double]) -> String {
        func string(_ text: String?) -> String { text.map { JSONWriter.quoted(StatusPage.masked($0)) } ?? "null" }
        var json = "{\"time\":\"" + RFC3339.format(millis: wallNanos / 1_000_000) + "\",\"total\":\(page.total)"
        json += ",\"matching\":\(page.matching),\"page\":\(page.page),\"pages\":\(page.pageCount)"
        json += ",\"per_page\":\(query.perPage),\"targets\":["
        json.reserveCapacity(page.rows.count * 400)
        for (index, target) in page.rows.enumerated() {
            if index > 0 { json += "," }
            json += "{\"job\":" + JSONWriter.quoted(target.job) + ",\"endpoint\":" + string(target.endpoint)
            json += ",\"labels\":{"
            json += target.labels.map { JSONWriter.quoted($0.name) + ":" + JSONWriter.quoted($0.value) }.joined(
                separator: ",")
            json += "},\"owner\":" + (target.owner.map(JSONWriter.quoted) ?? "null")
            json += ",\"state\":\"" + target.state.rawValue + "\",\"last_poll\":"
            json += target.lastPollWallNanos.map { "\"" + RFC3339.format(millis: $0 / 1_000_000) + "\"" } ?? "null"
            json += ",\"last_poll_ns\":" + (target.lastPollWallNanos.map { String($0) } ?? "null")
            json += ",\"duration_ns\":\(target.lastPollNanos),\"consecutive_failures\":\(target.consecutiveFailures)"
            json += ",\"last_error\":" + string(target.lastError) + ",\"fields_dropped\":{"
            json += target.droppedFields.map { JSONWriter.quoted($0.reason) + ":\($0.count)" }.joined(separator: ",")
            json += "}}"
        }
        json += "],\"recorders\":["
        for (index, recorder) in recorders.enumerated() {
            if index > 0 { json += "," }
            json += "{\"name\":" + JSONWriter.quoted(recorder.name) + ",\"kind\":" + JSONWriter.quoted(recorder.kind)
            json += ",\"destination\":" + string(recorder.destination)
            json += ",\"cluster_version\":" + (recorder.clusterVersion.map(JSONWriter.quoted) ?? "null")
            json += ",\"state\":\"" + recorder.state.rawValue + "\",\"docs_per_second\":"
            json += rates[recorder.name].map { JSONWriter.numberOrNull($0) } ?? "null"
            json += ",\"docs_sent\":\(recorder.documentsSent),\"queue_length\":\(recorder.queueLength)"
            json += ",\"spool_bytes\":\(recorder.spoolBytes),\"spool_segments\":\(recorder.spoolSegments)"
            json += ",\"dead_lettered\":\(recorder.deadLettered),\"last_error\":" + string(recorder.lastError) + "}"
        }
        json += "],\"discovery_sources\":["
        for (index, source) in discoverySources.enumerated() {
            if index > 0 { json += "," }
            json += "{\"job\":" + JSONWriter.quoted(source.job) + ",\"source\":" + string(source.source)
            json += ",\"state\":" + JSONWriter.quoted(source.state) + ",\"targets\":\(source.targets)"
            json += ",\"last_error\":" + string(source.lastError) + "}"
        }
        json += "],\"pool\":{\"members\":["
        for (index, member) in poolMembers.enumerated() {
            if index > 0 { json += "," }
            json += "{\"name\":" + JSONWriter.quoted(member.name) + ",\"state\":" + JSONWriter.quoted(member.state)
            json += ",\"targets\":\(member.targets),\"self\":\(member.isSelf)}"
        }
        return json + "]}}\n"
    }
}
