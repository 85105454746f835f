import Testing

@testable import Expvastic

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ProcessEnvironmentTests {
    @Test func readsVariablesWithEqualsSignsInValues() {
        setenv("EXPVASTIC_ENVIRONMENT_TEST", "a=b=c", 1)
        defer { unsetenv("EXPVASTIC_ENVIRONMENT_TEST") }
        let variables = ProcessEnvironment.variables
        #expect(variables["EXPVASTIC_ENVIRONMENT_TEST"] == "a=b=c")
        #expect(variables["PATH"] == String(cString: getenv("PATH")))
    }

    @Test func atLeastOneProcessor() {
        #expect(ProcessEnvironment.processorCount >= 1)
        #expect(ProcessEnvironment.processorCount == sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
