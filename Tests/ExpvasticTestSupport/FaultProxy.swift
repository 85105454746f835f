import Expvastic
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 proxy on 127.0.0.1 (port chosen at run time) in front of an Elasticsearch-like
/// upstream, injecting the faults a real server will not produce on demand:
///
/// - per request: answer 429/503 with `Retry-After`, or reset the connection in the middle of the
///   request body;
/// - per bulk item: answer the item with a 429 (`es_rejected_execution_exception`) or a 400
///   mapping error — only the other items are forwarded, and the fake results are spliced into
///   the upstream answer in request order;
/// - latency before forwarding.
///
/// It records every request (method, path, headers, time) and counts the bulk items and `_id`s it
/// forwarded and the ones upstream created.
public final class FaultProxy: Sendable {
    /// What a request rule sees.
    public struct RequestInfo: Sendable {
        public var method: String
        public var path: String
        /// 0-based count of `/_bulk` requests before this one (for other paths: of all requests).
        public var bulkSequence: Int
    }

    /// What the proxy does to a whole request.
    public enum RequestFault: Sendable, Equatable {
        /// Answer with this status (429 or 503) and an optional `Retry-After` value.
        case status(Int, retryAfter: String?)
        /// Read the head and part of the body, then reset the connection (TCP RST).
        case resetMidBody
    }

    /// What an item rule sees.
    public struct ItemInfo: Sendable {
        /// 0-based count of bulk items the proxy has seen before this one.
        public var sequence: Int
        public var id: String
        /// How often this `_id` was seen before (0 the first time).
        public var timesSeenBefore: Int
    }

    /// A fake per-item result.
    public enum ItemFault: Sendable, Equatable {
        /// `429 es_rejected_execution_exception`.
        case tooManyRequests
        /// `400 mapper_parsing_exception`.
        case mappingError
    }

    /// One request as received.
    public struct RecordedRequest: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        /// Monotonic nanoseconds (SystemClock) when the head was read.
        public var receivedAt: UInt64
        public var itemCount: Int
    }

    public struct Rules: Sendable {
        public var request: @Sendable (RequestInfo) -> RequestFault?
        public var item: @Sendable (ItemInfo) -> ItemFault?
        public var latency: Duration

        public init(
            request: @escaping @Sendable (RequestInfo) -> RequestFault? = { _ in nil },
            item: @escaping @Sendable (ItemInfo) -> ItemFault? = { _ in nil },
            latency: Duration = .zero
        ) {
            self.request = request
            self.item = item
            self.latency = latency
        }
    }

    private struct State {
        var rules = Rules()
        var requests: [RecordedRequest] = []
        var bulkRequests = 0
        var itemsSeen = 0
        var seenIDs: [String: Int] = [:]
        var forwardedIDs: [String: Int] = [:]
        var createdIDs: [String: Int] = [:]
        var faultedItems: [String: ItemFault] = [:]
        var resets = 0
        var connections: Set<Int32> = []
        var stopped = false
    }

    private let listener: Int32
    public let port: Int
    private let upstreamPort: Int
    private let state = Mutex(State())
    private let clock = SystemClock()

    /// Listens on 127.0.0.1:0 and forwards to `127.0.0.1:<upstreamPort>`.
    public init(upstreamPort: Int, rules: Rules = Rules()) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = FaultProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw Failure("bind/listen on 127.0.0.1:0: \(String(cString: strerror(errno)))")
        }
        listener = fd
        port = FaultProxy.localPort(of: fd)
        state.withLock { $0.rules = rules }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port>/`.
    public var endpoint: Endpoint { Endpoint(scheme: "http", host: "127.0.0.1", port: port, path: "/") }

    public func setRules(_ rules: Rules) { state.withLock { $0.rules = rules } }

    public var requests: [RecordedRequest] { state.withLock { $0.requests } }
    /// How often each `_id` was forwarded upstream.
    public var forwardedIDs: [String: Int] { state.withLock { $0.forwardedIDs } }
    /// How often upstream answered `201 created` for each `_id`.
    public var createdIDs: [String: Int] { state.withLock { $0.createdIDs } }
    /// `_id`s that got a fake item result, with the fault.
    public var faultedItems: [String: ItemFault] { state.withLock { $0.faultedItems } }
    /// How many connections were reset mid-body.
    public var resets: Int { state.withLock { $0.resets } }

    public func stop() {
        let connections = state.withLock { state -> Set<Int32> in
            if state.stopped { return [] }
            state.stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            return state.connections
        }
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// A port on 127.0.0.1 that nothing listens on (bound, then closed): connections are refused.
    public static func refusingPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw Failure("bind: \(String(cString: strerror(errno)))") }
        return localPort(of: fd)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: - Serving

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let accepted = state.withLock { state -> Bool in
                if state.stopped { return false }
                state.connections.insert(fd)
                return true
            }
            guard accepted else {
                close(fd)
                return
            }
            Thread { [self] in
                serve(fd)
                state.withLock { _ = $0.connections.remove(fd) }
                close(fd)
            }.start()
        }
    }

    private func serve(_ fd: Int32) {
        let reader = SocketReader(fd: fd)
        while let head = reader.readHead() {
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            let parts = lines[0].split(separator: " ")
            guard parts.count >= 2 else { return }
            let method = String(parts[0])
            let path = String(parts[1])
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            let isBulk = path.hasSuffix("/_bulk") || path.contains("/_bulk?")
            let (rules, sequence) = state.withLock { state -> (Rules, Int) in
                defer { if isBulk { state.bulkRequests += 1 } }
                return (state.rules, isBulk ? state.bulkRequests : state.requests.count)
            }
            let fault = rules.request(RequestInfo(method: method, path: path, bulkSequence: sequence))
            let length = Int(headers["content-length"] ?? "") ?? 0
            if fault == .resetMidBody {
                _ = reader.read(count: max(0, length / 2))
                record(method: method, path: path, headers: headers, items: 0)
                state.withLock { $0.resets += 1 }
                var linger = linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                return
            }
            var body: [UInt8]
            if headers["transfer-encoding"]?.lowercased() == "chunked" {
                guard let decoded = reader.readChunked() else { return }
                body = decoded
            } else {
                guard let read = reader.read(count: length) else { return }
                body = read
            }
            if headers["content-encoding"]?.lowercased() == "gzip" {
                // Rules read the NDJSON; upstream gets it plain (the header goes with the gzip).
                guard let plain = try? Gzip.decompress(body) else { return }
                body = plain
                headers["content-encoding"] = nil
            }
            if rules.latency > .zero { Thread.sleep(forTimeInterval: rules.latency.seconds) }
            let response: (status: Int, headers: [(String, String)], body: [UInt8])
            if case .status(let status, let retryAfter)? = fault {
                record(method: method, path: path, headers: headers, items: 0)
                let type = status == 429 ? "es_rejected_execution_exception" : "unavailable_shards_exception"
                let text = #"{"error":{"type":"\#(type)","reason":"fault proxy says \#(status)"},"status":\#(status)}"#
                response = (status, retryAfter.map { [("Retry-After", $0)] } ?? [], Array(text.utf8))
            } else if isBulk && method == "POST" {
                response = bulk(path: path, headers: headers, body: body, rules: rules)
            } else {
                record(method: method, path: path, headers: headers, items: 0)
                response = forward(method: method, path: path, headers: headers, body: body)
            }
            var out = "HTTP/1.1 \(response.status) \(FaultProxy.reason(response.status))\r\n"
            out += "Content-Type: application/json\r\nContent-Length: \(response.body.count)\r\n"
            for (name, value) in response.headers { out += "\(name): \(value)\r\n" }
            let closing = headers["connection"]?.lowercased() == "close"
            out += closing ? "Connection: close\r\n\r\n" : "\r\n"
            guard SocketReader.writeAll(fd, Array(out.utf8) + response.body), !closing else { return }
        }
    }

    private func record(method: String, path: String, headers: [String: String], items: Int) {
        let now = clock.monotonicNanos()
        state.withLock {
            $0.requests.append(
                RecordedRequest(method: method, path: path, headers: headers, receivedAt: now, itemCount: items))
        }
    }

    private struct Item {
        var action: [UInt8]
        var source: [UInt8]
        var id: String
        var index: String
        var fault: ItemFault?
    }

    private func bulk(path: String, headers: [String: String], body: [UInt8], rules: Rules) -> (
        status: Int, headers: [(String, String)], body: [UInt8]
    ) {
        var lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map(Array.init)
        if lines.count % 2 == 1 { lines.append([]) }
        var items: [Item] = []
        var index = 0
        while index + 1 < lines.count {
            let action = (try? JSONSerialization.jsonObject(with: Data(lines[index]))) as? [String: Any]
            let meta = action?.values.first as? [String: Any]
            items.append(
                Item(
                    action: lines[index], source: lines[index + 1], id: meta?["_id"] as? String ?? "",
                    index: meta?["_index"] as? String ?? "", fault: nil))
            index += 2
        }
        state.withLock { state in
            for position in items.indices {
                let seen = state.seenIDs[items[position].id, default: 0]
                state.seenIDs[items[position].id] = seen + 1
                let info = ItemInfo(sequence: state.itemsSeen, id: items[position].id, timesSeenBefore: seen)
                state.itemsSeen += 1
                items[position].fault = rules.item(info)
                if let fault = items[position].fault {
                    state.faultedItems[items[position].id] = fault
                } else {
                    state.forwardedIDs[items[position].id, default: 0] += 1
                }
            }
        }
        record(method: "POST", path: path, headers: headers, items: items.count)
        let forwarded = items.filter { $0.fault == nil }
        var upstreamItems: [Any] = []
        var upstreamErrors = false
        if !forwarded.isEmpty {
            var upstreamBody: [UInt8] = []
            for item in forwarded { upstreamBody += item.action + [10] + item.source + [10] }
            let answer = forward(method: "POST", path: path, headers: headers, body: upstreamBody)
            guard answer.status == 200,
                let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any],
                let list = object["items"] as? [Any], list.count == forwarded.count
            else { return answer }
            upstreamItems = list
            upstreamErrors = object["errors"] as? Bool ?? true
            state.withLock { state in
                for entry in list {
                    guard let inner = (entry as? [String: Any])?.values.first as? [String: Any] else { continue }
                    if (inner["status"] as? NSNumber)?.intValue == 201, let id = inner["_id"] as? String {
                        state.createdIDs[id, default: 0] += 1
                    }
                }
            }
        }
        var merged: [Any] = []
        var next = 0
        for item in items {
            guard let fault = item.fault else {
                merged.append(upstreamItems[next])
                next += 1
                continue
            }
            let (status, type, reason) =
                fault == .tooManyRequests
                ? (429, "es_rejected_execution_exception", "rejected execution of coordinating operation (fault proxy)")
                : (400, "mapper_parsing_exception", "failed to parse field [fault] of type [long] (fault proxy)")
            merged.append([
                "create": [
                    "_index": item.index, "_id": item.id, "status": status,
                    "error": ["type": type, "reason": reason],
                ] as [String: Any]
            ])
        }
        let errors = upstreamErrors || items.contains { $0.fault != nil }
        let object: [String: Any] = ["took": 1, "errors": errors, "items": merged]
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return (200, [], [UInt8](data))
    }

    /// Sends one request upstream over a fresh connection and reads the whole answer.
    private func forward(method: String, path: String, headers: [String: String], body: [UInt8]) -> (
        status: Int, headers: [(String, String)], body: [UInt8]
    ) {
        let badGateway = (502, [(String, String)](), Array(#"{"error":"fault proxy: upstream unreachable"}"#.utf8))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return badGateway }
        defer { close(fd) }
        var address = FaultProxy.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return badGateway }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(upstreamPort)\r\nConnection: close\r\n"
        for (name, value) in headers
        where !["host", "connection", "content-length", "transfer-encoding", "keep-alive"].contains(name) {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\n\r\n"
        guard SocketReader.writeAll(fd, Array(head.utf8) + body) else { return badGateway }
        let reader = SocketReader(fd: fd)
        guard let responseHead = reader.readHead() else { return badGateway }
        let lines = responseHead.split(separator: "\r\n").map(String.init)
        let status =
            lines.first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 502
        var responseHeaders: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            responseHeaders[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let responseBody: [UInt8]?
        if responseHeaders["transfer-encoding"]?.lowercased() == "chunked" {
            responseBody = reader.readChunked()
        } else if let length = responseHeaders["content-length"].flatMap({ Int($0) }) {
            responseBody = reader.read(count: length)
        } else {
            responseBody = reader.readToEnd()
        }
        return (status, [], responseBody ?? [])
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private static func localPort(of fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Buffered blocking reads from a socket.
private final class SocketReader {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            buffer += chunk[0..<count]
            return true
        }
    }

    /// The request or status line and headers, without the blank line; nil at end of stream.
    func readHead() -> String? {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return head
            }
            if buffer.count > 1 << 20 || !fill() { return nil }
        }
    }

    func read(count: Int) -> [UInt8]? {
        while buffer.count < count { if !fill() { return nil } }
        let out = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return out
    }

    func readLine() -> String? {
        while true {
            if let end = find([13, 10]) {
                let line = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return line
            }
            if !fill() { return nil }
        }
    }

    func readChunked() -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            guard let sizeLine = readLine(), let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                return nil
            }
            if size == 0 {
                while let trailer = readLine(), !trailer.isEmpty {}
                return body
            }
            guard let chunk = read(count: size), readLine() != nil else { return nil }
            body += chunk
        }
    }

    func readToEnd() -> [UInt8] {
        while fill() {}
        defer { buffer = [] }
        return buffer
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        var index = 0
        while index <= buffer.count - pattern.count {
            if buffer[index] == pattern[0] && Array(buffer[index..<(index + pattern.count)]) == pattern { return index }
            index += 1
        }
        return nil
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        return bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 && errno == EINTR { continue }
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }
}
