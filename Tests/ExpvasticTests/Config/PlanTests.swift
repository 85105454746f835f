import Expvastic
import Testing

@Suite struct PlanTests {
    @Test func workedExampleFromTheSpec() {
        let readers = (0...5).map { ReaderConfiguration(name: "app_\($0)", kind: .self, typeName: "x", url: nil) }
        let recorders = (0...3).map {
            RecorderConfiguration(name: "elastic_\($0)", kind: .file(FileRecorderConfiguration(path: "/tmp/x")))
        }
        let configuration = Configuration(
            readers: readers,
            recorders: recorders,
            routes: [
                RouteConfiguration(name: "route1", readers: ["app_0", "app_2", "app_4"], recorders: ["elastic_1"]),
                RouteConfiguration(
                    name: "route2", readers: ["app_0", "app_5"], recorders: ["elastic_2", "elastic_3"]),
                RouteConfiguration(
                    name: "route3", readers: ["app_1", "app_2"], recorders: ["elastic_0", "elastic_1"]),
            ]
        )
        let plan = Plan(configuration: configuration)
        #expect(
            plan.lines.sorted() == [
                "app_0 -> elastic_1, elastic_2, elastic_3",
                "app_1 -> elastic_0, elastic_1",
                "app_2 -> elastic_1, elastic_0",
                "app_4 -> elastic_1",
                "app_5 -> elastic_2, elastic_3",
            ]
        )
        #expect(plan.unusedReaders == ["app_3"])
        #expect(plan.unusedRecorders.isEmpty)
    }
}
