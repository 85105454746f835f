#if canImport(Glibc)
    import Glibc
#endif

/// How many malloc arenas glibc may use. By default it makes up to eight per core, one for each
/// thread that meets another thread's lock; every arena keeps its own free holes. With 10,000
/// targets (`e2e-10000`, 2026-12-06) one arena held 11–13 MB free instead of 26 MB, and peak RSS was
/// 182.6 MB instead of 193.9 MB at the same CPU per poll (each thread's malloc cache still serves
/// most small allocations without the arena's lock).
public enum MallocArenas {
    /// Asks glibc for one arena, unless the environment sets `MALLOC_ARENA_MAX` (which glibc then
    /// reads itself). Call first thing in the process, before threads allocate. Returns whether the
    /// limit was set here.
    @discardableResult
    public static func useOne(environment: [String: String]) -> Bool {
        guard environment["MALLOC_ARENA_MAX"] == nil, let mallopt else { return false }
        return mallopt(arenaMax, 1) == 1
    }

    /// glibc's `mallopt`, nil without glibc. `<malloc.h>` is not in the Glibc module: looked up as
    /// Epoll.swift does.
    package static let mallopt: (@convention(c) (Int32, Int32) -> Int32)? = {
        #if canImport(Glibc)
            guard let address = dlsym(nil, "mallopt") else { return nil }
            return unsafeBitCast(address, to: (@convention(c) (Int32, Int32) -> Int32).self)
        #else
            return nil
        #endif
    }()

    /// glibc's `M_ARENA_MAX` (`<malloc.h>`).
    private static let arenaMax: Int32 = -8
}
