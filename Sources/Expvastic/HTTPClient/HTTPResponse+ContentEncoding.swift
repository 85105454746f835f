import ExpvasticBase

extension HTTPResponse {
    /// Why a response body could not be decoded.
    public struct ContentEncodingFailure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A stable code: `unsupported_encoding`, `decoded_body_too_large` or `corrupt_gzip`.
        public var code: String
        public var description: String
    }

    /// The value to send as `Accept-Encoding` by a client that decodes with ``decodedBody(limit:)``:
    /// gzip, as Prometheus asks its targets, or else the body as it is.
    public static let acceptEncodingGzip = "gzip"

    /// The body as the server meant it: unchanged without `Content-Encoding` (or with `identity`),
    /// gunzipped for `gzip` and `x-gzip`. At most `limit` decoded bytes: a larger body (a gzip bomb
    /// is a few KB that inflate to gigabytes) stops inflating there and is an error, so memory stays
    /// bounded by about `limit` whatever the compressed body holds. Any other encoding (`br`,
    /// `deflate`, a chain of two) is an error that names it.
    public func decodedBody(limit: Int) throws(ContentEncodingFailure) -> [UInt8] {
        guard let encoding = header("Content-Encoding") else { return body }
        var name = Substring(encoding)
        while let first = name.first, first == " " || first == "\t" { name.removeFirst() }
        while let last = name.last, last == " " || last == "\t" { name.removeLast() }
        let lowered = name.lowercased()
        if lowered.isEmpty || lowered == "identity" { return body }
        guard lowered == "gzip" || lowered == "x-gzip" else {
            throw ContentEncodingFailure(
                code: "unsupported_encoding",
                description: "the response has Content-Encoding: \(encoding), which expvastic cannot decode "
                    + "(it asks for gzip or nothing)")
        }
        do {
            return try Gzip.decompress(body, limit: max(limit, 0))
        } catch let failure where failure.isOverLimit {
            throw ContentEncodingFailure(
                code: "decoded_body_too_large",
                description: "the gzip body (\(body.count) bytes) inflates to more than \(limit) bytes; "
                    + "decoding stopped there (raise max_body_bytes if the target really is that large)")
        } catch {
            throw ContentEncodingFailure(
                code: "corrupt_gzip", description: "the gzip body (\(body.count) bytes) cannot be decoded: \(error)")
        }
    }
}
