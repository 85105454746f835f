import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension RunningProcess {
    /// Runs `executable` to completion and returns its status (exit status, or 128 + signal) and its
    /// complete output. A hard deadline: past `timeout` the child is killed (`SIGKILL`) and a
    /// `.timeout` error carrying its stderr is thrown.
    public static func run(
        executable: URL,
        arguments: [String] = [],
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        input: Input = .none,
        currentDirectory: URL? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try RunningProcess(
            executable: executable,
            arguments: arguments,
            environment: environment,
            inheritEnvironment: inheritEnvironment,
            input: input,
            currentDirectory: currentDirectory
        )
        let status: Int32
        do {
            status = try await child.waitForExit(timeout: timeout)
        } catch {
            child.signal(SIGKILL)
            _ = try? await child.waitForExit(timeout: .seconds(5))
            throw error
        }
        await child.waitForOutputToEnd()
        return (status, child.stdout, child.stderr)
    }
}
