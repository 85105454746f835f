import ExpvasticBase

/// An OpenSSL `SSL_CTX` for client connections: TLS 1.2 or newer, the peer's certificate verified
/// against the system's trusted certificates. Owned by one ``ConnectionPool`` and used on its loop
/// thread only.
///
/// The trusted certificates come from `SSL_CTX_set_default_verify_paths`, which reads the
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` environment variables when the context is made (on the first
/// `https` connection): that is how a private CA is added.
package final class TLSContext {
    package let library: OpenSSL
    package let context: OpaquePointer

    /// - Parameters:
    ///   - library: the loaded OpenSSL.
    ///   - extraTrustedCertificatesFile: a PEM file trusted besides the defaults (tests use it so that
    ///     they need not change the process environment).
    package init(library: OpenSSL, extraTrustedCertificatesFile: String?) throws(HTTPError) {
        self.library = library
        library.clearErrors()
        guard let context = library.contextNew(library.clientMethod()) else {
            throw .tlsFailed("cannot create an OpenSSL context: \(library.takeErrorQueue() ?? "unknown error")")
        }
        library.contextSetVerify(context, OpenSSL.verifyPeer, nil)
        _ = library.contextControl(context, OpenSSL.controlSetMinProtocolVersion, OpenSSL.tls12Version, nil)
        _ = library.contextControl(context, OpenSSL.controlMode, OpenSSL.modes, nil)
        if library.version >= 0x3000_0000 {
            _ = library.contextSetOptions(context, OpenSSL.optionIgnoreUnexpectedEOF)
        }
        // Returns 0 only when no default location exists at all; verification then fails with a
        // message that names SSL_CERT_FILE, which is the more useful place to report it.
        _ = library.contextSetDefaultVerifyPaths(context)
        if let file = extraTrustedCertificatesFile, library.contextLoadVerifyLocations(context, file, nil) != 1 {
            let reason = library.takeErrorQueue() ?? "unknown error"
            library.contextFree(context)
            throw .tlsFailed("cannot load trusted certificates from \(file): \(reason)")
        }
        library.clearErrors()
        // Last: an initializer that throws after every property is set would also run deinit.
        self.context = context
    }

    deinit {
        library.contextFree(context)
    }
}
