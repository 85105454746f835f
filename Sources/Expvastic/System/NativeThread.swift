#if canImport(Glibc)
    import Glibc
#endif

/// Starts dedicated, detached OS threads for loops that must not run on Swift's cooperative pool
/// (event loops, the sleep scheduler).
enum NativeThread {
    /// What a new thread runs, handed over through `pthread_create`'s argument.
    private final class Start: Sendable {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread named `name` (at most 15 bytes show in `top -H`).
    /// Stops the process when no thread can be created: every caller depends on its loop.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, run, start)
        guard status == 0 else {
            fatalError("cannot start thread \(name): \(String(cString: strerror(status)))")
        }
        pthread_detach(thread)
    }

    private static let run: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { raw in
        let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
        setName(start.name)
        start.body()
        return nil
    }

    /// Names the calling thread; glibc's `pthread_setname_np` is a GNU extension Swift does not
    /// import, so it is looked up at run time.
    private static func setName(_ name: String) {
        typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(nil, "pthread_setname_np") else { return }
        _ = unsafeBitCast(symbol, to: SetName.self)(pthread_self(), String(name.utf8.prefix(15))!)
    }
}
