import ExpvasticTestSupport
import Testing

@testable import Expvastic

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct FileSystemTests {
    @Test func parentDirectories() {
        #expect(FileSystem.parentDirectory(of: "a/b/c") == "a/b")
        #expect(FileSystem.parentDirectory(of: "a/b/c/") == "a/b")
        #expect(FileSystem.parentDirectory(of: "a//b") == "a")
        #expect(FileSystem.parentDirectory(of: "/x") == "/")
        #expect(FileSystem.parentDirectory(of: "/") == "/")
        #expect(FileSystem.parentDirectory(of: "name") == "")
        #expect(FileSystem.parentDirectory(of: "./data/expvastic.ndjson") == "./data")
    }

    @Test func createListReadAndClassify() async throws {
        try await withTemporaryDirectory { root in
            let deep = root + "/a/b/c"
            try FileSystem.createDirectories(deep)
            try FileSystem.createDirectories(deep)  // again: already there is fine
            #expect(FileSystem.kind(of: deep) == .directory)
            #expect(FileSystem.kind(of: root + "/nothing") == nil)
            #expect(try FileSystem.entries(of: root + "/a") == ["b"])

            let file = root + "/a/data.bin"
            let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let descriptor = open(file, O_WRONLY | O_CREAT, 0o600)
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            #expect(FileSystem.kind(of: file) == .file)
            #expect(FileSystem.isReadable(file))
            #expect(try FileSystem.contents(of: file) == bytes)
            #expect(Set(try FileSystem.entries(of: root + "/a")) == ["b", "data.bin"])

            #expect(throws: SystemError("open", root + "/missing", errno: ENOENT)) {
                try FileSystem.contents(of: root + "/missing")
            }
            #expect(throws: SystemError("create directory", file, errno: ENOTDIR)) {
                try FileSystem.createDirectories(file + "/sub")
            }
            #expect(SystemError("open", "/x", errno: EACCES).description == "cannot open /x: Permission denied")
        }
    }
}
