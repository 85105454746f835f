import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticEngine
import ExpvasticPipeline

/// What the `expvasyml` command line asks for.
///
/// Options may be written with one or two dashes (`-c`, `--config`, `-check`, `--check`) and take
/// their value as the next argument or after `=` (`--config=expvastic.yml`).
public struct CommandLineOptions: Sendable, Equatable {
    /// What to do once the configuration is loaded.
    public enum Mode: Sendable, Equatable {
        /// Run until SIGTERM/SIGINT.
        case run
        /// `--check`: validate, print warnings and the engine plan.
        case check
        /// `--once`: poll every reader once, print the bulk NDJSON, send nothing.
        case once
        /// `--help`.
        case help
        /// `--version`.
        case version
    }

    /// `.run` unless `--check`, `--once`, `--help` or `--version` was given.
    public var mode: Mode = .run
    /// `-c` / `--config`, as typed (the `.yml` extension may be missing); nil in flag mode.
    public var configPath: String?
    /// `--strict`: warnings are errors.
    public var strict = false
    /// Flag-mode values (and `-loglevel`), as typed; environment fallbacks are applied when the
    /// configuration is built.
    public var flags = FlagModeOptions()

    public init(
        mode: Mode = .run, configPath: String? = nil, strict: Bool = false, flags: FlagModeOptions = FlagModeOptions()
    ) {
        self.mode = mode
        self.configPath = configPath
        self.strict = strict
        self.flags = flags
    }

    /// True when there is no configuration file and the flags describe the one reader and recorder.
    public var isFlagMode: Bool { configPath == nil }

    /// The version `--version` prints.
    public static let version = "0.1.0"

    /// What `--help` prints.
    public static let usage = """
        expvasyml ships Go expvar metrics into Elasticsearch.

        Usage:
          expvasyml -c FILE               run with a configuration file (.yml may be left out)
          expvasyml -c FILE --check       validate, print warnings and the engine plan; exit 0 or 78
          expvasyml -c FILE --once        poll every reader once and print the bulk NDJSON; send nothing
          expvasyml -reader URL -recorder URL [-index NAME] [-int 10s] [-timeout 3s] [-loglevel info]
                    [-listen 127.0.0.1:9800]
                                          flag mode: one reader, one Elasticsearch recorder, no file;
                                          spools into ./data/spool/elasticsearch
          expvasyml --version | --help

        Options:
          -c, --config FILE   configuration file
          --check             validate only
          --once              poll once, print, exit
          --strict            treat warnings (unknown keys, unused readers/recorders) as errors
          -reader URL         expvar endpoint, e.g. localhost:1234/debug/vars   (env READER)
          -recorder URL       Elasticsearch, e.g. http://127.0.0.1:9200         (env RECORDER)
          -index NAME         index name, may hold %{+yyyy.MM.dd}; default expvastic (env INDEX)
          -int DURATION       poll interval, default 10s                         (env INT)
          -timeout DURATION   poll timeout, default the interval up to 30s       (env TIMEOUT)
          -loglevel LEVEL     debug, info, warn or error; default info           (env LOGLEVEL)
          -listen HOST:PORT   monitoring endpoint, default 127.0.0.1:9800; "" off (env LISTEN)
          -h, --help          this text
          --version           the version

        A flag beats its environment variable.
        Exit codes: 0 success, 1 runtime failure, 64 usage error, 78 configuration error.
        """

    private static let valueOptions = [
        "c", "config", "reader", "recorder", "index", "int", "timeout", "loglevel", "listen",
    ]
    private static let switchOptions = ["check", "once", "strict", "help", "h", "version"]

    /// Parses the arguments after the program name. `environment` only decides whether flag mode
    /// has a reader (`READER`) when neither `-c` nor `-reader` is given.
    public static func parse(
        _ arguments: [String], environment: [String: String] = [:]
    ) throws(CommandLineError) -> CommandLineOptions {
        var options = CommandLineOptions()
        var modes: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-", argument != "--" else {
                let hint = argument.hasSuffix(".yml") || argument.hasSuffix(".yaml") ? " (use -c \(argument))" : ""
                throw CommandLineError(
                    code: .unexpectedArgument, message: "unexpected argument \"\(argument)\"\(hint)")
            }
            var name = String(argument.dropFirst(argument.hasPrefix("--") ? 2 : 1))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if switchOptions.contains(name) {
                if inlineValue != nil {
                    throw CommandLineError(code: .unexpectedArgument, message: "\(argument): -\(name) takes no value")
                }
                switch name {
                case "check": modes.append("--check")
                case "once": modes.append("--once")
                case "strict": options.strict = true
                case "help", "h": options.mode = .help
                default: options.mode = .version
                }
                continue
            }
            guard valueOptions.contains(name) else {
                let known = (valueOptions + switchOptions).filter { $0.count > 1 }
                let suggestion = Suggestion.closest(to: name, among: known).map { "; did you mean --\($0)?" } ?? ""
                throw CommandLineError(
                    code: .unknownOption, message: "unknown option \(argument)\(suggestion) (see --help)")
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if index < arguments.count, !(arguments[index].hasPrefix("-") && arguments[index].count > 1) {
                value = arguments[index]
                index += 1
            } else {
                throw CommandLineError(code: .missingValue, message: "\(argument) needs a value (see --help)")
            }
            switch name {
            case "c", "config": options.configPath = value
            case "reader": options.flags.reader = value
            case "recorder": options.flags.recorder = value
            case "index": options.flags.index = value
            case "int": options.flags.interval = value
            case "timeout": options.flags.timeout = value
            case "listen": options.flags.listen = value
            default: options.flags.logLevel = value
            }
        }
        if options.mode == .help || options.mode == .version { return options }
        if modes.contains("--check") && modes.contains("--once") {
            throw CommandLineError(code: .conflictingOptions, message: "--check and --once cannot be combined")
        }
        if modes.contains("--check") { options.mode = .check }
        if modes.contains("--once") { options.mode = .once }
        if options.configPath != nil, options.flags.hasFlagModeValues {
            throw CommandLineError(
                code: .conflictingOptions,
                message: "-c cannot be combined with -reader, -recorder, -index, -int, -timeout or -listen "
                    + "(use either a configuration file or flag mode)")
        }
        if options.configPath == nil, options.flags.reader == nil, environment["READER"] == nil {
            throw CommandLineError(
                code: .noConfiguration,
                message: "no configuration: use -c expvastic.yml, or -reader URL -recorder URL (see --help)")
        }
        return options
    }
}
