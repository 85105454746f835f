import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// The OpenSSL functions the `https` client calls, found at run time with `dlopen` and `dlsym`.
///
/// Nothing links against OpenSSL: the binary starts without it, and a configuration without `https`
/// endpoints never loads it. ``shared`` opens `libssl.so.3` (then `libssl.so`, then `libssl.so.1.1`)
/// the first time an `https` connection is opened; libcrypto's functions resolve through the libssl
/// handle, which depends on it. The functions are called through `@convention(c)` pointers, as
/// ``Epoll`` does for epoll.
package struct OpenSSL: @unchecked Sendable {
    // Constants from <openssl/ssl.h> and <openssl/x509_vfy.h>, stable since 1.1.
    package static let verifyPeer: Int32 = 1
    package static let errorNone: Int32 = 0
    package static let errorSSL: Int32 = 1
    package static let errorWantRead: Int32 = 2
    package static let errorWantWrite: Int32 = 3
    package static let errorSyscall: Int32 = 5
    package static let errorZeroReturn: Int32 = 6
    package static let controlMode: Int32 = 33
    package static let controlSetHostName: Int32 = 55
    package static let controlSetMinProtocolVersion: Int32 = 123
    package static let hostNameType = 0
    package static let tls12Version = 0x0303
    /// `SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS`:
    /// `SSL_write` returns after each record, may be retried from another address, and an idle
    /// connection gives its 34 KB of buffers back.
    package static let modes = 0x1 | 0x2 | 0x10
    /// `SSL_OP_IGNORE_UNEXPECTED_EOF` (OpenSSL 3): a peer closing without `close_notify` is an end of
    /// input, as with 1.1; the HTTP framing tells whether the response was complete.
    package static let optionIgnoreUnexpectedEOF: UInt64 = 1 << 7
    package static let verifyOK = 0

    package typealias MethodFunction = @convention(c) () -> OpaquePointer?
    package typealias ContextNewFunction = @convention(c) (OpaquePointer?) -> OpaquePointer?
    package typealias FreeFunction = @convention(c) (OpaquePointer?) -> Void
    package typealias SetVerifyFunction = @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void
    package typealias StatusFunction = @convention(c) (OpaquePointer?) -> Int32
    package typealias LoadLocationsFunction =
        @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    package typealias ControlFunction = @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    package typealias SetOptionsFunction = @convention(c) (OpaquePointer?, UInt64) -> UInt64
    package typealias NewFunction = @convention(c) (OpaquePointer?) -> OpaquePointer?
    package typealias SetFDFunction = @convention(c) (OpaquePointer?, Int32) -> Int32
    package typealias SetStringFunction = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    package typealias GetParameterFunction = @convention(c) (OpaquePointer?) -> OpaquePointer?
    package typealias ReadFunction = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Int32
    package typealias WriteFunction = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int32) -> Int32
    package typealias GetErrorFunction = @convention(c) (OpaquePointer?, Int32) -> Int32
    package typealias VerifyResultFunction = @convention(c) (OpaquePointer?) -> Int
    package typealias VerifyStringFunction = @convention(c) (Int) -> UnsafePointer<CChar>?
    package typealias ErrorCodeFunction = @convention(c) () -> UInt
    package typealias ErrorStringFunction = @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
    package typealias VoidFunction = @convention(c) () -> Void

    package let clientMethod: MethodFunction
    package let contextNew: ContextNewFunction
    package let contextFree: FreeFunction
    package let contextSetVerify: SetVerifyFunction
    package let contextSetDefaultVerifyPaths: StatusFunction
    package let contextLoadVerifyLocations: LoadLocationsFunction
    package let contextControl: ControlFunction
    package let contextSetOptions: SetOptionsFunction
    package let new: NewFunction
    package let free: FreeFunction
    package let setFD: SetFDFunction
    package let control: ControlFunction
    package let setHost: SetStringFunction
    package let parameters: GetParameterFunction
    package let setIPAddress: SetStringFunction
    package let connect: StatusFunction
    package let read: ReadFunction
    package let write: WriteFunction
    package let getError: GetErrorFunction
    package let shutdown: StatusFunction
    package let verifyResult: VerifyResultFunction
    package let verifyErrorString: VerifyStringFunction
    package let errorCode: ErrorCodeFunction
    package let errorString: ErrorStringFunction
    package let clearErrors: VoidFunction
    /// `OPENSSL_VERSION_NUMBER` of the loaded library, e.g. `0x30000130` for 3.0.19.
    package let version: UInt
    /// The file name that was opened, e.g. `libssl.so.3`.
    package let libraryName: String

    /// The file names tried, in order.
    package static let candidates = ["libssl.so.3", "libssl.so", "libssl.so.1.1"]

    /// The library, loaded on first use (thread-safe, once per process), or why it could not be.
    package static let shared: Result<OpenSSL, HTTPError> = load(candidates)

    /// Opens the first of `names` that has every function; the error names each file and its problem.
    package static func load(_ names: [String]) -> Result<OpenSSL, HTTPError> {
        var problems: [String] = []
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                problems.append("\(name): \(dlerror().map { String(cString: $0) } ?? "cannot be opened")")
                continue
            }
            switch resolve(handle, name: name) {
            case .success(let library):
                return .success(library)  // the handle stays open for the life of the process
            case .failure(let problem):
                problems.append("\(name): \(problem.message)")
                dlclose(handle)
            }
        }
        return .failure(
            .tlsFailed(
                "https needs OpenSSL 3 (libssl.so.3, Debian package libssl3), which could not be loaded; tried "
                    + problems.joined(separator: "; ")))
    }

    private struct Missing: Error {
        package var message: String
    }

    private static func resolve(_ handle: UnsafeMutableRawPointer, name: String) -> Result<OpenSSL, Missing> {
        var missing: [String] = []
        func symbol<T>(_ symbol: String, as type: T.Type) -> T? {
            guard let address = dlsym(handle, symbol) else {
                missing.append(symbol)
                return nil
            }
            return unsafeBitCast(address, to: type)
        }
        let clientMethod = symbol("TLS_client_method", as: MethodFunction.self)
        let contextNew = symbol("SSL_CTX_new", as: ContextNewFunction.self)
        let contextFree = symbol("SSL_CTX_free", as: FreeFunction.self)
        let contextSetVerify = symbol("SSL_CTX_set_verify", as: SetVerifyFunction.self)
        let contextSetDefaultVerifyPaths = symbol("SSL_CTX_set_default_verify_paths", as: StatusFunction.self)
        let contextLoadVerifyLocations = symbol("SSL_CTX_load_verify_locations", as: LoadLocationsFunction.self)
        let contextControl = symbol("SSL_CTX_ctrl", as: ControlFunction.self)
        let contextSetOptions = symbol("SSL_CTX_set_options", as: SetOptionsFunction.self)
        let new = symbol("SSL_new", as: NewFunction.self)
        let free = symbol("SSL_free", as: FreeFunction.self)
        let setFD = symbol("SSL_set_fd", as: SetFDFunction.self)
        let control = symbol("SSL_ctrl", as: ControlFunction.self)
        let setHost = symbol("SSL_set1_host", as: SetStringFunction.self)
        let parameters = symbol("SSL_get0_param", as: GetParameterFunction.self)
        let setIPAddress = symbol("X509_VERIFY_PARAM_set1_ip_asc", as: SetStringFunction.self)
        let connect = symbol("SSL_connect", as: StatusFunction.self)
        let read = symbol("SSL_read", as: ReadFunction.self)
        let write = symbol("SSL_write", as: WriteFunction.self)
        let getError = symbol("SSL_get_error", as: GetErrorFunction.self)
        let shutdown = symbol("SSL_shutdown", as: StatusFunction.self)
        let verifyResult = symbol("SSL_get_verify_result", as: VerifyResultFunction.self)
        let verifyErrorString = symbol("X509_verify_cert_error_string", as: VerifyStringFunction.self)
        let errorCode = symbol("ERR_get_error", as: ErrorCodeFunction.self)
        let errorString = symbol("ERR_error_string_n", as: ErrorStringFunction.self)
        let clearErrors = symbol("ERR_clear_error", as: VoidFunction.self)
        let versionNumber = symbol("OpenSSL_version_num", as: ErrorCodeFunction.self)
        guard let clientMethod, let contextNew, let contextFree, let contextSetVerify, let contextSetDefaultVerifyPaths,
            let contextLoadVerifyLocations, let contextControl, let contextSetOptions, let new, let free, let setFD,
            let control, let setHost, let parameters, let setIPAddress, let connect, let read, let write, let getError,
            let shutdown, let verifyResult, let verifyErrorString, let errorCode, let errorString, let clearErrors,
            let versionNumber
        else {
            return .failure(Missing(message: "lacks \(missing.joined(separator: ", ")) (OpenSSL older than 1.1.1?)"))
        }
        let version = versionNumber()
        guard version >= 0x1010_1000 else {
            return .failure(Missing(message: "is OpenSSL version 0x\(String(version, radix: 16)), older than 1.1.1"))
        }
        return .success(
            OpenSSL(
                clientMethod: clientMethod, contextNew: contextNew, contextFree: contextFree,
                contextSetVerify: contextSetVerify, contextSetDefaultVerifyPaths: contextSetDefaultVerifyPaths,
                contextLoadVerifyLocations: contextLoadVerifyLocations, contextControl: contextControl,
                contextSetOptions: contextSetOptions, new: new, free: free, setFD: setFD, control: control,
                setHost: setHost, parameters: parameters, setIPAddress: setIPAddress, connect: connect, read: read,
                write: write, getError: getError, shutdown: shutdown, verifyResult: verifyResult,
                verifyErrorString: verifyErrorString, errorCode: errorCode, errorString: errorString,
                clearErrors: clearErrors, version: version, libraryName: name))
    }

    /// The oldest error on this thread's OpenSSL error queue as text (e.g. `error:0A00010B:SSL
    /// routines::wrong version number`), or nil when the queue is empty. Empties the queue: it is
    /// per thread, and a leftover error would confuse `SSL_get_error` on another connection.
    package func takeErrorQueue() -> String? {
        let first = errorCode()
        var text: String?
        if first != 0 {
            text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
                errorString(first, buffer.baseAddress, buffer.count)
                return String(cString: buffer.baseAddress!)
            }
        }
        clearErrors()
        return text
    }

    /// `X509_verify_cert_error_string`.
    package func describeVerifyResult(_ code: Int) -> String {
        verifyErrorString(code).map { String(cString: $0) } ?? "verify error \(code)"
    }
}
