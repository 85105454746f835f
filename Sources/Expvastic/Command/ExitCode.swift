import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticEngine
import ExpvasticPipeline

/// The process exit codes of `expvasyml` (BSD `sysexits.h` where one fits).
public enum ExitCode {
    /// Success, or a clean shutdown after SIGTERM/SIGINT.
    public static let success: Int32 = 0
    /// A failure while running.
    public static let runtimeFailure: Int32 = 1
    /// The command line is wrong (unknown flag, missing value): `EX_USAGE`.
    public static let usage: Int32 = 64
    /// The configuration is missing, unreadable or invalid: `EX_CONFIG`.
    public static let configuration: Int32 = 78
}
