import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `expvasyml --once` with a `prometheus` reader against endpoints that misbehave: a body that is
/// not the format, too large or too slow is a clear one-line error (exit 1); a million series, a
/// 1 MiB label value or invalid UTF-8 in a label are counted rejections and the rest ships (exit 0).
/// gzip, which the reader asks for: a chunked gzip body ships; a gzip bomb (a few hundred KB that
/// inflate to 64 MiB) stops at `max_body_bytes` and is a clear error.
@Suite struct PrometheusHostileEndpointTests {
    enum Behaviour: String, CaseIterable, Sendable {
        case htmlLoginPage, fiftyMebibytes, dripsPastTheTimeout, cutOffMidBody
        case millionSeries, oneMebibyteLabelValue, invalidUTF8Label
        case gzipChunked, gzipBomb
    }

    /// 64 MiB of one repeated line, gzipped once per test process.
    static let bomb: [UInt8] = {
        var text = Array("padding_metric 1\n".utf8)
        // Doubling: 22 copies instead of four million appends in a debug build.
        while text.count < 64 << 20 { text += text }
        return (try? Gzip.compress(text, level: 9)) ?? []
    }()

    /// Exit status and what stderr must say.
    static func expected(_ behaviour: Behaviour) -> (status: Int32, text: String) {
        switch behaviour {
        case .htmlLoginPage: (1, "the body is HTML or XML, not the Prometheus text format")
        case .fiftyMebibytes: (1, "larger than")
        case .dripsPastTheTimeout: (1, "no complete response within 1")
        case .cutOffMidBody: (1, "reader hostile")
        case .millionSeries: (0, "more than 10000 series (max_series)")
        case .oneMebibyteLabelValue: (0, "label value longer than 2048 bytes (max_label_value_bytes)")
        case .invalidUTF8Label: (0, "label value is not valid UTF-8")
        case .gzipChunked: (0, "")
        case .gzipBomb: (1, "inflates to more than 33554432 bytes")
        }
    }

    static func serve(_ behaviour: Behaviour, on connection: RawTCPConnection) {
        guard let request = connection.readRequest() else { return }
        func body(_ bytes: [UInt8]) {
            _ = connection.write(
                RawTCPServer.response(headers: ["Content-Type: text/plain; version=0.0.4"], body: bytes))
        }
        switch behaviour {
        case .htmlLoginPage:
            _ = connection.write(
                RawTCPServer.response(headers: ["Content-Type: text/html"], text: "<html><form>login</form></html>"))
        case .fiftyMebibytes:
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(50 << 20)\r\n\r\n"
            guard connection.write(head) else { return }
            let chunk = Array(String(repeating: "metric_name_padding 1\n", count: (1 << 20) / 22).utf8)
            for _ in 0..<60 where connection.write(chunk) {}
        case .dripsPastTheTimeout:
            for byte in Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nup 1\nx 2\n".utf8) {
                guard connection.write([byte]) else { return }
                sleep(1)
            }
        case .cutOffMidBody:
            _ = connection.write(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nup 1\nhalf{a=\"")
        case .millionSeries:
            var text = "# TYPE m gauge\n"
            text.reserveCapacity(20 << 20)
            for index in 0..<1_000_000 { text += "m{i=\"\(index)\"} 1\n" }
            body(Array(text.utf8))
        case .oneMebibyteLabelValue:
            body(Array(("big{x=\"" + String(repeating: "v", count: 1 << 20) + "\"} 1\nup 1\n").utf8))
        case .invalidUTF8Label:
            body(Array("bad{x=\"".utf8) + [0xC3, 0x28] + Array("\"} 1\nup 1\n".utf8))
        case .gzipChunked:
            // As promhttp answers: gzip only when asked, no Content-Length, in chunks.
            guard request.header("Accept-Encoding") == "gzip" else {
                _ = connection.write(RawTCPServer.response(status: 406, text: "ask for gzip"))
                return
            }
            let text = (0..<300).map { "http_requests_total{code=\"200\",path=\"/p\($0)\"} \($0)\n" }.joined()
            guard let compressed = try? Gzip.compress(Array(text.utf8)) else { return }
            var out = Array(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Encoding: gzip\r\n".utf8)
            out += Array("Transfer-Encoding: chunked\r\n\r\n".utf8)
            var offset = 0
            while offset < compressed.count {
                let piece = compressed[offset..<min(offset + 1000, compressed.count)]
                out += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
                offset += piece.count
            }
            out += Array("0\r\n\r\n".utf8)
            _ = connection.write(out)
        case .gzipBomb:
            _ = connection.write(
                RawTCPServer.response(headers: ["Content-Type: text/plain", "Content-Encoding: gzip"], body: bomb))
        }
    }

    @Test(arguments: Behaviour.allCases)
    func hostileEndpointIsAClearErrorOrACountedRejection(_ behaviour: Behaviour) async throws {
        // Compressed before the server starts: compressing 64 MiB in the handler would pass the 1 s timeout.
        if behaviour == .gzipBomb { #expect(Self.bomb.count > 1000) }
        let server = try RawTCPServer { Self.serve(behaviour, on: $0) }
        defer { server.stop() }
        try await withTemporaryDirectory(prefix: "expvastic-prom-hostile") { directory in
            let config = directory + "/hostile.yml"
            try """
            readers:
              hostile:
                type: prometheus
                endpoint: 127.0.0.1:\(server.port)
                timeout: \(behaviour == .millionSeries ? "30s" : "1s")
                max_body_bytes: 32MiB
            recorders:
              out: {type: file, path: \(directory)/out.ndjson}
            routes:
              r: {readers: [hostile], recorders: [out]}
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let started = Date()
            let result = try await ExpvasymlBinary.run(arguments: ["-c", config, "--once"], timeout: .seconds(90))
            let elapsed = Date().timeIntervalSince(started)
            let (status, text) = Self.expected(behaviour)
            #expect(
                result.status == status, "\(behaviour): exit \(result.status), stderr: \(result.stderr.prefix(2000))")
            if !text.isEmpty {
                #expect(
                    result.stderr.contains(text), "\(behaviour): stderr lacks \(text): \(result.stderr.prefix(2000))")
            }
            #expect(!result.stderr.contains("Fatal error"))
            let documents = result.stdout.split(separator: "\n").count / 2
            switch behaviour {
            case .millionSeries:
                // 10,000 series kept (one document each) plus the scrape document.
                #expect(documents == 10_001)
                #expect(result.stdout.contains(#""scrape.samples_dropped":990000"#))
            case .gzipChunked:
                #expect(documents == 301)
                #expect(result.stdout.contains(#""http_requests_total":299.0"#))
                #expect(result.stdout.contains(#""scrape.samples":300"#))
            case .oneMebibyteLabelValue, .invalidUTF8Label:
                #expect(documents == 1)
                #expect(result.stdout.contains(#""up":1.0"#))
                #expect(result.stdout.contains(#""scrape.lines_rejected":1"#))
                #expect(result.stdout.utf8.count < 10_000)
            default:
                #expect(result.stdout.isEmpty)
                #expect(elapsed < 10, "\(behaviour) took \(elapsed) s with a 1 s timeout")
            }
        }
    }
}
