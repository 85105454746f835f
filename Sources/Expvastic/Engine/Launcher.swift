import Foundation

/// Runs a loaded configuration: the long-running mode and `--once`. Returns the process exit code.
public enum Launcher {
    /// Runs until SIGTERM/SIGINT; 0 on a clean shutdown, 1 on a runtime failure.
    public static func run(configuration: Configuration, options: CommandLineOptions) async -> Int32 {
        notWired()
    }

    /// Polls every reader once and prints the bulk NDJSON; sends nothing.
    public static func once(configuration: Configuration, options: CommandLineOptions) async -> Int32 {
        notWired()
    }

    private static func notWired() -> Int32 {
        FileHandle.standardError.write(Data("expvasyml: run mode is not wired yet\n".utf8))
        return 1
    }
}
