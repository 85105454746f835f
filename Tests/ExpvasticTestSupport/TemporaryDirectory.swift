import Foundation

/// Runs `body` with a fresh directory under the temporary directory (`<prefix>-<UUID>`), removed
/// afterwards, also when `body` throws. Creating and removing go through ``Blocking/run(_:)``: on a
/// busy disk `rmdir` of a tree takes tens of milliseconds, which the cooperative pool should not wait.
public func withTemporaryDirectory(
    prefix: String = "expvastic",
    _ body: (String) async throws -> Void
) async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try await Blocking.run { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    do {
        try await body(path)
    } catch {
        _ = await Blocking.run { try? FileManager.default.removeItem(atPath: path) }
        throw error
    }
    _ = await Blocking.run { try? FileManager.default.removeItem(atPath: path) }
}
