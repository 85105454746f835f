import Foundation

/// The real Go `/debug/vars` bodies in `Tests/ExpvasticTests/Fixtures`.
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
            let data = FileManager.default.contents(atPath: url.path)
        else { throw Missing(description: "fixture \(name).json not found in the test bundle") }
        return [UInt8](data)
    }
}
