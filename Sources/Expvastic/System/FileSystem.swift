#if canImport(Glibc)
    import Glibc
#endif

/// The few file-system calls outside the spool: what a path is, reading a whole file, creating
/// directories and listing them. POSIX underneath, so the binary needs no Foundation.
package enum FileSystem {
    package enum Kind: Equatable {
        case directory
        /// A regular file, or anything else that is not a directory.
        case file
    }

    /// What `path` is, following symbolic links; nil when it does not exist (or cannot be reached).
    package static func kind(of path: String) -> Kind? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT == S_IFDIR ? .directory : .file
    }

    /// Whether this process may read `path`.
    package static func isReadable(_ path: String) -> Bool {
        access(path, R_OK) == 0
    }

    /// The whole file.
    package static func contents(of path: String) throws(SystemError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError("open", path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Creates `path` and any missing parents (`mkdir -p`, mode 0755).
    package static func createDirectories(_ path: String) throws(SystemError) {
        switch kind(of: path) {
        case .directory: return
        case .file: throw SystemError("create directory", path, errno: ENOTDIR)
        case nil: break
        }
        let parent = parentDirectory(of: path)
        if !parent.isEmpty, parent != path { try createDirectories(parent) }
        guard mkdir(path, 0o755) == 0 || (errno == EEXIST && kind(of: path) == .directory) else {
            throw SystemError("create directory", path)
        }
    }

    /// The names in `directory`, without `.` and `..`, in no particular order.
    package static func entries(of directory: String) throws(SystemError) -> [String] {
        guard let stream = opendir(directory) else { throw SystemError("list", directory) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `path` without its last component and trailing slashes: `a/b/c` → `a/b`, `/x` → `/`,
    /// `name` → `` (the current directory).
    package static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        var parent = trimmed[..<slash]
        while parent.count > 1 && parent.hasSuffix("/") { parent = parent.dropLast() }
        return String(parent)
    }
}
