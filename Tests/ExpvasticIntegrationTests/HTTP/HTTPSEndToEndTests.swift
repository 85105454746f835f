import Expvastic
import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `https` through the real `expvasyml` binary: trusted certificates come from `SSL_CERT_FILE` or
/// `SSL_CERT_DIR` (which the in-process tests cannot set safely), and OpenSSL is loaded only by a
/// process that uses `https`.
@Suite struct HTTPSEndToEndTests {
    private func once(_ endpoint: Endpoint, in directory: String, environment: [String: String]) async throws
        -> ExpvasymlProcess.Outcome
    {
        try await ExpvasymlProcess.run(
            ["-reader", endpoint.description, "-recorder", "http://127.0.0.1:1", "--once"], in: directory,
            environment: environment)
    }

    @Test func trustComesFromSSLCertFileOrSSLCertDir() async throws {
        try await withTemporaryDirectory { directory in
            let certificate = try await TLSTestServer.makeCertificate(in: directory)
            let server = try await TLSTestServer(directory: directory, certificate: certificate)
            defer { server.stop() }
            let endpoint = server.endpoint(path: "/debug/vars")

            let untrusted = try await once(endpoint, in: directory, environment: [:])
            #expect(untrusted.status == 1, "\(untrusted.stderr)")
            #expect(
                untrusted.stderr.contains(
                    "TLS failed: handshake with 127.0.0.1:\(server.port): certificate verify failed: "
                        + "self-signed certificate (set SSL_CERT_FILE"), "\(untrusted.stderr)")

            let byFile = try await once(
                endpoint, in: directory, environment: ["SSL_CERT_FILE": certificate.certificateFile])
            #expect(byFile.status == 0, "\(byFile.stderr)")
            #expect(byFile.stdout.contains("\"endpoint\":\"https://127.0.0.1:\(server.port)/debug/vars\""))
            #expect(byFile.stdout.contains("\"target\":\"/debug/vars\""), "\(byFile.stdout)")

            // A CA directory in OpenSSL's layout: the certificate under <subject hash>.0.
            let hash = try await RunningProcess.run(
                executable: try #require(ExecutableSearch.find("openssl", extraDirectories: ["/usr/bin"])),
                arguments: ["x509", "-hash", "-noout", "-in", certificate.certificateFile])
            try #require(hash.status == 0, "\(hash.stderr)")
            let authorities = directory + "/ca"
            try FileManager.default.createDirectory(atPath: authorities, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: certificate.certificateFile,
                toPath: authorities + "/" + hash.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + ".0")
            let byDirectory = try await once(endpoint, in: directory, environment: ["SSL_CERT_DIR": authorities])
            #expect(byDirectory.status == 0, "\(byDirectory.stderr)")
            #expect(byDirectory.stdout.contains("\"endpoint\":\"https://127.0.0.1:\(server.port)/debug/vars\""))
        }
    }

    @Test func openSSLIsLoadedOnlyByAProcessThatUsesHTTPS() async throws {
        try await withTemporaryDirectory { directory in
            let served = Atomic<Int>(0)
            let plain = try RawTCPServer { connection in
                while connection.readRequest() != nil {
                    served.add(1, ordering: .relaxed)
                    guard connection.write(RawTCPServer.response(text: "{\"ok\": 1}")) else { return }
                }
            }
            defer { plain.stop() }
            let httpMaps = try await mapsAfterPolling(plain.endpoint, in: directory, environment: [:]) {
                served.load(ordering: .relaxed) >= 2
            }
            // The whole file was read: the last libraries loaded at start-up are in it.
            #expect(httpMaps.contains("/libswiftCore.so") && httpMaps.contains("/ld-linux"))
            #expect(!httpMaps.contains("libssl"), "\(httpMaps)")
            #expect(!httpMaps.contains("libcurl"))

            let certificate = try await TLSTestServer.makeCertificate(in: directory)
            let server = try await TLSTestServer(directory: directory, certificate: certificate)
            defer { server.stop() }
            let httpsMaps = try await mapsAfterPolling(
                server.endpoint(), in: directory, environment: ["SSL_CERT_FILE": certificate.certificateFile]
            ) { server.log.contains("handshake 1") }
            #expect(httpsMaps.contains("/libssl.so"))
        }
    }

    /// Runs `expvasyml` with one reader polling `endpoint` every 200 ms into a file, waits for
    /// `polled`, and returns the process's `/proc/<pid>/maps`.
    private func mapsAfterPolling(
        _ endpoint: Endpoint, in directory: String, environment: [String: String],
        polled: @escaping @Sendable () -> Bool
    ) async throws -> String {
        let yaml = """
            settings:
              http:
                listen: ""
            readers:
              app:
                type: expvar
                type_name: app
                endpoint: \(endpoint.scheme)://\(endpoint.host):\(endpoint.port)
                interval: 200ms
            recorders:
              out:
                type: file
                path: ./out.ndjson
            routes:
              r:
                readers: app
                recorders: out
            """
        try await write(yaml, to: directory + "/maps.yml")
        let process = try RunningProcess(
            executable: try ExpvasymlProcess.binary(), arguments: ["-c", directory + "/maps.yml"],
            environment: environment, inheritEnvironment: false, currentDirectory: URL(fileURLWithPath: directory))
        do {
            try await eventually("\(endpoint) was polled", timeout: .seconds(15)) { polled() }
            let maps = try Self.readProcFile("/proc/\(process.pid)/maps")
            await process.terminate()
            return maps
        } catch {
            await process.terminate()
            throw TestSupportError(.timeout, "\(error); expvasyml stderr: \(process.stderr)")
        }
    }

    /// The whole of a `/proc` file. Its size reads as 0, and Foundation's `String(contentsOfFile:)`
    /// stops after the first page, so read until end of file.
    static func readProcFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TestSupportError(.unexpectedOutput, "cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        for _ in 0..<1_000 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
