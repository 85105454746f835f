import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// Linux `epoll` and `eventfd`. Swift's Glibc module does not include `<sys/epoll.h>` or
/// `<sys/eventfd.h>`, and the package allows no C shim target besides libyaml's, so the four libc
/// functions are looked up once with `dlsym` and called through `@convention(c)` pointers — the
/// regular C calling convention, nothing private. `struct epoll_event` is packed on x86-64
/// (12 bytes) and naturally aligned elsewhere (16 bytes); events live in raw buffers of that layout.
package enum Epoll {
    package static let readable: UInt32 = 0x001
    package static let writable: UInt32 = 0x004
    package static let error: UInt32 = 0x008
    package static let hangUp: UInt32 = 0x010
    package static let edgeTriggered: UInt32 = 1 << 31

    package static let add: Int32 = 1
    package static let delete: Int32 = 2
    package static let modify: Int32 = 3

    /// `EPOLL_CLOEXEC` and `EFD_CLOEXEC` (both `O_CLOEXEC`).
    package static let closeOnExec: Int32 = 0o2_000_000
    /// `EFD_NONBLOCK` (`O_NONBLOCK`).
    package static let nonBlocking: Int32 = 0o4000

    #if arch(x86_64)
        /// Size of one `struct epoll_event`.
        package static let eventSize = 12
        private static let dataOffset = 4
    #else
        package static let eventSize = 16
        private static let dataOffset = 8
    #endif

    private typealias CreateFunction = @convention(c) (Int32) -> Int32
    private typealias ControlFunction = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias WaitFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    private typealias EventFDFunction = @convention(c) (UInt32, Int32) -> Int32

    private struct Functions: @unchecked Sendable {
        package var create: CreateFunction
        package var control: ControlFunction
        package var wait: WaitFunction
        package var eventfd: EventFDFunction
    }

    private static let functions: Functions? = {
        guard let create = dlsym(nil, "epoll_create1"), let control = dlsym(nil, "epoll_ctl"),
            let wait = dlsym(nil, "epoll_wait"), let eventfd = dlsym(nil, "eventfd")
        else { return nil }
        return Functions(
            create: unsafeBitCast(create, to: CreateFunction.self),
            control: unsafeBitCast(control, to: ControlFunction.self),
            wait: unsafeBitCast(wait, to: WaitFunction.self),
            eventfd: unsafeBitCast(eventfd, to: EventFDFunction.self))
    }()

    /// Whether the functions were found (always on Linux with glibc or musl).
    package static var isAvailable: Bool { functions != nil }

    /// `epoll_create1(EPOLL_CLOEXEC)`; -1 with `errno` set, or `ENOSYS` when unavailable.
    package static func create() -> Int32 {
        guard let functions else {
            errno = ENOSYS
            return -1
        }
        return functions.create(closeOnExec)
    }

    /// `epoll_ctl` with an event carrying `token` as its `data.u64`.
    package static func control(_ epollFD: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, token: UInt64)
        -> Int32
    {
        guard let functions else {
            errno = ENOSYS
            return -1
        }
        return withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { buffer in
            buffer.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            buffer.storeBytes(of: token, toByteOffset: dataOffset, as: UInt64.self)
            return functions.control(epollFD, operation, fd, buffer.baseAddress)
        }
    }

    /// `epoll_wait` into `buffer`, which holds `capacity` events of ``eventSize`` bytes.
    package static func wait(_ epollFD: Int32, _ buffer: UnsafeMutableRawPointer, capacity: Int32, timeout: Int32)
        -> Int32
    {
        guard let functions else {
            errno = ENOSYS
            return -1
        }
        return functions.wait(epollFD, buffer, capacity, timeout)
    }

    /// The events mask and token of the event at `index` in an `epoll_wait` buffer.
    package static func event(at index: Int, in buffer: UnsafeMutableRawPointer) -> (events: UInt32, token: UInt64) {
        let base = UnsafeRawPointer(buffer + index * eventSize)
        return (base.loadUnaligned(as: UInt32.self), base.loadUnaligned(fromByteOffset: dataOffset, as: UInt64.self))
    }

    /// `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
    package static func makeEventFD() -> Int32 {
        guard let functions else {
            errno = ENOSYS
            return -1
        }
        return functions.eventfd(0, nonBlocking | closeOnExec)
    }
}
