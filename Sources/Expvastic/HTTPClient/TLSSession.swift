import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// One OpenSSL `SSL` over a connected non-blocking socket: the handshake, then reads and writes
/// that never block. ``HTTPConnection`` turns "wants read" and "wants write" into its epoll
/// registration; this type only talks to OpenSSL. Loop thread only.
///
/// The peer is verified by OpenSSL during the handshake: the chain against the context's trusted
/// certificates, and the name against the endpoint's host (`SSL_set1_host` for names, which are
/// also sent as SNI; the IP address for IP literals).
package final class TLSSession {
    /// Where a handshake step left things.
    package enum Progress {
        case done
        case wantRead
        case wantWrite
        case failed(HTTPError)
    }

    /// What a read or write produced.
    package enum Outcome {
        case bytes(Int)
        case wantRead
        case wantWrite
        case endOfInput
        /// The socket failed with this `errno`.
        case failed(errno: Int32)
        /// OpenSSL failed (bad record, alert from the peer); the text is OpenSSL's.
        case protocolError(String)
    }

    /// Largest plaintext of one TLS record. Reads ask for at least this much, so a record is always
    /// taken whole and nothing stays inside OpenSSL where epoll cannot see it.
    package static let maxRecordBytes = 16 * 1024

    private let library: OpenSSL
    private let ssl: OpaquePointer
    /// `host:port`, for messages.
    private let peer: String
    private let host: String
    private(set) package var isEstablished = false
    /// A fatal error happened: no `SSL_shutdown` (OpenSSL forbids it).
    private var isBroken = false
    /// An outcome that a read found after it had already produced bytes; returned by the next read.
    private var deferredReadOutcome: Outcome?

    /// Makes the `SSL` for `fd` and sets the name to verify (and send as SNI).
    package init(context: TLSContext, fd: Int32, host: String, peer: String) throws(HTTPError) {
        let library = context.library
        self.library = library
        self.host = host
        self.peer = peer
        library.clearErrors()
        guard let ssl = library.new(context.context) else {
            throw .tlsFailed("cannot create a TLS session for \(peer): \(library.takeErrorQueue() ?? "unknown error")")
        }
        var configured = library.setFD(ssl, fd) == 1
        if configured {
            if Self.isIPAddress(host) {
                // No SNI for IP addresses (RFC 6066); the certificate must list the address.
                configured = library.setIPAddress(library.parameters(ssl), host) == 1
            } else {
                let sniSet = host.withCString { name in
                    library.control(
                        ssl, OpenSSL.controlSetHostName, OpenSSL.hostNameType, UnsafeMutableRawPointer(mutating: name))
                }
                configured = sniSet == 1 && library.setHost(ssl, host) == 1
            }
        }
        guard configured else {
            let reason = library.takeErrorQueue() ?? "unknown error"
            library.free(ssl)
            throw .tlsFailed("cannot set up TLS for \(peer): \(reason)")
        }
        self.ssl = ssl
    }

    deinit {
        library.free(ssl)
    }

    /// One step of the handshake (`SSL_connect`).
    package func handshake() -> Progress {
        // SSL_get_error reads the thread's error queue: start from an empty one.
        library.clearErrors()
        let status = library.connect(ssl)
        if status == 1 {
            isEstablished = true
            return .done
        }
        let savedErrno = errno
        let code = library.getError(ssl, status)
        switch code {
        case OpenSSL.errorWantRead: return .wantRead
        case OpenSSL.errorWantWrite: return .wantWrite
        default:
            isBroken = true
            return .failed(handshakeError(code: code, errno: savedErrno))
        }
    }

    /// Reads into `buffer`, record after record, until OpenSSL wants more from the socket or less
    /// than a record's room is left.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        if let deferred = deferredReadOutcome {
            deferredReadOutcome = nil
            return deferred
        }
        var filled = 0
        // Each pass takes a whole record or ends the read; records may be small, so allow many.
        for _ in 0..<64 {
            let room = buffer.count - filled
            if filled > 0, room < Self.maxRecordBytes { break }
            let count = library.read(ssl, buffer.baseAddress! + filled, Int32(clamping: room))
            if count > 0 {
                filled += Int(count)
                continue
            }
            let outcome = failure(status: count, errno: errno)
            if filled == 0 { return outcome }
            if case .wantRead = outcome { break }
            deferredReadOutcome = outcome
            break
        }
        return .bytes(filled)
    }

    /// Writes from `bytes` (`SSL_write`, partial writes allowed). After `wantRead` or `wantWrite`,
    /// call again with the same bytes.
    package func write(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let count = library.write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        if count > 0 { return .bytes(Int(count)) }
        let outcome = failure(status: count, errno: errno)
        if case .endOfInput = outcome { return .failed(errno: EPIPE) }
        return outcome
    }

    /// Sends `close_notify` when the session is healthy, once and without waiting for the answer.
    /// The caller closes the socket; the session is freed with this object.
    package func shutdown() {
        guard isEstablished, !isBroken else { return }
        isBroken = true
        _ = library.shutdown(ssl)
        library.clearErrors()
    }

    /// Classifies a failed `SSL_read` or `SSL_write`.
    private func failure(status: Int32, errno savedErrno: Int32) -> Outcome {
        switch library.getError(ssl, status) {
        case OpenSSL.errorWantRead:
            return .wantRead
        case OpenSSL.errorWantWrite:
            return .wantWrite
        case OpenSSL.errorZeroReturn:
            return .endOfInput
        case OpenSSL.errorSyscall:
            isBroken = true
            if let text = library.takeErrorQueue() { return .protocolError(text) }
            // OpenSSL 1.1 reports a close without close_notify this way.
            if status == 0 || savedErrno == 0 { return .endOfInput }
            return .failed(errno: savedErrno)
        default:
            isBroken = true
            return .protocolError(library.takeErrorQueue() ?? "TLS error")
        }
    }

    private func handshakeError(code: Int32, errno savedErrno: Int32) -> HTTPError {
        let verification = library.verifyResult(ssl)
        let queued = library.takeErrorQueue()
        if verification != OpenSSL.verifyOK {
            return .tlsFailed(
                "handshake with \(peer): certificate verify failed: \(library.describeVerifyResult(verification))"
                    + Self.hint(forVerifyResult: verification, host: host))
        }
        if let queued, !queued.contains("unexpected eof") {
            return .tlsFailed("handshake with \(peer) failed: \(queued)")
        }
        if queued == nil, code == OpenSSL.errorSyscall, savedErrno != 0 {
            return .tlsFailed("handshake with \(peer) failed: \(EventLoop.describe(savedErrno))")
        }
        return .tlsFailed("\(peer) closed the connection during the TLS handshake (is it an https server?)")
    }

    /// What to do about a failed verification, for the causes users can fix.
    package static func hint(forVerifyResult code: Int, host: String) -> String {
        switch code {
        // Unable to get the issuer (2, 20), self-signed (18, 19), unable to verify the leaf (21).
        case 2, 18, 19, 20, 21:
            " (set SSL_CERT_FILE to a CA bundle that includes the server's issuer, or SSL_CERT_DIR)"
        // Hostname (62) or IP address (64) mismatch.
        case 62, 64:
            " (the certificate is not valid for \(host))"
        default:
            ""
        }
    }

    package static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return true }
        var v6 = in6_addr()
        return inet_pton(AF_INET6, host, &v6) == 1
    }
}
