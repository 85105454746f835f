import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Renders the status page (`GET /`): one self-contained HTML document (inline CSS, inline SVG
/// sparklines, a small script for live refresh; no external assets), useful with JavaScript off.
///
/// Everything that comes from outside (job names, endpoints, labels, errors) is HTML-escaped, and
/// endpoints and errors have URL credentials masked as `--check` masks them (`******@host`). Only the
/// requested page of targets is rendered, so the page costs the same with 10,000 targets.
public struct StatusPage: Sendable {
    /// Latencies of one component, oldest first (``SampleCollection/latencies(of:)``).
    public typealias Series = [(latencyNanos: UInt64, ok: Bool)]

    /// Points drawn per sparkline at most: longer series are cut into this many buckets (each drawn at
    /// its highest latency).
    public static let sparklinePoints = 60
    /// How often the script reloads the page's data while "live" is on.
    public static let refreshMilliseconds = 5000

    /// What to show.
    public var snapshot: StatusSnapshot
    /// Which targets, in which order, which page.
    public var query: StatusQuery
    /// Latency samples per component (`reader.<job>`) for the page's rows.
    public var series: [String: Series]
    /// Documents per second per recorder name, when known.
    public var rates: [String: Double]

    /// A page to render; series and rates may be empty (no sparklines, no docs/s).
    public init(
        snapshot: StatusSnapshot, query: StatusQuery = StatusQuery(), series: [String: Series] = [:],
        rates: [String: Double] = [:]
    ) {
        self.snapshot = snapshot
        self.query = query
        self.series = series
        self.rates = rates
    }

    /// The whole document.
    public func render() -> String {
        let page = query.apply(to: snapshot.targets)
        return render(page: page)
    }

    /// The whole document for an already computed page of ``query``.
    public func render(page: StatusQuery.Page) -> String {
        var html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        html += "<meta name=\"color-scheme\" content=\"light dark\"><link rel=\"icon\" href=\"data:,\">"
        html += "<title>Expvastic status</title><style>" + Self.css + "</style></head>\n<body>"
        html += "<header><h1>Expvastic</h1><span id=\"generated\">as of "
        html += RFC3339.format(millis: snapshot.wallNanos / 1_000_000) + "</span>"
        html += "<span id=\"stale\" class=\"stale\" hidden>refresh failed; showing older data</span>"
        html += "<label class=\"live\"><input type=\"checkbox\" id=\"live\" checked> live</label></header>\n<main>"
        html += summary()
        html += recorders()
        html += targets(page)
        html += discovery()
        html += pool()
        html += "</main>\n<script>" + Self.script + "</script>\n</body></html>\n"
        return html
    }

    // MARK: - Sections

    private func summary() -> String {
        var counts: [StatusSnapshot.Target.State: Int] = [:]
        for target in snapshot.targets { counts[target.state, default: 0] += 1 }
        var html = "<section id=\"summary\"><a class=\"chip\" data-nav href=\"/\">"
        html += "\(snapshot.targets.count) target\(snapshot.targets.count == 1 ? "" : "s")</a>"
        for state in [StatusSnapshot.Target.State.up, .failing, .backingOff, .unknown] {
            let count = counts[state] ?? 0
            if count == 0 && state == .unknown { continue }
            html += "<a class=\"chip \(state.rawValue)\" data-nav href=\"/?state=\(state.rawValue)\">"
            html += Self.label(state) + " \(count)</a>"
        }
        var recorderCounts: [RecorderStatus.State: Int] = [:]
        for recorder in snapshot.recorders { recorderCounts[recorder.state, default: 0] += 1 }
        html += "<span class=\"chip\">\(snapshot.recorders.count) recorder\(snapshot.recorders.count == 1 ? "" : "s")"
        for state in RecorderStatus.State.allCases {
            if let count = recorderCounts[state] { html += ", \(count) \(state.rawValue)" }
        }
        html += "</span></section>\n"
        return html
    }

    private func recorders() -> String {
        var html = "<section id=\"recorders\"><h2>Recorders</h2>"
        guard !snapshot.recorders.isEmpty else { return html + "<p class=\"empty\">no recorders</p></section>\n" }
        html +=
            "<div class=\"scroll\"><table class=\"cards\"><thead><tr><th>recorder</th><th>destination</th><th>cluster</th>"
        html += "<th>state</th><th class=\"num\">docs/s</th><th class=\"num\">sent</th><th class=\"num\">queue</th>"
        html +=
            "<th class=\"num\">spool</th><th class=\"num\">dead-lettered</th><th>last error</th></tr></thead><tbody>"
        for recorder in snapshot.recorders {
            html += "<tr class=\"recorder\" data-state=\"\(recorder.state.rawValue)\"><td class=\"job\">"
            html += Self.escape(recorder.name) + "</td><td class=\"endpoint\" data-label=\"destination\">"
            html += Self.escape(Self.masked(recorder.destination))
            html += "<br><small>" + Self.escape(recorder.kind) + "</small></td><td data-label=\"cluster\">"
            html += Self.escape(recorder.clusterVersion ?? "—") + "</td><td data-label=\"state\"><span class=\"state "
            html += recorder.state.rawValue + "\">" + recorder.state.rawValue
            html += "</span></td><td class=\"num\" data-label=\"docs/s\">"
            html += rates[recorder.name].map { Self.decimal($0) } ?? "—"
            html += "</td><td class=\"num\" data-label=\"sent\">\(recorder.documentsSent)</td>"
            html += "<td class=\"num\" data-label=\"queue\">\(recorder.queueLength)"
            html += "</td><td class=\"num\" data-label=\"spool\">" + Self.bytes(recorder.spoolBytes)
            html += "<br><small>\(recorder.spoolSegments) segment\(recorder.spoolSegments == 1 ? "" : "s")</small>"
            html += "</td><td class=\"num\" data-label=\"dead-lettered\">\(recorder.deadLettered)</td>"
            html += "<td class=\"error\" data-label=\"last error\">"
            html += Self.escape(Self.masked(recorder.lastError ?? "")) + "</td></tr>"
        }
        return html + "</tbody></table></div></section>\n"
    }

    private func targets(_ page: StatusQuery.Page) -> String {
        var html = "<section id=\"targets\"><h2>Targets</h2>"
        html += "<form id=\"filter\" method=\"get\" action=\"/\"><input type=\"search\" name=\"q\" value=\""
        html +=
            Self.escape(query.text) + "\" placeholder=\"filter: job, endpoint, label, error\" aria-label=\"filter\">"
        html += "<select name=\"state\" aria-label=\"state\"><option value=\"\">any state</option>"
        for state in StatusSnapshot.Target.State.allCases {
            html += "<option value=\"\(state.rawValue)\"\(query.state == state ? " selected" : "")>"
            html += Self.label(state) + "</option>"
        }
        html += "</select>"
        if query.sort != .job { html += "<input type=\"hidden\" name=\"sort\" value=\"\(query.sort.rawValue)\">" }
        if query.descending { html += "<input type=\"hidden\" name=\"order\" value=\"desc\">" }
        if query.perPage != StatusQuery.defaultPerPage {
            html += "<input type=\"hidden\" name=\"per_page\" value=\"\(query.perPage)\">"
        }
        html += "<button type=\"submit\">filter</button></form>\n<div id=\"target-list\">"
        let first = page.matching == 0 ? 0 : (page.page - 1) * query.perPage + 1
        html += "<p class=\"count\">showing \(first)–\(first + page.rows.count - (first == 0 ? 0 : 1)) of "
        html += "\(page.matching) matching (\(page.total) target\(page.total == 1 ? "" : "s"))</p>"
        guard !page.rows.isEmpty else {
            return html + "<p class=\"empty\">no targets match</p></div></section>\n"
        }
        html += "<div class=\"scroll\"><table id=\"target-table\" class=\"cards\"><thead><tr>"
        let headers: [(String, StatusQuery.Column?)] = [
            ("job", .job), ("endpoint", .endpoint), ("labels", nil), ("owner", nil), ("state", .state),
            ("last poll", .lastPoll), ("duration", .duration), ("latency", nil), ("last error", .error),
            ("fields dropped", nil),
        ]
        for (title, column) in headers {
            guard let column else {
                html += "<th>\(title)</th>"
                continue
            }
            let active = query.sort == column
            let descending = active ? !query.descending : false
            let arrow = active ? (query.descending ? " ▼" : " ▲") : ""
            let aria = active ? " aria-sort=\"\(query.descending ? "descending" : "ascending")\"" : ""
            html += "<th\(aria)><a data-nav href=\"/?"
            html += Self.escape(query.queryString(sort: column, descending: descending, page: 1))
            html += "\">\(title)\(arrow)</a></th>"
        }
        html += "</tr></thead><tbody>"
        for target in page.rows { html += row(target) }
        html += "</tbody></table></div>"
        html += pager(page)
        return html + "</div></section>\n"
    }

    private func row(_ target: StatusSnapshot.Target) -> String {
        var html = "<tr class=\"target\" data-state=\"\(target.state.rawValue)\"><td class=\"job\">"
        html += Self.escape(target.job) + "</td><td class=\"endpoint\" data-label=\"endpoint\">"
        html += Self.escape(Self.masked(target.endpoint)) + "</td><td class=\"labels\" data-label=\"labels\">"
        for label in target.labels {
            html += "<span class=\"label\">" + Self.escape(label.name) + "=" + Self.escape(label.value) + "</span> "
        }
        html += "</td><td data-label=\"owner\">" + Self.escape(target.owner ?? "")
        html += "</td><td data-label=\"state\"><span class=\"state "
        html += target.state.rawValue + "\">" + Self.label(target.state) + "</span>"
        if target.consecutiveFailures > 0 {
            html += "<br><small>\(target.consecutiveFailures) failed in a row</small>"
        }
        html += "</td><td data-label=\"last poll\">"
        if let wall = target.lastPollWallNanos {
            html += "<time datetime=\"" + RFC3339.format(millis: wall / 1_000_000) + "\">"
            html += Self.ago(snapshot.wallNanos - wall) + "</time>"
        } else {
            html += "never"
        }
        html += "</td><td class=\"num\" data-label=\"duration\">"
        html += target.lastPollWallNanos == nil ? "—" : Self.duration(target.lastPollNanos)
        html += "</td><td data-label=\"latency\">" + Self.sparkline(series[target.component] ?? [])
        html += "</td><td class=\"error\" data-label=\"last error\">" + Self.escape(Self.masked(target.lastError ?? ""))
        html += "</td><td class=\"dropped\" data-label=\"fields dropped\">"
        for dropped in target.droppedFields {
            html += "<span>" + Self.escape(dropped.reason) + " \(dropped.count)</span> "
        }
        return html + "</td></tr>"
    }

    private func pager(_ page: StatusQuery.Page) -> String {
        guard page.pageCount > 1 else { return "" }
        var html = "<nav class=\"pager\" aria-label=\"pages\">"
        if page.page > 1 {
            html += "<a data-nav href=\"/?" + Self.escape(query.queryString(page: page.page - 1)) + "\">« previous</a>"
        }
        html += "<span>page \(page.page) of \(page.pageCount)</span>"
        if page.page < page.pageCount {
            html += "<a data-nav href=\"/?" + Self.escape(query.queryString(page: page.page + 1)) + "\">next »</a>"
        }
        return html + "</nav>"
    }

    private func discovery() -> String {
        var html = "<section id=\"discovery\"><h2>Discovery sources</h2>"
        guard !snapshot.discoverySources.isEmpty else {
            return html + "<p class=\"empty\">no discovery sources</p></section>\n"
        }
        html += "<div class=\"scroll\"><table><thead><tr><th>job</th><th>source</th><th>state</th>"
        html += "<th class=\"num\">targets</th><th>last error</th></tr></thead><tbody>"
        for source in snapshot.discoverySources {
            html += "<tr><td>" + Self.escape(source.job) + "</td><td>" + Self.escape(Self.masked(source.source))
            html += "</td><td><span class=\"state " + Self.escape(source.state) + "\">" + Self.escape(source.state)
            html += "</span></td><td class=\"num\">\(source.targets)</td><td class=\"error\">"
            html += Self.escape(Self.masked(source.lastError ?? "")) + "</td></tr>"
        }
        return html + "</tbody></table></div></section>\n"
    }

    private func pool() -> String {
        var html = "<section id=\"pool\"><h2>Pool</h2>"
        guard !snapshot.poolMembers.isEmpty else { return html + "<p class=\"empty\">not in a pool</p></section>\n" }
        html += "<div class=\"scroll\"><table><thead><tr><th>member</th><th>state</th><th class=\"num\">targets</th>"
        html += "</tr></thead><tbody>"
        for member in snapshot.poolMembers {
            html += "<tr><td>" + Self.escape(member.name) + (member.isSelf ? " <small>(this process)</small>" : "")
            html += "</td><td><span class=\"state " + Self.escape(member.state) + "\">" + Self.escape(member.state)
            html += "</span></td><td class=\"num\">\(member.targets)</td></tr>"
        }
        return html + "</tbody></table></div></section>\n"
    }

    // MARK: - Pieces

    package static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

    /// URL credentials masked as `--check` masks them.
    package static func masked(_ text: String) -> String { ConfigurationLoader.redactingCredentials(text) }

    package static func label(_ state: StatusSnapshot.Target.State) -> String {
        state == .backingOff ? "backing off" : state.rawValue
    }

    /// An inline SVG polyline of the latencies (scaled to the highest), red dots where polls failed.
    package static func sparkline(_ series: Series) -> String {
        guard !series.isEmpty else { return "<span class=\"nodata\">—</span>" }
        var points: [(latency: UInt64, ok: Bool)] = []
        let buckets = min(series.count, sparklinePoints)
        points.reserveCapacity(buckets)
        for bucket in 0..<buckets {
            let start = bucket * series.count / buckets
            let end = (bucket + 1) * series.count / buckets
            var highest: UInt64 = 0
            var ok = true
            for sample in series[start..<end] {
                highest = max(highest, sample.latencyNanos)
                ok = ok && sample.ok
            }
            points.append((highest, ok))
        }
        let top = max(1, points.map(\.latency).max() ?? 1)
        let width = 120
        let height = 24
        func x(_ index: Int) -> Int { buckets == 1 ? width / 2 : index * (width - 2) / (buckets - 1) + 1 }
        func y(_ latency: UInt64) -> Int { height - 2 - Int(Double(latency) / Double(top) * Double(height - 4)) }
        var svg = "<svg class=\"spark\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
        svg += "role=\"img\"><title>\(series.count) polls, max " + duration(top) + "</title><polyline points=\""
        for (index, point) in points.enumerated() { svg += (index > 0 ? " " : "") + "\(x(index)),\(y(point.latency))" }
        svg += "\"/>"
        for (index, point) in points.enumerated() where !point.ok {
            svg += "<circle cx=\"\(x(index))\" cy=\"\(y(point.latency))\" r=\"2\"/>"
        }
        return svg + "</svg>"
    }

    /// `850 µs`, `12.3 ms`, `1.25 s`.
    package static func duration(_ nanos: UInt64) -> String {
        if nanos < 1_000_000 { return "\(nanos / 1000) µs" }
        if nanos < 1_000_000_000 { return decimal(Double(nanos) / 1e6) + " ms" }
        return decimal(Double(nanos) / 1e9, places: 2) + " s"
    }

    /// `3s ago`, `2m ago`, `1h ago`; `just now` under a second (or for a clock step backwards).
    package static func ago(_ nanos: Int64) -> String {
        let seconds = nanos / 1_000_000_000
        if seconds < 1 { return "just now" }
        if seconds < 120 { return "\(seconds)s ago" }
        if seconds < 7200 { return "\(seconds / 60)m ago" }
        return "\(seconds / 3600)h ago"
    }

    /// `0 B`, `512 B`, `1.5 KiB`, `12.0 MiB`.
    package static func bytes(_ count: Int) -> String {
        if count < 1024 { return "\(count) B" }
        var value = Double(count) / 1024
        for unit in ["KiB", "MiB", "GiB"] {
            if value < 1024 { return decimal(value) + " " + unit }
            value /= 1024
        }
        return decimal(value) + " TiB"
    }

    /// Fixed decimals without Foundation.
    package static func decimal(_ value: Double, places: Int = 1) -> String {
        guard value.isFinite else { return "—" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = String(scaled % Int64(scale))
        let padded = String(repeating: "0", count: max(0, places - fraction.count)) + fraction
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole)" + (places > 0 ? "." + padded : "")
    }
}
