import Foundation

/// Finds programs the tests run (`go`) the way a shell would, plus the places Debian puts them.
public enum ExecutableSearch {
    /// The first executable called `name` in `$PATH`, then in `extraDirectories`; `nil` if none.
    public static func find(_ name: String, extraDirectories: [String] = []) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + extraDirectories
        for directory in directories where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
