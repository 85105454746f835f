import Expvastic

@main
struct Benchmarks {
    static func main() {
        print("no benchmarks yet")
    }
}
