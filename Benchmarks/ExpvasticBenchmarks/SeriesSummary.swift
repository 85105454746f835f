/// What `--repeat N` prints after the N runs of one end-to-end benchmark: for each of its rows,
/// CPU per poll and each ratio against a peer over the runs, in run order, with their median —
/// a target like "≤ 0.4× the Go reference" is judged over a series, as this machine's speed swings.
struct SeriesSummary: ResultRow {
    /// The row's name (`poll-1`, `poll-1-go`).
    var name: String
    /// `cpu_us_per_poll` or `cpu_per_poll_ratio_vs_<peer>`.
    var series: String
    var values: [Double]

    /// One summary per row name and figure, over the runs that returned that row.
    static func of(_ runs: [[EndToEndResult]]) -> [SeriesSummary] {
        var summaries: [SeriesSummary] = []
        func add(_ name: String, _ series: String, _ value: Double) {
            if let index = summaries.firstIndex(where: { $0.name == name && $0.series == series }) {
                summaries[index].values.append(value)
            } else {
                summaries.append(SeriesSummary(name: name, series: series, values: [value]))
            }
        }
        for rows in runs {
            for row in rows {
                add(row.name, "cpu_us_per_poll", row.cpuMicrosPerPoll)
                for (key, value) in row.extras where key.hasPrefix("cpu_per_poll_ratio_vs_") {
                    add(row.name, key, value)
                }
            }
        }
        return summaries
    }

    var tableRow: String {
        let f = Benchmarks.fmt
        let decimals = series == "cpu_us_per_poll" ? 1 : 3
        return Benchmarks.pad(name, 22) + "\(series) over \(values.count) runs: median \(f(values.median, decimals)), "
            + "min \(f(values.min() ?? 0, decimals)), max \(f(values.max() ?? 0, decimals)); in order "
            + values.map { f($0, decimals) }.joined(separator: ", ")
    }

    var jsonLine: String {
        let f = Benchmarks.fmt
        return "{\"name\": \"\(name)\", \"series\": \"\(series)\", \"runs\": \(values.count), "
            + "\"median\": \(f(values.median, 4)), \"min\": \(f(values.min() ?? 0, 4)), \"max\": \(f(values.max() ?? 0, 4)), "
            + "\"values\": [\(values.map { f($0, 4) }.joined(separator: ", "))]}"
    }
}
