#if canImport(Glibc)
    import Glibc
#endif

/// Starts a detached POSIX thread that runs one closure: for the HTTP client's loop, its resolver
/// and the monitoring server, which must not run on Swift's cooperative pool. Plain `pthread_create`
/// instead of Foundation's `Thread`, so that the HTTP folder does not need Foundation.
enum DetachedThread {
    private final class Start {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new thread named `name` (Linux keeps the first 15 bytes).
    ///
    /// - Parameter stackSize: bytes of stack, or nil for the system default.
    /// - Returns: 0, or the error number of `pthread_create` (the closure then never runs).
    static func start(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        let start = Unmanaged.passRetained(Start(name: name, body: body))
        var thread = pthread_t()
        let status = pthread_create(
            &thread, &attributes,
            { argument in
                let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
                DetachedThread.nameCurrentThread(start.name)
                start.body()
                return nil
            }, start.toOpaque())
        if status != 0 { start.release() }
        return status
    }

    private typealias SetNameFunction = @convention(c) (pthread_t, UnsafePointer<CChar>?) -> Int32

    /// `pthread_setname_np`, which Swift's Glibc module does not declare (it is a GNU extension).
    private static let setName: SetNameFunction? = dlsym(nil, "pthread_setname_np").map {
        unsafeBitCast($0, to: SetNameFunction.self)
    }

    /// Names the calling thread for `top -H`, `gdb` and crash reports; the kernel keeps 15 bytes.
    private static func nameCurrentThread(_ name: String) {
        guard let setName else { return }
        let bytes = Array(name.utf8.prefix(15)).map { CChar(bitPattern: $0) } + [0]
        _ = setName(pthread_self(), bytes)
    }
}
