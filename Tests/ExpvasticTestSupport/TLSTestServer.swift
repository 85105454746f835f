import Expvastic
import Foundation

/// A real HTTPS server on 127.0.0.1 for the `https` client tests: a Python 3 script (the standard
/// library's `ssl`, which is OpenSSL) serving HTTP/1.1 with keep-alive, one thread per connection.
///
/// - `GET` answers a JSON object `{"connection": n, "request": m, "target": "..."}`; `POST` and
///   `PUT` echo the request body. Every response carries `X-Connection` (the server's number for
///   the TCP connection, 1 for the first accepted) and `X-Request` (1 for the first request on it).
/// - `GET /close` answers, then closes the connection without saying so in the response, like a
///   server whose keep-alive timeout ran out.
/// - Each accept, finished handshake and failed handshake is a line on its stdout (``log``).
///
/// The certificate is made by ``makeCertificate(in:name:subjectAltName:)`` with the `openssl`
/// command; the server runs until ``stop()``, or until the test process ends (it exits when its
/// standard input closes).
public final class TLSTestServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let process: RunningProcess

    /// A self-signed certificate (which is also its own CA) and its key, as PEM files.
    public struct Certificate: Sendable {
        public var certificateFile: String
        public var keyFile: String
    }

    /// Makes a fresh RSA key and a self-signed certificate for `subjectAltName`, valid for a day,
    /// with `openssl req` (Debian package `openssl`).
    public static func makeCertificate(
        in directory: String, name: String = "server", subjectAltName: String = "IP:127.0.0.1,DNS:localhost"
    ) async throws -> Certificate {
        guard let openssl = ExecutableSearch.find("openssl", extraDirectories: ["/usr/bin"]) else {
            throw TestSupportError(.binaryMissing, "openssl not found on PATH: apt-get install openssl")
        }
        let certificate = Certificate(
            certificateFile: directory + "/\(name).crt", keyFile: directory + "/\(name).key")
        let commonName = subjectAltName.split(separator: ",").first.map { String($0.drop { $0 != ":" }.dropFirst()) }
        let result = try await RunningProcess.run(
            executable: openssl,
            arguments: [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=\(commonName ?? name)",
                "-addext", "subjectAltName=\(subjectAltName)", "-keyout", certificate.keyFile, "-out",
                certificate.certificateFile,
            ])
        guard result.status == 0 else {
            throw TestSupportError(.launchFailed, "openssl req failed (status \(result.status)): \(result.stderr)")
        }
        return certificate
    }

    /// Writes the script to `directory` and starts it with `certificate`; returns once it listens.
    public init(directory: String, certificate: Certificate) async throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestSupportError(.binaryMissing, "\(python) not found: apt-get install python3")
        }
        let script = directory + "/tls_test_server.py"
        try await Blocking.run { try Data(Self.script.utf8).write(to: URL(fileURLWithPath: script)) }
        let process = try RunningProcess(
            executable: URL(fileURLWithPath: python),
            arguments: [script, certificate.certificateFile, certificate.keyFile],
            input: .pipe)
        let output = try await process.waitForStdout(containing: "\n", timeout: .seconds(20))
        guard let line = output.split(separator: "\n").first, line.hasPrefix("listening "),
            let port = Int(line.dropFirst("listening ".count))
        else {
            process.stop()
            throw TestSupportError(
                .unexpectedOutput, "the TLS test server did not say where it listens: \(output) \(process.stderr)")
        }
        self.port = port
        self.process = process
    }

    deinit {
        process.stop()
    }

    /// `https://<host>:<port><path>`.
    public func endpoint(host: String = "127.0.0.1", path: String = "/") -> Endpoint {
        Endpoint(scheme: "https", host: host, port: port, path: path)
    }

    /// Its stdout so far: `listening`, `accepted N`, `handshake N`, `handshake-failed N: reason`,
    /// `closed N` lines.
    public var log: String { process.stdout }

    /// Stops the server (`SIGTERM`); returns at once.
    public func stop() {
        process.stop()
    }

    static let script = #"""
        import os, socket, ssl, sys, threading

        lock = threading.Lock()

        def log(line):
            with lock:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

        def serve(context, sock, number):
            connection = None
            reader = None
            try:
                try:
                    connection = context.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as error:
                    log("handshake-failed %d: %s" % (number, error))
                    return
                log("handshake %d" % number)
                reader = connection.makefile("rb")
                served = 0
                while True:
                    line = reader.readline(65536)
                    if not line:
                        break
                    method, target, _ = line.decode("latin-1").split(" ", 2)
                    length = 0
                    while True:
                        header = reader.readline(65536)
                        if header in (b"\r\n", b"\n", b""):
                            break
                        name, _, value = header.decode("latin-1").partition(":")
                        if name.strip().lower() == "content-length":
                            length = int(value.strip())
                    body = reader.read(length) if length else b""
                    served += 1
                    if method in ("POST", "PUT"):
                        payload = body
                    else:
                        payload = ('{"connection": %d, "request": %d, "target": "%s"}'
                                   % (number, served, target)).encode()
                    head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                            "X-Connection: %d\r\nX-Request: %d\r\n\r\n" % (len(payload), number, served))
                    connection.sendall(head.encode("latin-1") + payload)
                    if target == "/close":
                        break
                log("closed %d" % number)
            except (ssl.SSLError, OSError, ValueError) as error:
                log("error %d: %s" % (number, error))
            finally:
                if reader:
                    reader.close()
                (connection or sock).close()

        def exit_when_stdin_closes():
            sys.stdin.buffer.read()
            os._exit(0)

        def main():
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
            log("listening %d" % listener.getsockname()[1])
            number = 0
            while True:
                sock, _ = listener.accept()
                number += 1
                log("accepted %d" % number)
                threading.Thread(target=serve, args=(context, sock, number), daemon=True).start()

        main()
        """#
}
