import Testing

@testable import Expvastic

@Suite struct EnvironmentSubstitutionTests {
    let environment = ["HOST": "es.local", "PORT": "9200", "EMPTY": ""]

    @Test(arguments: [
        ("${HOST}:${PORT}", "es.local:9200"),
        ("plain", "plain"),
        ("cost $5", "cost $5"),
        ("$${HOST}", "${HOST}"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY}", ""),
        ("${HOST:-x}", "es.local"),
    ])
    func substitutes(text: String, expected: String) throws {
        #expect(try EnvironmentSubstitution.substitute(text, environment: environment).get() == expected)
    }

    @Test func unsetVariableIsNamed() {
        guard case .failure(let failure) = EnvironmentSubstitution.substitute("${ES_PASSWORD}", environment: [:]) else {
            Issue.record("expected failure")
            return
        }
        #expect(failure.message == "environment variable ES_PASSWORD is not set")
    }

    @Test(arguments: ["${UNCLOSED", "${1ABC}", "${}", "${A-B}"])
    func malformedReferencesFail(text: String) {
        #expect(throws: EnvironmentSubstitution.Failure.self) {
            try EnvironmentSubstitution.substitute(text, environment: environment).get()
        }
    }
}
