/// The fields of the CSV files Parley writes (plans, linking tables), as RFC 4180 has them: a
/// name with a comma, a double quote or a line break is written in double quotes with its quotes
/// doubled, so that a spreadsheet or Python's `csv` reads it back as one field. MPS names may hold
/// any of these but spaces; most need no quotes, and are written as they are.
public enum CSVText {
    /// `text` as one CSV field.
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A line of a table whose first field is a name and whose last `trailing` fields are
    /// numbers (or empty): the name, unquoted, and those fields. A name without quotes is taken
    /// whole up to the trailing fields, commas and all, as files before quoting wrote them. Nil
    /// for a line with too few fields or a quoted name not closed before its comma.
    public static func split(_ line: Substring, trailing: Int) -> (name: String, fields: [Substring])? {
        guard line.first == "\"" else {
            let parts = line.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count > trailing else { return nil }
            return (parts.dropLast(trailing).joined(separator: ","), Array(parts.suffix(trailing)))
        }
        var name = ""
        var rest = line.dropFirst()
        while true {
            guard let quote = rest.firstIndex(of: "\"") else { return nil }
            name += rest[..<quote]
            rest = rest[rest.index(after: quote)...]
            guard rest.first == "\"" else { break }
            name += "\""  // a doubled quote inside the name
            rest = rest.dropFirst()
        }
        guard trailing == 0 ? rest.isEmpty : rest.first == "," else { return nil }
        let fields = trailing == 0 ? [] : rest.dropFirst().split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == trailing else { return nil }
        return (name, fields)
    }
}
