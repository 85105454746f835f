import ExpvasticBase
import Synchronization

/// A client of etcd's v3 HTTP/JSON gateway (`/v3/kv/*`, `/v3/lease/*`, `/v3/auth/authenticate`),
/// over any ``HTTPTransport``: leases, puts (optionally with a lease, or only if the key is absent),
/// ranges by prefix and deletes. Keys and values travel base64-encoded, 64-bit numbers as strings.
///
/// Failover: a request goes to the endpoint that answered last; when that one cannot be reached
/// (refused, timed out, closed) or answers 5xx (no leader, shutting down), the next endpoint of the
/// list is tried, each at most once per request. An answer that names a problem (a lease that does
/// not exist, a bad request) is not retried elsewhere: another member of the cluster would say the
/// same.
///
/// ``watch(prefix:duration:onEvents:)`` streams `/v3/watch`, a response that never completes, through
/// ``HTTPRequest/onBody``; it ends after a set time or when its task is cancelled, and the caller
/// starts it again.
public final class EtcdClient: Sendable {
    private struct State {
        /// Index of the endpoint that answered last.
        package var preferred = 0
        /// The token `/v3/auth/authenticate` gave, when credentials are set.
        package var token: String?
    }

    public let endpoints: [Endpoint]
    private let transport: any HTTPTransport
    private let credentials: (username: String, password: String)?
    private let timeout: Duration
    private let state = Mutex(State())

    /// - Parameters:
    ///   - endpoints: the cluster's client URLs (at least one), tried in order on failover.
    ///   - credentials: etcd's user name and password (etcd's own authentication, not HTTP Basic).
    ///   - timeout: bounds each request to one endpoint.
    public init(
        endpoints: [Endpoint], transport: any HTTPTransport, credentials: (username: String, password: String)? = nil,
        timeout: Duration = .seconds(2)
    ) {
        precondition(!endpoints.isEmpty, "an etcd client needs at least one endpoint")
        self.endpoints = endpoints
        self.transport = transport
        self.credentials = credentials
        self.timeout = timeout
    }

    // MARK: - Leases

    /// Grants a lease of (at least) `ttl`, rounded up to whole seconds.
    public func grantLease(ttl: Duration) async throws(EtcdError) -> EtcdLease {
        let seconds = max(1, (ttl.nanoseconds + 999_999_999) / 1_000_000_000)
        let answer = try await call("/v3/lease/grant", "{\"TTL\":\(seconds)}")
        guard let id = Self.int64(answer["ID"]), id != 0 else {
            throw EtcdError(.malformedResponse, "lease grant answered without an ID")
        }
        let granted = Self.int64(answer["TTL"]) ?? Int64(seconds)
        return EtcdLease(id: id, ttl: .seconds(granted))
    }

    /// Renews `lease`; returns the TTL it has again, or nil when the lease no longer exists (it
    /// expired or was revoked: its keys are gone).
    public func keepAlive(lease: Int64) async throws(EtcdError) -> Duration? {
        let answer = try await call("/v3/lease/keepalive", "{\"ID\":\"\(lease)\"}")
        let result = answer["result"]?.object ?? answer
        guard let ttl = Self.int64(result["TTL"]), ttl > 0 else { return nil }
        return .seconds(ttl)
    }

    /// Revokes `lease`, deleting its keys at once. A lease that no longer exists is not an error.
    public func revoke(lease: Int64) async throws(EtcdError) {
        do {
            _ = try await call("/v3/lease/revoke", "{\"ID\":\"\(lease)\"}")
        } catch  where error.code == .leaseNotFound {
        }
    }

    // MARK: - Keys

    /// Sets `key` to `value`, attached to `lease` when it is not 0. Returns the store's revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws(EtcdError) -> Int64 {
        let answer = try await call("/v3/kv/put", "{" + Self.putFields(key, value, lease: lease) + "}")
        return Self.revision(answer)
    }

    /// Sets `key` only if it does not exist (a transaction comparing its create revision with 0).
    /// Returns true when it was created, false when it existed (it is left as it was).
    public func create(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws(EtcdError) -> Bool {
        let encodedKey = JSONWriter.quoted(Base64.encode(key.utf8))
        let body =
            "{\"compare\":[{\"key\":\(encodedKey),\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
            + "\"success\":[{\"request_put\":{" + Self.putFields(key, value, lease: lease) + "}}]}"
        let answer = try await call("/v3/kv/txn", body)
        return answer["succeeded"] == .bool(true)
    }

    /// The value of `key`, nil when it does not exist.
    public func get(_ key: String) async throws(EtcdError) -> EtcdKeyValue? {
        let body = "{\"key\":" + JSONWriter.quoted(Base64.encode(key.utf8)) + "}"
        return try Self.range(try await call("/v3/kv/range", body)).keyValues.first
    }

    /// Every key that starts with `prefix`, in key order, and the revision they were read at.
    public func range(prefix: String) async throws(EtcdError) -> EtcdRange {
        try Self.range(try await call("/v3/kv/range", "{" + Self.prefixRange(prefix) + "}"))
    }

    /// Deletes `key`; returns how many keys were deleted (0 or 1).
    @discardableResult
    public func delete(_ key: String) async throws(EtcdError) -> Int {
        let body = "{\"key\":" + JSONWriter.quoted(Base64.encode(key.utf8)) + "}"
        return Int(Self.int64(try await call("/v3/kv/deleterange", body)["deleted"]) ?? 0)
    }

    /// Watches the keys under `prefix` (from now on, or from revision `fromRevision`: the changes
    /// since are reported first) and calls `onEvents` with the number of events of every change etcd
    /// reports, until `duration` has passed (then it returns) or the task is cancelled. Throws when
    /// the endpoint does not take the watch or etcd ends it (also when `fromRevision` has been
    /// compacted: read the keys again and watch from their revision); it does not fail over (the
    /// caller starts it again, on the endpoint that answers then). A watch tells that something
    /// changed, not what: callers read the keys again.
    public func watch(
        prefix: String, fromRevision: Int64? = nil, duration: Duration,
        onEvents: @escaping @Sendable (Int) -> Void
    ) async throws(EtcdError) {
        let endpoint = endpoints[state.withLock { $0.preferred }]
        let start = fromRevision.map { ",\"start_revision\":\"\($0)\"" } ?? ""
        let body = "{\"create_request\":{" + Self.prefixRange(prefix) + start + "}}"
        let headers: [(name: String, value: String)]
        do {
            headers = try await self.headers(for: endpoint)
        } catch let error as EtcdError {
            throw error
        } catch {
            throw EtcdError(.unreachable, "\(endpoint.origin): \(error)")
        }
        let stream = WatchStream(onEvents: onEvents)
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(
                    method: "POST", endpoint: endpoint, path: "/v3/watch", headers: headers, body: Array(body.utf8),
                    timeout: duration, onBody: { stream.take($0) }))
        } catch {
            if case .timedOut = error, stream.created, stream.problem == nil { return }
            if Task.isCancelled { return }
            throw EtcdError(.unreachable, "watch at \(endpoint.origin): \(stream.problem ?? error.description)")
        }
        if response.status != 200 {
            throw EtcdError(.refused, "watch at \(endpoint.origin): HTTP \(response.status)")
        }
        throw EtcdError(.refused, "watch at \(endpoint.origin) ended: \(stream.problem ?? "the stream closed")")
    }

    /// The first key after every key that starts with `prefix` (the prefix with its last byte that
    /// is not 0xFF incremented); `[0]` (the whole key space) for an empty prefix.
    package static func prefixEnd(_ prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return [0]
    }

    // MARK: - Exchanges

    /// Posts `body` to `path`, failing over across the endpoints; the decoded JSON object on 200.
    private func call(_ path: String, _ body: String) async throws(EtcdError) -> [String: JSONValue] {
        let start = state.withLock { $0.preferred }
        var failures: [String] = []
        for step in 0..<endpoints.count {
            let index = (start + step) % endpoints.count
            let endpoint = endpoints[index]
            do {
                let answer = try await exchange(endpoint, path, body, reauthenticate: true)
                if step > 0 { state.withLock { $0.preferred = index } }
                return answer
            } catch let failure as Failure {
                failures.append("\(endpoint.origin): \(failure.reason)")
            } catch let error as EtcdError {
                throw error
            } catch {
                throw EtcdError(.malformedResponse, "\(path): \(error)")
            }
        }
        throw EtcdError(.unreachable, "no endpoint answered \(path) (" + failures.joined(separator: "; ") + ")")
    }

    /// An endpoint that could not serve the request; the next one is tried.
    private struct Failure: Error {
        package var reason: String
    }

    private func exchange(
        _ endpoint: Endpoint, _ path: String, _ body: String, reauthenticate: Bool
    ) async throws -> [String: JSONValue] {
        let headers = try await self.headers(for: endpoint)
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(
                    method: "POST", endpoint: endpoint, path: path, headers: headers, body: Array(body.utf8),
                    timeout: timeout, maxResponseBytes: 4 << 20))
        } catch {
            throw Failure(reason: error.description)
        }
        if response.status >= 500 { throw Failure(reason: "HTTP \(response.status) \(Self.message(response))") }
        guard let object = (try? JSONValue.parse(response.body))?.object else {
            if response.status != 200 { throw EtcdError(.refused, "\(path): HTTP \(response.status)") }
            throw EtcdError(.malformedResponse, "\(path) answered something that is not a JSON object")
        }
        guard response.status == 200, object["error"] == nil else {
            let code = Self.int64(object["code"])
            let message = Self.message(response)
            // gRPC 16 (unauthenticated): the token expired; get a new one once.
            if code == 16, credentials != nil, reauthenticate {
                state.withLock { $0.token = nil }
                return try await exchange(endpoint, path, body, reauthenticate: false)
            }
            // gRPC 14 (unavailable): no leader, or the member is stopping.
            if code == 14 { throw Failure(reason: message) }
            if message.contains("lease not found") { throw EtcdError(.leaseNotFound, "\(path): \(message)") }
            throw EtcdError(.refused, "\(path) at \(endpoint.origin): \(message)")
        }
        return object
    }

    /// The headers of a JSON request to `endpoint`: with credentials, the token (asked for when
    /// there is none yet).
    private func headers(for endpoint: Endpoint) async throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if credentials != nil {
            if let token = state.withLock({ $0.token }) {
                headers.append(("Authorization", token))
            } else {
                headers.append(("Authorization", try await authenticate(endpoint)))
            }
        }
        return headers
    }

    /// `"key":…,"range_end":…` selecting every key that starts with `prefix` (base64, as the
    /// gateway wants them).
    package static func prefixRange(_ prefix: String) -> String {
        "\"key\":" + JSONWriter.quoted(Base64.encode(prefix.utf8)) + ",\"range_end\":"
            + JSONWriter.quoted(Base64.encode(prefixEnd(prefix)))
    }

    private func authenticate(_ endpoint: Endpoint) async throws -> String {
        guard let credentials else { return "" }
        let body =
            "{\"name\":" + JSONWriter.quoted(credentials.username) + ",\"password\":"
            + JSONWriter.quoted(credentials.password) + "}"
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(
                    method: "POST", endpoint: endpoint, path: "/v3/auth/authenticate",
                    headers: [("Content-Type", "application/json")], body: Array(body.utf8), timeout: timeout))
        } catch {
            throw Failure(reason: error.description)
        }
        if response.status >= 500 { throw Failure(reason: "HTTP \(response.status) \(Self.message(response))") }
        guard response.status == 200, let object = (try? JSONValue.parse(response.body))?.object,
            case .string(let token)? = object["token"]
        else {
            throw EtcdError(
                .authenticationFailed,
                "\(endpoint.origin) refused the user name and password: \(Self.message(response))")
        }
        state.withLock { $0.token = token }
        return token
    }

    // MARK: - Decoding

    /// etcd's `message` (or `error`) from an error answer, else the start of the body.
    private static func message(_ response: HTTPResponse) -> String {
        if let object = (try? JSONValue.parse(response.body))?.object {
            if case .string(let text)? = object["message"] { return text }
            if case .string(let text)? = object["error"] { return text }
        }
        return String(decoding: response.body.prefix(200), as: UTF8.self)
    }

    private static func putFields(_ key: String, _ value: [UInt8], lease: Int64) -> String {
        var fields =
            "\"key\":" + JSONWriter.quoted(Base64.encode(key.utf8)) + ",\"value\":"
            + JSONWriter.quoted(Base64.encode(value))
        if lease != 0 { fields += ",\"lease\":\"\(lease)\"" }
        return fields
    }

    private static func revision(_ answer: [String: JSONValue]) -> Int64 {
        int64(answer["header"]?.object?["revision"]) ?? 0
    }

    private static func range(_ answer: [String: JSONValue]) throws(EtcdError) -> EtcdRange {
        var keyValues: [EtcdKeyValue] = []
        if case .array(let items)? = answer["kvs"] {
            for item in items {
                guard let object = item.object, case .string(let encodedKey)? = object["key"],
                    let key = Base64.decode(encodedKey)
                else { throw EtcdError(.malformedResponse, "a range answer has a key that is not base64") }
                var value: [UInt8] = []
                if case .string(let encodedValue)? = object["value"] {
                    guard let decoded = Base64.decode(encodedValue) else {
                        throw EtcdError(.malformedResponse, "a range answer has a value that is not base64")
                    }
                    value = decoded
                }
                keyValues.append(
                    EtcdKeyValue(
                        key: String(decoding: key, as: UTF8.self), value: value, lease: int64(object["lease"]) ?? 0,
                        createRevision: int64(object["create_revision"]) ?? 0,
                        modRevision: int64(object["mod_revision"]) ?? 0))
            }
        }
        return EtcdRange(keyValues: keyValues, revision: revision(answer))
    }

    /// A 64-bit number the gateway wrote as a string (or, from other gateways, as a number).
    package static func int64(_ value: JSONValue?) -> Int64? {
        switch value {
        case .string(let text)?: Int64(text)
        case .number(let number)? where number.rounded() == number && abs(number) < 9e15: Int64(number)
        default: nil
        }
    }
}

/// The lines of a watch response as they arrive: one JSON object per line (`{"result":{…}}`).
private final class WatchStream: Sendable {
    private struct State {
        package var pending: [UInt8] = []
        package var created = false
        package var problem: String?
    }

    private let state = Mutex(State())
    private let onEvents: @Sendable (Int) -> Void

    package init(onEvents: @escaping @Sendable (Int) -> Void) { self.onEvents = onEvents }

    package var created: Bool { state.withLock { $0.created } }
    package var problem: String? { state.withLock { $0.problem } }

    /// Takes a piece of the body; reports the events of each complete line.
    package func take(_ bytes: [UInt8]) {
        var counts: [Int] = []
        state.withLock { state in
            state.pending += bytes
            while let newline = state.pending.firstIndex(of: 0x0A) {
                let line = Array(state.pending[..<newline])
                state.pending.removeSubrange(...newline)
                guard !line.isEmpty else { continue }
                guard let object = (try? JSONValue.parse(line))?.object else {
                    state.problem = "a watch message is not a JSON object"
                    continue
                }
                guard case .object(let result)? = object["result"] else {
                    state.problem =
                        object["message"]?.string ?? object["error"]?.string ?? "a watch message has no result"
                    continue
                }
                if result["created"] == .bool(true) { state.created = true }
                if result["canceled"] == .bool(true) {
                    state.problem = "etcd canceled the watch: " + (result["cancel_reason"]?.string ?? "no reason given")
                }
                if case .array(let events)? = result["events"], !events.isEmpty { counts.append(events.count) }
            }
            // A line never grows without end: etcd's messages are small.
            if state.pending.count > 4 << 20 {
                state.pending = []
                state.problem = "a watch message is larger than 4 MiB"
            }
        }
        for count in counts { onEvents(count) }
    }
}
