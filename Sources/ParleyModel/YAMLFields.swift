import Foundation
import Yams

/// Typed access to a composed YAML document with errors that name the file, the line and the
/// key path (`chain.yaml:7: partners[2].interface[0]: must be a string`).
///
/// The contract and partner files are written by hand as often as by `parley split`; a message
/// that points at the exact entry saves a search through thousands of linking rows.
struct YAMLFields {
    let file: String

    func fail(_ node: Node?, _ path: String, _ message: String) -> ModelFileError {
        ModelFileError(file: file, line: node?.mark?.line, message: path.isEmpty ? message : "\(path): \(message)")
    }

    /// The whole file at `path` as UTF-8 text.
    static func readText(path: String) throws(ModelFileError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ModelFileError(file: path, line: nil, message: "cannot read file: \(MPSReader.reason(error))")
        }
    }

    /// Reads the document's root node; syntax errors carry Yams' line.
    func root(_ text: String) throws(ModelFileError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.describe(error, file: file, text: text)
        } catch {
            throw ModelFileError(file: file, line: nil, message: "\(error)")
        }
    }

    static func describe(_ error: YamlError, file: String, text: String = "") -> ModelFileError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ModelFileError(file: file, line: mark.line, message: "YAML: \(problem)" + bracketHint(text, line: mark.line))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let unique = Array(Set(duplicates)).sorted()
            let keys = unique.map { "'\($0)'" }.joined(separator: ", ")
            // Yams marks the mapping; the line a reader must fix is the key's second appearance.
            let line = unique.compactMap { secondAppearance(of: $0, in: text, from: context.mark.line) }.min()
            return ModelFileError(file: file, line: line ?? context.mark.line, message: "duplicate key \(keys) in a mapping")
        case .reader(let problem, _, _, _):
            return ModelFileError(file: file, line: nil, message: "YAML: \(problem)")
        default:
            return ModelFileError(file: file, line: nil, message: "YAML: \(error)")
        }
    }

    /// A hint when line `line` (1-based) holds an unquoted bracketed IPv6 endpoint, which YAML
    /// reads as the start of a list.
    static func bracketHint(_ text: String, line: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count,
            let match = lines[line - 1].firstMatch(of: /:\s*(\[[0-9A-Fa-f:.%\w]*\]:[0-9]+)\s*(#.*)?$/)
        else { return "" }
        return " (an IPv6 endpoint must be quoted: \"\(match.1)\")"
    }

    /// The 1-based line of the second `key:` at the indentation of the first, at or after line
    /// `start` (where Yams says the mapping begins); nil if the text does not show it plainly
    /// (flow style, quoted keys).
    static func secondAppearance(of key: String, in text: String, from start: Int) -> Int? {
        var indentation: Int?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where index + 1 >= start {
            var line = Substring(raw)
            var indent = 0
            while let first = line.first, first == " " { line = line.dropFirst(); indent += 1 }
            if line.hasPrefix("- ") { line = line.dropFirst(2); indent += 2 }
            guard line.hasPrefix(key), line.dropFirst(key.count).drop(while: { $0 == " " }).first == ":" else { continue }
            if let indentation {
                if indent == indentation { return index + 1 }
            } else {
                indentation = indent
            }
        }
        return nil
    }

    /// True for a missing value written as `~`, `null` or nothing at all.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar = node else { return false }
        return node.null != nil
    }

    /// The entries of a mapping, in file order, checked against the allowed keys.
    func mapping(_ node: Node, _ path: String, allowed: [String], what: String = "a mapping")
        throws(ModelFileError) -> [String: Node]
    {
        guard case .mapping(let mapping) = node else { throw fail(node, path, "must be \(what)") }
        var entries: [String: Node] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw fail(key, path, "keys must be plain words") }
            let name = scalar.string
            guard allowed.contains(name) else {
                let keyPath = path.isEmpty ? name : "\(path).\(name)"
                throw fail(key, keyPath, "unknown key (expected \(allowed.joined(separator: ", ")))")
            }
            if !Self.isNull(value) { entries[name] = value }
        }
        return entries
    }

    func required(_ entries: [String: Node], _ key: String, in node: Node, _ path: String) throws(ModelFileError) -> Node {
        guard let value = entries[key] else { throw fail(node, path, "missing key '\(key)'") }
        return value
    }

    /// The ordered pairs of a mapping whose keys are data (linking-row terms).
    func pairs(_ node: Node, _ path: String) throws(ModelFileError) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let mapping) = node else {
            throw fail(node, path, "must be a mapping of partner.variable to coefficient")
        }
        var out: [(key: String, keyNode: Node, value: Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw fail(key, path, "keys must be partner.variable") }
            out.append((scalar.string, key, value))
        }
        return out
    }

    func sequence(_ node: Node, _ path: String) throws(ModelFileError) -> [Node] {
        guard case .sequence(let sequence) = node else { throw fail(node, path, "must be a list") }
        return Array(sequence)
    }

    func string(_ node: Node, _ path: String) throws(ModelFileError) -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, path, "must be a string") }
        return scalar.string
    }

    /// A number in YAML's spelling (`.inf`, `-.inf` for infinities), read back exactly.
    func number(_ node: Node, _ path: String) throws(ModelFileError) -> Double {
        guard case .scalar(let scalar) = node else { throw fail(node, path, "must be a number") }
        guard let value = Self.parseNumber(scalar.string) else {
            throw fail(node, path, "'\(scalar.string)' is not a number")
        }
        return value
    }

    static func parseNumber(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case ".inf", "+.inf", "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-.inf", "-inf", "-infinity": return -.infinity
        default: break
        }
        // Decimal only: Swift's Double(String) also takes hex and "nan", which YAML does not mean.
        let allowed = Set("0123456789+-.eE")
        guard !trimmed.isEmpty, trimmed.allSatisfy(allowed.contains), let value = Double(trimmed) else { return nil }
        return value
    }

    // MARK: Writing

    /// `text` as a YAML scalar: plain where that reads back as the same string, else quoted.
    static func quote(_ text: String) -> String {
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]
        if let first = text.unicodeScalars.first, first.properties.isAlphabetic && first.isASCII || first == "_",
            text.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || "0123456789_.-".unicodeScalars.contains($0)) }),
            !reserved.contains(text.lowercased())
        {
            return text
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += String(format: "\\x%02X", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `value` as a YAML number that reads back exactly: `.inf`/`-.inf` for infinities, whole
    /// numbers without a fraction, and a `.0` before a bare exponent (`1.0e-05`) so YAML 1.1
    /// readers see a float too.
    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? ".inf" : "-.inf" }
        var text = MPSWriter.number(value)
        if let e = text.firstIndex(of: "e"), !text[..<e].contains(".") {
            text.insert(contentsOf: ".0", at: e)
        }
        return text
    }

    /// A flow list `[a, b, c]`, wrapped before `width` columns with continuation lines indented
    /// by `indent` spaces.
    static func flowList(_ items: [String], indent: Int, firstColumn: Int, width: Int = 100) -> String {
        var out = "["
        var column = firstColumn + 1
        for (k, item) in items.enumerated() {
            let piece = item + (k + 1 < items.count ? "," : "")
            if k > 0 {
                if column + 1 + piece.count > width {
                    out += "\n" + String(repeating: " ", count: indent)
                    column = indent
                } else {
                    out += " "
                    column += 1
                }
            }
            out += piece
            column += piece.count
        }
        return out + "]"
    }
}
