import Foundation

/// Small helpers for writing JSON by hand with a fixed key order (people read these files).
public enum JSONText {
    /// A number in its shortest exact form (as in MPS files), or `null` when not finite or absent.
    public static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return value == 0 ? "0" : MPSWriter.number(value)
    }

    public static func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `{"k": v, ...}` from already-encoded values, in the given order.
    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
