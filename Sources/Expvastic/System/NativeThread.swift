#if canImport(Glibc)
    import Glibc
#endif

/// Starts dedicated, detached OS threads for loops that must not run on Swift's cooperative pool
/// (event loops, the sleep scheduler).
package enum NativeThread {
    /// What a new thread runs, handed over through `pthread_create`'s argument.
    private final class Start: Sendable {
        package let name: String
        package let body: @Sendable () -> Void

        package init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread named `name` (at most 15 bytes show in `top -H`).
    /// Throws when the system cannot create a thread (a process or memory limit); `body` then never
    /// runs, and the caller decides what that means.
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let start = Unmanaged.passRetained(Start(name: name, body: body))
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, run, start.toOpaque())
        guard status == 0 else {
            start.release()
            throw SystemError("start thread", name, errno: status)
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
