import Expvastic
import ExpvasticTestSupport
import Testing

/// Which readers and recorders are reported unused: only those no route mentions.
@Suite struct ConfigurationLoaderRoutesTests {
    private func lines(_ result: ConfigurationLoadResult) -> [String] { result.diagnostics.map(\.formatted) }

    @Test func aRouteNamingAnUnknownRecorderDoesNotMakeItsComponentsUnused() {
        let result = loadConfiguration(configuration(routes: "route1:\n    readers: [app]\n    recorders: [es, nope]"))
        #expect(
            lines(result) == [
                "error: routes.route1.recorders: unknown recorder \"nope\" (defined recorders: es)"
            ])
    }

    @Test func aRouteNamingAnUnknownReaderDoesNotMakeItsComponentsUnused() {
        let result = loadConfiguration(configuration(routes: "route1:\n    readers: [app, ap]\n    recorders: es"))
        #expect(lines(result) == ["error: routes.route1.readers: unknown reader \"ap\" (did you mean app?)"])
    }

    @Test func readersWrittenAsAListLeaveTheRoutedRecorderUsed() {
        let yaml = """
            readers:
              - app
            recorders:
              es: {type: elasticsearch, endpoint: 127.0.0.1:9200, index_name: expvastic}
            routes:
              route1: {readers: [app], recorders: [es]}
            """
        let result = loadConfiguration(yaml)
        #expect(
            lines(result) == [
                "error: readers: must be a mapping of reader names to their settings, not a list",
                "error: routes.route1.readers: unknown reader \"app\" (no readers are defined)",
            ])
    }

    @Test func aRouteThatCannotBeReadReportsNothingUnused() {
        let unreadable = loadConfiguration(configuration(routes: "route1:\n    readers: {app: 1}\n    recorders: [es]"))
        #expect(lines(unreadable) == ["error: routes.route1.readers: expected a list of names, got a mapping"])
        let wrongSection = loadConfiguration(
            "readers:\n  app: {type: self}\nrecorders:\n  out: {type: file, path: ./o}\nroutes: [app, out]\n")
        #expect(
            lines(wrongSection) == [
                "error: routes: must be a mapping of route names to readers and recorders, not a list"
            ])
    }

    @Test func reallyUnusedComponentsAreStillReported() {
        let yaml = """
            readers:
              app: {type: self}
              spare: {type: self}
            recorders:
              out: {type: file, path: ./out.ndjson}
              other: {type: file, path: ./other.ndjson}
            routes:
              route1: {readers: [app], recorders: [out, missing]}
            """
        let result = loadConfiguration(yaml)
        #expect(
            lines(result) == [
                "error: routes.route1.recorders: unknown recorder \"missing\" (defined recorders: out, other)",
                "warning: readers.spare: not used by any route; it is validated but not run (add it to a route or remove it)",
                "warning: recorders.other: not used by any route; it is validated but not run (add it to a route or remove it)",
            ])
    }
}
