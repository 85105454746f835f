import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Builds `Tests/GoExpvar` once per test process, and once per version of its source across
/// processes: the binary is cached as `<repo>/.build/goexpvar/goexpvar-<hash of the source>`, built
/// under an exclusive `flock` and moved into place atomically, so concurrent test processes neither
/// race nor see a half-written file.
actor GoExpvarBuild {
    static let shared = GoExpvarBuild()

    private var build: Task<URL, any Error>?

    /// The path of the built program, building it first if needed.
    func binary() async throws -> URL {
        if let build { return try await build.value }
        let task = Task { try await Self.buildIfNeeded() }
        build = task
        return try await task.value
    }

    private static func buildIfNeeded() async throws -> URL {
        let root = try RepoRoot.url()
        let source = root.appendingPathComponent("Tests/GoExpvar", isDirectory: true)
        var contents = Data()
        for file in ["go.mod", "main.go"] {
            contents.append(try Data(contentsOf: source.appendingPathComponent(file)))
        }
        let output = root.appendingPathComponent(".build/goexpvar", isDirectory: true)
        let binary = output.appendingPathComponent("goexpvar-\(fnv1a(contents))")
        let fileManager = FileManager.default
        if fileManager.isExecutableFile(atPath: binary.path) { return binary }

        guard let go = ExecutableSearch.find("go", extraDirectories: ["/usr/lib/go/bin", "/usr/local/go/bin"]) else {
            throw TestSupportError(.goMissing, "go is not installed: run ./scripts/test, which installs golang-go")
        }
        try fileManager.createDirectory(at: output, withIntermediateDirectories: true)
        let lock = try await lockExclusively(output.appendingPathComponent("build.lock").path)
        defer { close(lock) }
        if fileManager.isExecutableFile(atPath: binary.path) { return binary }

        let temporary = output.appendingPathComponent("\(binary.lastPathComponent).tmp-\(getpid())")
        let result = try await RunningProcess.run(
            executable: go,
            arguments: ["build", "-o", temporary.path, "."],
            environment: environment(cache: output),
            currentDirectory: source,
            timeout: .seconds(600)
        )
        guard result.status == 0, fileManager.isExecutableFile(atPath: temporary.path) else {
            try? fileManager.removeItem(at: temporary)
            throw TestSupportError(
                .goBuildFailed,
                "`go build` in \(source.path) failed (status \(result.status)): \(result.stderr) "
                    + "— check `go version` (1.19 or newer) and that Tests/GoExpvar builds with `go build`"
            )
        }
        guard rename(temporary.path, binary.path) == 0 else {
            throw TestSupportError(.goBuildFailed, "could not move \(temporary.path) into place: errno \(errno)")
        }
        return binary
    }

    /// Offline, module mode, no cgo (no C compiler needed); caches under `.build` when `HOME` cannot
    /// hold Go's default cache.
    private static func environment(cache: URL) -> [String: String] {
        var environment = [
            "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GO111MODULE": "on", "GOWORK": "off", "CGO_ENABLED": "0",
            "GOTOOLCHAIN": "local",
        ]
        let inherited = ProcessInfo.processInfo.environment
        let home = inherited["HOME"] ?? ""
        let homeUsable = !home.isEmpty && home != "/" && access(home, W_OK) == 0
        if !homeUsable {
            if inherited["GOCACHE"] == nil { environment["GOCACHE"] = cache.appendingPathComponent("gocache").path }
            if inherited["GOPATH"] == nil { environment["GOPATH"] = cache.appendingPathComponent("gopath").path }
        }
        return environment
    }

    /// Opens (creating) `path` and takes an exclusive `flock` on a thread of its own (another test
    /// process may hold it for a whole `go build`); returns the descriptor, whose `close` releases
    /// the lock.
    private static func lockExclusively(_ path: String) async throws -> Int32 {
        try await Blocking.run { () throws(TestSupportError) -> Int32 in
            let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw TestSupportError(.goBuildFailed, "cannot open \(path): errno \(errno)") }
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let error = errno
                    close(fd)
                    throw TestSupportError(.goBuildFailed, "cannot lock \(path): errno \(error)")
                }
            }
            return fd
        }
    }

    /// 64-bit FNV-1a, hex: enough to tell versions of a small source file apart.
    private static func fnv1a(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
