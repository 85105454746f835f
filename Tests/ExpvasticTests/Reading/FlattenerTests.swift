import Expvastic
import Foundation
import Testing

@Suite struct FlattenerTests {
    typealias H = ReaderHarness

    @Test func fixture4kFlattensWithExactIntegers() throws {
        let (reader, metrics) = H.reader()
        let document = try reader.document(fromBody: try Fixtures.load("go-debug-vars-4k"), startedAtWallNanos: H.start)
        let text = H.text(document)
        #expect(text.contains(#""memstats.LastGC":1795285393759871768,"#))
        #expect(text.contains(#""memstats.HeapAlloc":191904,"#))
        #expect(text.contains(#""build":"v0.0.1-anchor \"quoted\"""#))
        #expect(text.contains(#""cmdline":["./expvarsrv"]"#))
        #expect(text.contains(#""load_avg":1.375"#))
        #expect(!text.contains("PauseNs"))
        #expect(!text.contains("PauseEnd"))
        #expect(!text.contains("BySize"))
        let fields = try H.fields(document)
        #expect(fields["memstats.EnableGC"] as? Bool == true)
        #expect(fields["memstats.gc.pause_count"] as? Int == 0)
        #expect(fields["memstats.gc.pauses_ns"] == nil)
        #expect(H.dropped(metrics, "bysize") == 1)
        #expect(fields.keys.allSatisfy { !$0.isEmpty })
    }

    @Test func fixture10kHasNoRawRings() throws {
        let (reader, _) = H.reader()
        let body = try Fixtures.load("go-debug-vars-10k")
        let first = try reader.document(fromBody: body, startedAtWallNanos: H.start)
        let text = H.text(first)
        #expect(!text.contains("PauseNs"))
        #expect(!text.contains("BySize"))
        #expect(text.contains(#""memstats.NumGC":6214"#))
        #expect(text.contains(#""per_route.GET /a":17"#))
        #expect(text.contains(#""per_route.latency_ms":12.5"#))
        #expect(text.contains(#""memstats.TotalAlloc":21837577936"#))
        #expect(first.body.count < 3000)
    }

    @Test func keysAreSortedAndEnvelopeIsFirstClass() throws {
        let (reader, _) = H.reader()
        let document = try H.document(reader, #"{"zeta":1,"alpha":{"b":2,"a":3},"Beta":true,"type":"payload"}"#)
        #expect(
            H.text(document)
                == #"{"@timestamp":"2026-11-21T18:00:00.123Z","Beta":true,"alpha.a":3,"alpha.b":2,"#
                + #""endpoint":"http://localhost:1234/debug/vars","reader":"FirstApp","type":"my_app1","zeta":1}"#)
    }

    @Test func duplicatesKeepTheFirstAndAreCounted() throws {
        let (reader, metrics) = H.reader()
        let document = try H.document(reader, #"{"a.b":1,"a":{"b":2},"reader":"x","type":{"x":1},"types":2}"#)
        let fields = try H.fields(document)
        #expect(fields["a.b"] as? Int == 1)
        #expect(fields["reader"] as? String == "FirstApp")
        #expect(fields["type"] as? String == "my_app1")
        #expect(fields["types"] as? Int == 2)
        #expect(H.dropped(metrics, "duplicate") == 1)
        #expect(H.dropped(metrics, "reserved") == 2)
    }

    @Test func stringEscapingRoundTrips() throws {
        let (reader, _) = H.reader()
        let value = "q\"b\\s</script>\n\t\u{1}é€😀\u{2028}"
        let payload = #"{"s":"q\"b\\s</script>\n\t\u0001é\u20ac\ud83d\ude00\u2028","k\u00e9y\"":"raw é <>"}"#
        let document = try H.document(reader, payload)
        let fields = try H.fields(document)
        #expect(fields["s"] as? String == value)
        #expect(fields["kéy\""] as? String == "raw é <>")
        let text = H.text(document)
        #expect(text.contains(#""s":"q\"b\\s</script>\n\t\u0001é€😀"#))
        #expect(text.contains(#""kéy\"":"raw é <>""#))
    }

    @Test func typesAndDrops() throws {
        let (reader, metrics) = H.reader()
        let payload = """
            {"i":-5,"u":18446744073709551615,"d":0.5,"s":"x","t":true,"n":null,"inf":+Inf,"ninf":-Inf,"nan":NaN,
             "nums":[1,2.5,3],"ints":[1,2],"strs":["a","b"],"bools":[true],"empty":[],"objs":[{"a":1}],
             "mixed":[1,"a"],"withnull":[1,null],"nested":[[1]],"":1,".x":2,"big":1e400,"numinf":[1,NaN]}
            """
        let document = try H.document(reader, payload)
        let text = H.text(document)
        let fields = try H.fields(document)
        #expect(fields["i"] as? Int == -5)
        #expect(text.contains(#""u":1.8446744073709552e+19"#))
        #expect(text.contains(#""nums":[1.0,2.5,3.0]"#))
        #expect(text.contains(#""ints":[1,2]"#))
        #expect(text.contains(#""strs":["a","b"]"#))
        #expect(text.contains(#""bools":[true]"#))
        #expect(text.contains(#""empty":[]"#))
        for gone in ["n", "inf", "ninf", "nan", "objs", "mixed", "withnull", "nested", "", ".x", "big", "numinf"] {
            #expect(fields[gone] == nil, "\(gone)")
        }
        #expect(H.dropped(metrics, "null") == 1)
        #expect(H.dropped(metrics, "non_finite") == 5)
        #expect(H.dropped(metrics, "object_array") == 2)
        #expect(H.dropped(metrics, "mixed_array") == 2)
        #expect(H.dropped(metrics, "invalid_key") == 2)
        let converted = MetricKey(
            "fields_converted",
            labels: [MetricKey.Label("reader", "FirstApp"), MetricKey.Label("reason", "uint_overflow")])
        #expect(metrics.value(converted) == .counter(1))
    }

    @Test func typeStabilityAfterADouble() throws {
        let (reader, _) = H.reader()
        _ = try H.document(reader, #"{"load":0.5,"count":1,"arr":[0.5]}"#)
        let second = H.text(try H.document(reader, #"{"load":0,"count":2,"arr":[1,2]}"#))
        #expect(second.contains(#""load":0.0"#))
        #expect(second.contains(#""count":2"#))
        #expect(second.contains(#""arr":[1.0,2.0]"#))
        let third = H.text(try H.document(reader, #"{"load":3,"count":3}"#))
        #expect(third.contains(#""load":3.0"#))
        // Another reader has its own history.
        let (other, _) = H.reader()
        #expect(H.text(try H.document(other, #"{"load":0}"#)).contains(#""load":0,"#))
    }

    @Test func excludeAndIncludeGlobs() throws {
        let payload =
            #"{"memstats":{"HeapAlloc":1,"HeapSys":2,"Alloc":3},"db":{"open":4,"idle":5},"x":{"y":{"Alloc":6}}}"#
        let (excluding, metrics) = H.reader(exclude: ["memstats.Heap*", "db"])
        let excluded = try H.fields(try H.document(excluding, payload))
        #expect(excluded["memstats.Alloc"] as? Int == 3)
        #expect(excluded["x.y.Alloc"] as? Int == 6)
        #expect(excluded["memstats.HeapAlloc"] == nil)
        #expect(excluded["db.open"] == nil)
        #expect(H.dropped(metrics, "excluded") == 4)

        let (including, _) = H.reader(include: ["**.Alloc", "db"], exclude: ["db.idle"])
        let included = try H.fields(try H.document(including, payload))
        #expect(
            Set(included.keys) == [
                "@timestamp", "type", "reader", "endpoint", "memstats.Alloc", "x.y.Alloc", "db.open",
            ])
    }

    @Test func includeExpandsObjectArrays() throws {
        let payload =
            #"{"memstats":{"BySize":[{"Size":0,"Mallocs":1},{"Size":8,"Mallocs":2}],"NumGC":1},"a":[{"b":1},"c"]}"#
        let (reader, metrics) = H.reader(include: ["memstats.BySize.*.Size", "a"])
        let fields = try H.fields(try H.document(reader, payload))
        #expect(fields["memstats.BySize.0.Size"] as? Int == 0)
        #expect(fields["memstats.BySize.1.Size"] as? Int == 8)
        #expect(fields["memstats.BySize.1.Mallocs"] == nil)
        #expect(fields["a.0.b"] as? Int == 1)
        #expect(fields["a.1"] as? String == "c")
        #expect(fields["memstats.NumGC"] == nil)
        #expect(H.dropped(metrics, "bysize") == 0)

        let (plain, plainMetrics) = H.reader(include: ["memstats"])
        let plainFields = try H.fields(try H.document(plain, payload))
        #expect(plainFields["memstats.NumGC"] as? Int == 1)
        #expect(plainFields.keys.allSatisfy { !$0.contains("BySize") })
        #expect(H.dropped(plainMetrics, "bysize") == 1)
    }

    @Test func unitsMatchTheFullPathNotTheLeaf() throws {
        let map = FieldMap(memoryBytes: ["memstats.Alloc": .mb, "memstats.Heap*": .kb, "memstats.Sys": .b])
        let (reader, _) = H.reader(fieldMap: map)
        let payload = #"{"memstats":{"Alloc":3145728,"HeapAlloc":2048,"Sys":7,"NumGC":2},"app":{"Alloc":3145728}}"#
        let text = H.text(try H.document(reader, payload))
        #expect(text.contains(#""memstats.Alloc":3.0"#))
        #expect(text.contains(#""memstats.HeapAlloc":2.0"#))
        #expect(text.contains(#""memstats.Sys":7.0"#))
        #expect(text.contains(#""app.Alloc":3145728"#))
        #expect(text.contains(#""memstats.NumGC":2"#))
    }

    @Test func deterministicIDs() throws {
        let (a, _) = H.reader()
        let (b, _) = H.reader()
        let first = try H.document(a, "{}")
        #expect(first.id == (try H.document(b, #"{"other":1}"#)).id)
        #expect(first.id.count == 32)
        #expect(first.id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(first.id != (try H.document(a, "{}", at: H.start + 1_000_000)).id)
        #expect(
            first.id
                == DocumentID.make(
                    reader: "FirstApp", endpoint: "http://localhost:1234/debug/vars", timestampMillis: 1_795_284_000_123
                ))
        #expect(
            first.id
                != DocumentID.make(
                    reader: "FirstApp", endpoint: "http://localhost:1234/debug/var", timestampMillis: 1_795_284_000_123)
        )
        // Pinned, so that a change of algorithm (which would re-send duplicates after an upgrade) is noticed.
        #expect(DocumentID.make(reader: "a", endpoint: "b", timestampMillis: 0) == "36cc25110283d94f708145dd5909c666")
        #expect(first.timestampMillis == 1_795_284_000_123)
    }
}

@Suite struct DocumentConflictTests {
    @Test func valueNextToNestedFieldsIsDropped() throws {
        let (reader, metrics) = ReaderHarness.reader()
        let payload = #"{"a":1,"a-b":2,"a.b":3,"a.c":{"d":4},"ab":5,"x":{"y":6},"x.y.z":7}"#
        let fields = try ReaderHarness.fields(try ReaderHarness.document(reader, payload))
        #expect(fields["a"] == nil)
        #expect(fields["a-b"] as? Int == 2)
        #expect(fields["a.b"] as? Int == 3)
        #expect(fields["a.c.d"] as? Int == 4)
        #expect(fields["ab"] as? Int == 5)
        #expect(fields["x.y"] == nil)
        #expect(fields["x.y.z"] as? Int == 7)
        #expect(ReaderHarness.dropped(metrics, "conflict") == 2)
        // The next document with the same fields still drops them (the cached order is not reused).
        let again = try ReaderHarness.fields(try ReaderHarness.document(reader, payload))
        #expect(again["a"] == nil)
        #expect(ReaderHarness.dropped(metrics, "conflict") == 4)
    }
}
