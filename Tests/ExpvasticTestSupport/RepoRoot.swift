import Foundation

/// Where the repository lives on disk, so tests can find `Tests/GoExpvar`, `.build` and `.venv`.
public enum RepoRoot {
    /// The repository root: `$EXPVASTIC_REPO_ROOT` when set, else the nearest folder above this
    /// source file that holds `Package.swift`.
    public static func url() throws -> URL {
        let fileManager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["EXPVASTIC_REPO_ROOT"], !configured.isEmpty {
            let root = URL(fileURLWithPath: configured, isDirectory: true).standardizedFileURL
            guard fileManager.fileExists(atPath: root.appendingPathComponent("Package.swift").path) else {
                throw TestSupportError(
                    .repositoryNotFound,
                    "EXPVASTIC_REPO_ROOT=\(configured) has no Package.swift: "
                        + "point it at the repository root or unset it"
                )
            }
            return root
        }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().standardizedFileURL
        while directory.path != "/" {
            if fileManager.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        throw TestSupportError(
            .repositoryNotFound,
            "no Package.swift above \(#filePath): set EXPVASTIC_REPO_ROOT to the repository root"
        )
    }
}
