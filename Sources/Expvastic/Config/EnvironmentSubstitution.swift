import ExpvasticBase
import ExpvasticCodecs

/// `${NAME}` references in configuration values, replaced from the process environment so that
/// secrets stay out of files.
///
/// `${NAME:-fallback}` uses `fallback` when `NAME` is unset or empty; `$${` writes a literal `${`.
/// Any other `$` is kept as is.
package enum EnvironmentSubstitution {
    /// Why a value could not be substituted. Messages never quote the value, which may be a secret.
    package struct Failure: Error, Equatable {
        package var message: String
        package var hint: String
    }

    package static func substitute(_ text: String, environment: [String: String]) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                out += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                out += "$"
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                return .failure(
                    Failure(
                        message: "has an unclosed ${",
                        hint: "write ${NAME}, or $${ for a literal ${"))
            }
            let body = after[after.index(after: after.startIndex)..<close]
            var name = body
            var fallback: Substring?
            if let separator = body.firstRange(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            }
            guard isValidName(name) else {
                return .failure(
                    Failure(
                        message: "has an invalid environment variable name \"\(name)\"",
                        hint: "names are letters, digits and _, not starting with a digit"))
            }
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                return .failure(
                    Failure(
                        message: "environment variable \(name) is not set",
                        hint: "export \(name)=… before starting, or write ${\(name):-default}"))
            }
            rest = after[after.index(after: close)...]
        }
        out += rest
        return .success(out)
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII
                && (("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_")
        }
    }
}
