import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// One item of a `_bulk` answer, in request order.
public struct BulkItemResult: Sendable, Equatable {
    public var status: Int
    public var id: String?
    /// `error.type`, e.g. `mapper_parsing_exception`, `es_rejected_execution_exception`.
    public var errorType: String?
    /// `error.reason` (with `caused_by.reason` appended when present).
    public var reason: String?

    public init(status: Int, id: String? = nil, errorType: String? = nil, reason: String? = nil) {
        self.status = status
        self.id = id
        self.errorType = errorType
        self.reason = reason
    }

    /// What to do with the item.
    public enum Disposition: Sendable, Equatable {
        /// Stored now or before (`409 version_conflict` on `create` with our deterministic `_id`).
        case stored
        /// Overload or a transient failure: send this item again, alone, after a backoff.
        case retry
        /// Rejected for good (mapping error, missing index, …): dead-letter it.
        case reject
    }

    /// 2xx and 409 are stored; 429, 5xx, `es_rejected_execution_exception` and cluster blocks (a
    /// flood-stage disk watermark answers 403 on 6.8) are retried; everything else is rejected.
    public var disposition: Disposition {
        if (200..<300).contains(status) || status == 409 { return .stored }
        if status == 429 || status >= 500 || errorType == "es_rejected_execution_exception"
            || errorType == "cluster_block_exception"
        {
            return .retry
        }
        return .reject
    }
}

/// Reads a `_bulk` response body.
public enum BulkResponse {
    /// What a 2xx `_bulk` body says.
    public enum Parsed: Sendable, Equatable {
        /// `"errors": false`: every item was stored.
        case allStored
        /// Per-item results, in request order.
        case items([BulkItemResult])
    }

    /// Parses the body; throws when it is not a bulk response.
    public static func parse(_ body: [UInt8]) throws(RecorderError) -> Parsed {
        // Elasticsearch and OpenSearch write `took` and `errors` before `items`; when errors is
        // false the (possibly large) item list need not be parsed.
        let head = String(decoding: body.prefix(64), as: UTF8.self).filter { $0 != " " && $0 != "\n" }
        if head.hasPrefix("{") && head.contains(#""errors":false"#) { return .allStored }
        guard let root = try? JSONValue.parse(body) else {
            throw RecorderError(
                code: "bulk_response_unreadable", message: "bulk response is not JSON: \(RecorderError.excerpt(body))")
        }
        guard let items = root["items"]?.array else {
            throw RecorderError(
                code: "bulk_response_unreadable", message: "bulk response has no items: \(RecorderError.excerpt(body))")
        }
        if root["errors"]?.bool == false { return .allStored }
        var results: [BulkItemResult] = []
        results.reserveCapacity(items.count)
        for item in items {
            // Each item is `{"<action>": {...}}`.
            guard let inner = item.object?.values.first, inner.object != nil else {
                results.append(
                    BulkItemResult(status: 500, errorType: "unreadable_item", reason: "item is not an object"))
                continue
            }
            var result = BulkItemResult(status: inner["status"]?.int ?? 500, id: inner["_id"]?.string)
            if let error = inner["error"], error.object != nil {
                result.errorType = error["type"]?.string
                var reason = error["reason"]?.string ?? ""
                if let causeReason = error["caused_by"]?["reason"]?.string {
                    reason += reason.isEmpty ? causeReason : " (caused by: \(causeReason))"
                }
                result.reason = reason
            } else if let error = inner["error"]?.string {
                result.reason = error
            }
            results.append(result)
        }
        return .items(results)
    }

    /// `error.type: error.reason` from a whole-request error body, for logs; the excerpt otherwise.
    package static func errorSummary(_ body: [UInt8]) -> String {
        if let error = (try? JSONValue.parse(body))?["error"], error.object != nil {
            return (error["type"]?.string ?? "error") + ": " + (error["reason"]?.string ?? "")
        }
        return RecorderError.excerpt(body)
    }
}
