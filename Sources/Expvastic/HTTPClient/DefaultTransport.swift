import ExpvasticBase

/// The transport Expvastic uses: ``SocketHTTPTransport``, for `http` and `https` alike. The name is
/// kept for the code that builds the engines.
public typealias DefaultTransport = SocketHTTPTransport
