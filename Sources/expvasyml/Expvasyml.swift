import Expvastic

@main
struct Expvasyml {
    static func main() async {
        print("expvasyml: not implemented yet")
    }
}
