import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

#if canImport(Glibc)
    import Glibc
#endif

/// Reads Prometheus `file_sd` files: every path (a glob may use `*`, `?` and `[…]` in its last
/// component) is read on each refresh; `.yml` / `.yaml` files are YAML, anything else JSON. The
/// answer is the targets of all files together, in path order. A literal path that does not exist,
/// an unreadable, empty or invalid file fails the whole answer (the last good set is kept); a glob
/// that matches nothing is an empty answer. Files whose bytes did not change since the last
/// refresh are not parsed again (see ``TargetContentCache``).
public struct FileTargetFetcher: TargetFetcher {
    public let paths: [String]
    private let executor: BlockingExecutor
    private let cache = TargetContentCache()

    /// - Parameter executor: where the files are read (never on the cooperative pool).
    public init(paths: [String], executor: BlockingExecutor) {
        self.paths = paths
        self.executor = executor
    }

    public func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        let paths = self.paths
        let cache = self.cache
        let targets = try await executor.run { () throws(DiscoveryError) -> [DiscoveredTarget] in
            var files: [(origin: String, bytes: [UInt8])] = []
            for pattern in paths {
                for path in try FileTargetFetcher.expand(pattern) {
                    files.append((path, try FileTargetFetcher.contents(of: path)))
                }
            }
            return try cache.targets(of: files, parse: FileTargetFetcher.parse)
        }
        return DiscoveryAnswer(targets: targets)
    }

    /// The files `pattern` names, sorted; a pattern without glob characters names itself.
    package static func expand(_ pattern: String) throws(DiscoveryError) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        let directory = FileSystem.parentDirectory(of: pattern)
        let name = String(pattern.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
        if directory.contains(where: { "*?[".contains($0) }) {
            throw DiscoveryError(
                code: "invalid_path",
                message: "\(pattern): only the file name may contain *, ? or [ (not the directories)")
        }
        let names: [String]
        do {
            names = try FileSystem.entries(of: directory.isEmpty ? "." : directory)
        } catch {
            throw DiscoveryError(code: "file_missing", message: "\(error); the last good targets are kept")
        }
        let prefix = directory.isEmpty ? "" : (directory.hasSuffix("/") ? directory : directory + "/")
        return names.filter { fnmatch(name, $0, FNM_PERIOD) == 0 }.sorted().map { prefix + $0 }
    }

    /// The bytes of `path`; a file that is missing, unreadable or empty (only white space) is an error.
    package static func contents(of path: String) throws(DiscoveryError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.contents(of: path)
        } catch {
            throw DiscoveryError(
                code: error.errno == ENOENT ? "file_missing" : "file_unreadable",
                message: "\(error); the last good targets are kept")
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw DiscoveryError(
                code: "invalid_content",
                message:
                    "\(path) is empty (being written?); the last good targets are kept (write \"[]\" for no targets)")
        }
        return bytes
    }

    /// The targets in `bytes`, read from `path`: YAML for `.yml` / `.yaml`, else JSON.
    package static func parse(_ path: String, _ bytes: [UInt8]) throws(DiscoveryError) -> [DiscoveredTarget] {
        if path.hasSuffix(".yml") || path.hasSuffix(".yaml") {
            return try TargetGroups.parse(yaml: bytes, origin: path)
        }
        return try TargetGroups.parse(json: bytes, origin: path)
    }
}
