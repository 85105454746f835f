import Expvastic
import Testing

@Suite struct DNSNameserverTests {
    @Test(arguments: [
        ("10.0.0.2", "10.0.0.2:53"), ("127.0.0.1:5353", "127.0.0.1:5353"), ("::1", "[::1]:53"),
        ("[fd00::53]:5300", "[fd00::53]:5300"),
    ])
    func addressesWithAndWithoutPorts(text: String, expected: String) {
        #expect(DNSNameserver(text)?.description == expected)
    }

    @Test(arguments: ["dns.local", "10.0.0.2:0", "10.0.0.2:x", "[::1", ""])
    func namesAndBadPortsAreRefused(text: String) {
        #expect(DNSNameserver(text) == nil)
    }

    @Test func theFirstNameserverOfResolvConfIsTheDefault() {
        let text = "# generated\nsearch example.com\nnameserver bogus\nnameserver 192.168.1.1\nnameserver 8.8.8.8\n"
        #expect(DNSNameserver.first(inResolvConf: text)?.description == "192.168.1.1:53")
        #expect(DNSNameserver.first(inResolvConf: "search x\n") == nil)
    }
}
