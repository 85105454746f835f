import Expvastic

#if canImport(Glibc)
    import Glibc
#endif

/// `expvasyml`: parse the command line, load the configuration, hand it to the ``Launcher``.
@main
struct Expvasyml {
    static func main() async {
        let environment = ProcessEnvironment.variables
        MallocArenas.useOne(environment: environment)
        exit(await run(Array(CommandLine.arguments.dropFirst()), environment: environment))
    }

    static func run(_ arguments: [String], environment: [String: String]) async -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions.parse(arguments, environment: environment)
        } catch {
            printError("expvasyml: \(error)")
            return ExitCode.usage
        }
        switch options.mode {
        case .help:
            print(CommandLineOptions.usage)
            return ExitCode.success
        case .version:
            print("expvasyml \(CommandLineOptions.version)")
            return ExitCode.success
        case .run, .check, .once:
            break
        }
        let result = options.loadConfiguration(environment: environment)
        for diagnostic in result.diagnostics { printError(diagnostic.formatted) }
        guard let configuration = result.configuration else { return ExitCode.configuration }
        switch options.mode {
        case .check:
            for line in CheckReport(configuration: configuration, warnings: result.warnings.count).lines { print(line) }
            return ExitCode.success
        case .once:
            return await Launcher.once(configuration: configuration, options: options)
        default:
            return await Launcher.run(configuration: configuration, options: options)
        }
    }

    static func printError(_ line: String) {
        StandardStream.error.write(line + "\n")
    }
}
