import Expvastic
import Testing

@Suite struct CommandLineOptionsTests {
    func parse(_ arguments: String, environment: [String: String] = [:]) throws(CommandLineError) -> CommandLineOptions
    {
        try CommandLineOptions.parse(arguments.split(separator: " ").map(String.init), environment: environment)
    }

    func failure(_ arguments: String) -> CommandLineError? {
        do {
            _ = try parse(arguments)
            return nil
        } catch {
            return error
        }
    }

    @Test func configModes() throws {
        #expect(try parse("-c expvastic.yml") == CommandLineOptions(mode: .run, configPath: "expvastic.yml"))
        #expect(try parse("--config=x --check").mode == .check)
        #expect(try parse("--config x -check --strict").strict)
        #expect(try parse("-c x --once").mode == .once)
        #expect(try parse("-c x -loglevel debug").flags.logLevel == "debug")
    }

    @Test func helpAndVersionWinOverEverything() throws {
        #expect(try parse("--help").mode == .help)
        #expect(try parse("-h -c x --check").mode == .help)
        #expect(try parse("--version").mode == .version)
        #expect(try parse("-version").mode == .version)
    }

    @Test func flagMode() throws {
        let options = try parse(
            "-reader localhost:1234/debug/vars -recorder http://127.0.0.1:9200 -index x -int 1s -timeout 3s")
        #expect(options.isFlagMode)
        #expect(
            options.flags
                == FlagModeOptions(
                    reader: "localhost:1234/debug/vars", recorder: "http://127.0.0.1:9200", index: "x", interval: "1s",
                    timeout: "3s"))
        #expect(try parse("--check", environment: ["READER": "h:1"]).mode == .check)
        #expect(try parse("-reader h:1 -recorder e:2 -listen 127.0.0.1:0").flags.listen == "127.0.0.1:0")
        #expect(try parse("-reader h:1 -recorder e:2 --listen=").flags.listen == "")
        #expect(failure("-c x -listen 127.0.0.1:0")?.code == .conflictingOptions)
    }

    @Test func usageErrors() {
        #expect(failure("--bogus")?.code == .unknownOption)
        #expect(failure("--chek -c x")?.message == "unknown option --chek; did you mean --check? (see --help)")
        #expect(failure("-c")?.code == .missingValue)
        #expect(failure("-c --check")?.code == .missingValue)
        #expect(failure("expvastic.yml")?.message == "unexpected argument \"expvastic.yml\" (use -c expvastic.yml)")
        #expect(failure("-c x --check --once")?.code == .conflictingOptions)
        #expect(failure("-c x -reader y")?.code == .conflictingOptions)
        #expect(failure("--strict=yes -c x")?.code == .unexpectedArgument)
        #expect(failure("")?.code == .noConfiguration)
    }
}
