import Foundation

/// Reads MPS files (fixed and free format, with QUADOBJ/QMATRIX quadratic objectives) into a
/// ``LinearProgram``.
///
/// Written in Swift rather than calling `Clp_readMps` because users need errors that name the
/// file and line, and every later layer needs the row and column names. Conventions follow
/// CPLEX, HiGHS and CLP: the first N row is the objective and later N rows are dropped; an RHS on
/// the objective row is the negated objective constant; a negative UP bound on a column with no
/// explicit lower bound makes the lower bound -∞; |value| ≥ ``infinity`` in RHS, RANGES and
/// BOUNDS means infinite. Integer columns (MARKER or BV/LI/UI) are kept as flags; Parley solves
/// the LP relaxation.
public struct MPSReader: Sendable {
    /// How data lines are split into fields.
    public enum Format: String, Sendable, CaseIterable {
        /// Split on white space; a line that does not parse so is retried with fixed columns.
        case auto
        /// Split on white space only (names may not contain spaces).
        case free
        /// Fixed columns 2–3, 5–12, 15–22, 25–36, 40–47, 50–61 (names may contain spaces).
        case fixed
    }

    public var format: Format
    /// Values at or beyond this magnitude in RHS, RANGES and BOUNDS are read as infinite.
    public var infinity: Double

    public init(format: Format = .auto, infinity: Double = 1e30) {
        self.format = format
        self.infinity = infinity
    }

    /// Reads the file at `path`.
    public func read(path: String) throws(ModelFileError) -> LinearProgram {
        // Plain POSIX reads: Foundation's Data adds a copy and start-up cost on every file.
        guard let handle = fopen(path, "rb") else {
            throw ModelFileError(file: path, line: nil, message: "cannot read file: \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(handle) != 0 {
                    throw ModelFileError(file: path, line: nil, message: "cannot read file: \(String(cString: strerror(errno)))")
                }
                break
            }
        }
        return try parse(bytes, file: path)
    }

    /// Parses MPS text held in memory; `file` is used in error messages only.
    public func parse(_ bytes: [UInt8], file: String) throws(ModelFileError) -> LinearProgram {
        let parser = bytes.withUnsafeBufferPointer {
            MPSParser(bytes: $0, file: file, format: format, infinity: infinity)
        }
        return try parser.run()
    }

    /// Parses MPS text held in a string.
    public func parse(_ text: String, file: String) throws(ModelFileError) -> LinearProgram {
        try parse(Array(text.utf8), file: file)
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if ns.domain == NSCocoaErrorDomain && ns.code == NSFileReadNoSuchFileError {
            return "No such file or directory"
        }
        return ns.localizedDescription
    }
}

/// The parsing state for one file: a class, so that closures over it (error messages built on
/// demand) do not copy its arrays. Each data line is parsed into a ``Line`` action first and
/// applied only when it parsed completely, so a line that fails in free format can be retried in
/// fixed format without leaving half its effects behind.
final class MPSParser {
    enum Section: String {
        case none = "", name = "NAME", rows = "ROWS", columns = "COLUMNS", rhs = "RHS", ranges = "RANGES"
        case bounds = "BOUNDS", quadobj = "QUADOBJ", qmatrix = "QMATRIX", objsense = "OBJSENSE"
        case objname = "OBJNAME"
    }

    enum RowType { case objective, free, lessEqual, greaterEqual, equal }

    /// A field of the current line: a range of byte offsets into the file.
    struct Token {
        var start: Int
        var end: Int
        var count: Int { end - start }
    }

    /// The parser's own copy of the file, so fields and names can point into it.
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    let format: MPSReader.Format
    let infinity: Double

    var lineNumber = 0
    /// Fields of the current line; reused so a line costs no allocation.
    var fields: [Token] = []
    /// The column of the previous COLUMNS line, to skip the name look-up on consecutive lines.
    var lastColumn: (token: Token, index: Int)?
    var section = Section.none
    var seen: Set<String> = []
    var name = ""
    var sense = ObjectiveSense.minimize

    // Rows. Index -1 marks the objective row, -2 a dropped N row.
    var objectiveRowName: String?
    /// Every ROWS name; `rowSlot` maps its table index to the row index, -1 for the objective
    /// row, -2 for a dropped N row.
    var rowTable = NameTable(capacity: 4096)
    var rowSlot: [Int] = []
    /// The ROWS line of each `rowTable` entry, for duplicate-row messages.
    var rowLine: [Int] = []
    var rowNames: [String] = []
    var rowTypes: [RowType] = []

    // Columns.
    var columnTable = NameTable(capacity: 4096)
    var columnNames: [String] = []
    var objective: [Double] = []
    var objectiveLine: [Int] = []
    var isInteger: [Bool] = []
    var inIntegerBlock = false
    var entries: [(row: Int, column: Int, value: Double, line: Int)] = []

    // RHS and RANGES.
    var rhsSet: String?
    var rhs: [Double] = []
    var rhsLine: [Int] = []
    var objectiveConstant = 0.0
    var rangeSet: String?
    var range: [Double?] = []
    var rangeLine: [Int] = []

    // Bounds.
    var boundSet: String?
    var lower: [Double] = []
    var upper: [Double] = []
    var lowerSet: [Bool] = []

    // Quadratic objective.
    var quadratic: [Int64: Double] = [:]
    var quadraticLine: [Int64: Int] = [:]

    init(bytes source: UnsafeBufferPointer<UInt8>, file: String, format: MPSReader.Format, infinity: Double) {
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, source.count))
        _ = copy.initialize(from: source)
        bytes = UnsafeBufferPointer(rebasing: copy[0..<source.count])
        // About one matrix entry per 25 bytes of a typical file: reserve to avoid regrowth.
        entries.reserveCapacity(source.count / 25)
        self.file = file
        self.format = format
        self.infinity = infinity
    }

    deinit {
        bytes.deallocate()
    }

    func find(_ table: NameTable, _ t: Token) -> Int? {
        table.find(bytes, start: t.start, length: t.count)
    }

    func fail(_ message: String, line: Int? = nil) -> ModelFileError {
        ModelFileError(file: file, line: line ?? lineNumber, message: message)
    }

    /// An error about the file as a whole, reported without a line number.
    func failFile(_ message: String) -> ModelFileError {
        ModelFileError(file: file, line: nil, message: message)
    }

    func run() throws(ModelFileError) -> LinearProgram {
        var start = 0
        var ended = false
        let count = bytes.count
        while start < count && !ended {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = start..<lineEnd
            start = end + 1
            ended = try handle(line: line)
        }
        if !ended {
            if !seen.contains("ROWS") { throw failFile("missing ROWS section") }
            if !seen.contains("COLUMNS") { throw failFile("missing COLUMNS section") }
            throw failFile("missing ENDATA: the file ends after line \(lineNumber) (truncated?)")
        }
        return try finish()
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    func text(_ t: Token) -> String { String(decoding: bytes[t.start..<t.end], as: UTF8.self) }

    /// Whether a field equals `word` in ASCII, ignoring case.
    func matches(_ t: Token, _ word: StaticString) -> Bool {
        guard t.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<t.count {
            let a = bytes[t.start + k]
            let b = w[k]
            if a != b && !(a >= 0x61 && a <= 0x7A && a - 0x20 == b) { return false }
        }
        return true
    }

    func same(_ a: Token, _ b: Token) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<a.count where bytes[a.start + k] != bytes[b.start + k] { return false }
        return true
    }

    static func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into tokens: inout [Token]) {
        tokens.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            while i < end && isSpace(bytes[i]) { i += 1 }
            if i == end { break }
            let s = i
            while i < end && !isSpace(bytes[i]) { i += 1 }
            tokens.append(Token(start: s, end: i))
        }
    }

    /// Fixed-format fields 1–6 (1-based columns 2–3, 5–12, 15–22, 25–36, 40–47, 50–61), trimmed;
    /// blank fields are left out, which gives the same shapes as free format.
    ///
    /// One extension: when the only thing from column 25 on is a single word that starts in
    /// field 4 and runs past column 36, that word is field 4. ``MPSWriter`` writes lines with a
    /// space in a name this way, to keep the value in full precision (up to 24 characters);
    /// in a file that keeps to the columns, such a word would be a malformed line anyway.
    static func fixedFields(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> [Token] {
        var spans = [(1, 3), (4, 12), (14, 22), (24, 36), (39, 47), (49, 61)]
        var tokens: [Token] = []
        var longValue: Token?
        if line.count > 36 {
            var rest: [Token] = []
            split(bytes, (line.lowerBound + 24)..<line.upperBound, into: &rest)
            if rest.count == 1 && rest[0].start < line.lowerBound + 36 {
                longValue = rest[0]
                spans.removeLast(3)
            }
        }
        for (a, b) in spans {
            let lo = line.lowerBound + a
            if lo >= line.upperBound { break }
            let hi = min(line.lowerBound + b, line.upperBound)
            var s = lo
            var e = hi
            while s < e && isSpace(bytes[s]) { s += 1 }
            while e > s && isSpace(bytes[e - 1]) { e -= 1 }
            if s < e { tokens.append(Token(start: s, end: e)) }
        }
        if let longValue { tokens.append(longValue) }
        return tokens
    }

    /// Handles one line; returns true at ENDATA.
    func handle(line: Range<Int>) throws(ModelFileError) -> Bool {
        guard !line.isEmpty else { return false }
        let first = bytes[line.lowerBound]
        if first == UInt8(ascii: "*") { return false }
        Self.split(bytes, line, into: &fields)
        if !Self.isSpace(first) {
            return try header(fields)
        }
        if fields.isEmpty { return false }
        switch format {
        case .free:
            try apply(parse(fields))
        case .fixed:
            try apply(parse(Self.fixedFields(bytes, line)))
        case .auto:
            do {
                try apply(parse(fields))
            } catch let freeError {
                // A name with a space in it only parses in fixed columns; otherwise the
                // free-format message is the clearer one.
                guard let action = try? parse(Self.fixedFields(bytes, line)) else { throw freeError }
                try apply(action)
            }
        }
        return false
    }

    func header(_ tokens: [Token]) throws(ModelFileError) -> Bool {
        let keyword = text(tokens[0]).uppercased()
        if keyword == "ENDATA" {
            if !seen.contains("ROWS") { throw fail("missing ROWS section before ENDATA") }
            if !seen.contains("COLUMNS") { throw fail("missing COLUMNS section before ENDATA") }
            return true
        }
        guard let next = Section(rawValue: keyword), next != .none else {
            throw fail("unknown section '\(text(tokens[0]))'")
        }
        if seen.contains(keyword) && next != .objsense {
            throw fail("section \(keyword) appears twice")
        }
        let order: [Section] = [.rows, .columns, .rhs, .ranges, .bounds]
        if let i = order.firstIndex(of: next) {
            for later in order[(i + 1)...] where seen.contains(later.rawValue) {
                throw fail("section \(keyword) must come before \(later.rawValue)")
            }
            if next != .rows && !seen.contains("ROWS") {
                throw fail("section \(keyword) before ROWS")
            }
            if next != .rows && next != .columns && !seen.contains("COLUMNS") {
                throw fail("section \(keyword) before COLUMNS")
            }
        }
        if next == .quadobj || next == .qmatrix {
            if !seen.contains("COLUMNS") { throw fail("section \(keyword) before COLUMNS") }
        }
        seen.insert(keyword)
        section = next
        switch next {
        case .name:
            name = tokens.dropFirst().map { text($0) }.joined(separator: " ")
        case .objsense where tokens.count > 1:
            sense = try parseSense(tokens[1])
            section = .none
        case .columns:
            prepareColumnsSection()
        default:
            break
        }
        return false
    }

    func parseSense(_ token: Token) throws(ModelFileError) -> ObjectiveSense {
        switch text(token).uppercased() {
        case "MAX", "MAXIMIZE", "MAXIMISE": return .maximize
        case "MIN", "MINIMIZE", "MINIMISE": return .minimize
        default: throw fail("unknown objective sense '\(text(token))' (expected MAX or MIN)")
        }
    }

    func prepareColumnsSection() {
        rhs = Array(repeating: 0, count: rowNames.count)
        rhsLine = Array(repeating: 0, count: rowNames.count)
        range = Array(repeating: nil, count: rowNames.count)
        rangeLine = Array(repeating: 0, count: rowNames.count)
    }

    // MARK: Data lines

    enum Line {
        case row(Token, RowType)
        case entries(column: Token, (Int, Double)?, (Int, Double)?, objective: Double?)
        case marker(integer: Bool)
        case rhs(set: String?, [(String, Int, Double)])
        case ranges(set: String?, [(Int, Double)])
        case bound(set: String?, type: String, column: Int, value: Double?)
        case quadratic(Int, Int, Double)
        case sense(ObjectiveSense)
        case ignored
    }

    /// Parses a finite number; `infinite` says the field may be infinite, written as ±``infinity``.
    func number(_ token: Token, what: @autoclosure () -> String, infinite: Bool = false) throws(ModelFileError)
        -> Double
    {
        let buffer = UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])
        let value: Double? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: buffer.count + 1) { tmp in
                for (k, b) in buffer.enumerated() { tmp[k] = CChar(bitPattern: b) }
                tmp[buffer.count] = 0
                var end: UnsafeMutablePointer<CChar>?
                let v = strtod(tmp.baseAddress!, &end)
                guard let end, end - tmp.baseAddress! == buffer.count, buffer.count > 0 else { return nil }
                return v
        }
        guard let value else { throw fail("bad number '\(text(token))' for \(what())") }
        guard value.isFinite else {
            let hint = infinite && value.isInfinite ? " (write \(infinity) for infinity)" : ""
            throw fail("\(what()) is '\(text(token))', which is not a finite number\(hint)")
        }
        return value
    }

    func row(_ token: Token, in sectionName: String) throws(ModelFileError) -> Int? {
        if let k = find(rowTable, token) {
            let slot = rowSlot[k]
            return slot == -2 ? nil : slot
        }
        throw fail("unknown row '\(text(token))' in \(sectionName)")
    }

    func column(_ token: Token, in sectionName: String) throws(ModelFileError) -> Int {
        guard let j = find(columnTable, token) else { throw fail("unknown column '\(text(token))' in \(sectionName)") }
        return j
    }

    func parse(_ t: [Token]) throws(ModelFileError) -> Line {
        switch section {
        case .none, .name, .objname:
            if section == .objname { return .ignored }
            throw fail("data line outside any section")
        case .objsense:
            guard t.count == 1 else { throw fail("OBJSENSE takes one word, MAX or MIN") }
            return .sense(try parseSense(t[0]))
        case .rows:
            guard t.count == 2 else { throw fail("ROWS line needs a type and a name, found \(t.count) fields") }
            let type: RowType
            switch text(t[0]).uppercased() {
            case "N": type = .free
            case "L": type = .lessEqual
            case "G": type = .greaterEqual
            case "E": type = .equal
            default: throw fail("unknown row type '\(text(t[0]))' (expected N, L, G or E)")
            }
            if let k = find(rowTable, t[1]) {
                throw fail("duplicate row '\(text(t[1]))' (first at line \(rowLine[k]))")
            }
            return .row(t[1], type)
        case .columns:
            if t.count >= 3, matches(t[1], "'MARKER'") {
                if matches(t[2], "'INTORG'") { return .marker(integer: true) }
                if matches(t[2], "'INTEND'") { return .marker(integer: false) }
                throw fail("unknown MARKER type \(text(t[2])) (expected 'INTORG' or 'INTEND')")
            }
            guard t.count == 3 || t.count == 5 else {
                throw fail("COLUMNS line needs a column and one or two (row, value) pairs, found \(t.count) fields")
            }
            var pairs: (first: (Int, Double)?, second: (Int, Double)?) = (nil, nil)
            var objectiveValue: Double?
            for k in stride(from: 1, to: t.count, by: 2) {
                let r = try row(t[k], in: "COLUMNS")
                let v = try number(t[k + 1], what: "coefficient of column '\(text(t[0]))' in row '\(text(t[k]))'")
                guard let r else { continue }
                if r == -1 {
                    if objectiveValue != nil { throw fail("duplicate entry for column '\(text(t[0]))' in row '\(text(t[k]))'") }
                    objectiveValue = v
                } else {
                    if let first = pairs.first {
                        if first.0 == r { throw fail("duplicate entry for column '\(text(t[0]))' in row '\(text(t[k]))'") }
                        pairs.second = (r, v)
                    } else {
                        pairs.first = (r, v)
                    }
                }
            }
            return .entries(column: t[0], pairs.first, pairs.second, objective: objectiveValue)
        case .rhs, .ranges:
            let name = section == .rhs ? "RHS" : "RANGES"
            guard (2...5).contains(t.count) else {
                throw fail("\(name) line needs an optional set name and one or two (row, value) pairs, found \(t.count) fields")
            }
            let hasSet = t.count % 2 == 1
            let set = hasSet ? text(t[0]) : nil
            var values: [(String, Int, Double)] = []
            for k in stride(from: hasSet ? 1 : 0, to: t.count, by: 2) {
                let r = try row(t[k], in: name)
                let v = try number(t[k + 1], what: "\(name) value of row '\(text(t[k]))'", infinite: true)
                guard let r else { continue }
                values.append((text(t[k]), r, v))
            }
            if section == .rhs { return .rhs(set: set, values) }
            if let objective = values.first(where: { $0.1 == -1 }) {
                throw fail("RANGES entry for the objective row '\(objective.0)'")
            }
            return .ranges(set: set, values.map { ($0.1, $0.2) })
        case .bounds:
            guard t.count >= 2 else { throw fail("BOUNDS line needs a type, an optional set name and a column") }
            let type = text(t[0]).uppercased()
            let needsValue: Bool
            switch type {
            case "UP", "LO", "FX", "LI", "UI": needsValue = true
            // SC's value is optional; the line is read only far enough to name the column.
            case "FR", "MI", "PL", "BV", "SC": needsValue = false
            default: throw fail("unknown bound type '\(text(t[0]))' (expected UP, LO, FX, FR, MI, PL, BV, LI or UI)")
            }
            let hasSet: Bool
            switch (needsValue, t.count) {
            case (true, 4):
                hasSet = true
            case (false, 3) where find(columnTable, t[1]) == nil || find(columnTable, t[2]) != nil:
                hasSet = true
            case (true, 3), (false, 2): hasSet = false
            case (false, 3): hasSet = false  // "BV col value" with a value and no set name
            case (false, 4): hasSet = true
            default: throw fail("BOUNDS line of type \(type) has \(t.count) fields")
            }
            let c = try column(t[hasSet ? 2 : 1], in: "BOUNDS")
            if type == "SC" {
                throw fail("semi-continuous bound (SC) on column '\(text(t[hasSet ? 2 : 1]))' is not supported")
            }
            let valueIndex = hasSet ? 3 : 2
            var value: Double?
            if valueIndex < t.count {
                value = try number(
                    t[valueIndex], what: "\(type) bound of column '\(text(t[hasSet ? 2 : 1]))'", infinite: true)
            }
            return .bound(set: hasSet ? text(t[1]) : nil, type: type, column: c, value: value)
        case .quadobj, .qmatrix:
            guard t.count == 3 else { throw fail("\(section.rawValue) line needs two columns and a value, found \(t.count) fields") }
            let i = try column(t[0], in: section.rawValue)
            let j = try column(t[1], in: section.rawValue)
            let v = try number(t[2], what: "quadratic coefficient of ('\(text(t[0]))', '\(text(t[1]))')")
            return .quadratic(i, j, v)
        }
    }

    func apply(_ line: Line) throws(ModelFileError) {
        switch line {
        case .ignored:
            break
        case .sense(let s):
            sense = s
        case .row(let token, let type):
            let n = text(token)
            rowTable.insert(bytes, start: token.start, length: token.count)
            rowLine.append(lineNumber)
            if type == .free {
                if objectiveRowName == nil {
                    objectiveRowName = n
                    rowSlot.append(-1)
                } else {
                    rowSlot.append(-2)
                }
            } else {
                rowSlot.append(rowNames.count)
                rowNames.append(n)
                rowTypes.append(type)
            }
        case .marker(let integer):
            inIntegerBlock = integer
        case .entries(let token, let first, let second, let objectiveValue):
            var j = -1
            if let last = lastColumn, same(last.token, token) {
                j = last.index
            } else {
                j = find(columnTable, token) ?? -1
            }
            if j < 0 {
                let columnName = text(token)
                j = columnNames.count
                columnTable.insert(bytes, start: token.start, length: token.count)
                columnNames.append(columnName)
                objective.append(0)
                objectiveLine.append(0)
                isInteger.append(inIntegerBlock)
            }
            if let objectiveValue {
                if objectiveLine[j] != 0 {
                    throw fail(
                        "duplicate entry for column '\(text(token))' in row '\(objectiveRowName ?? "")' "
                            + "(first at line \(objectiveLine[j]))")
                }
                objective[j] = objectiveValue
                objectiveLine[j] = lineNumber
            }
            lastColumn = (token, j)
            if let (r, v) = first { entries.append((r, j, v, lineNumber)) }
            if let (r, v) = second { entries.append((r, j, v, lineNumber)) }
        case .rhs(let set, let values):
            if rhsSet == nil { rhsSet = set ?? "" }
            guard rhsSet == (set ?? "") else { return }  // only the first RHS set is used
            for (n, r, v) in values {
                if r == -1 {
                    objectiveConstant = -v
                    continue
                }
                if rhsLine[r] != 0 { throw fail("duplicate RHS for row '\(n)' (first at line \(rhsLine[r]))") }
                rhs[r] = v
                rhsLine[r] = lineNumber
            }
        case .ranges(let set, let values):
            if rangeSet == nil { rangeSet = set ?? "" }
            guard rangeSet == (set ?? "") else { return }
            for (r, v) in values {
                if range[r] != nil {
                    throw fail("duplicate RANGES entry for row '\(rowNames[r])' (first at line \(rangeLine[r]))")
                }
                range[r] = v
                rangeLine[r] = lineNumber
            }
        case .bound(let set, let type, let j, let value):
            if lower.isEmpty {
                lower = Array(repeating: 0, count: columnNames.count)
                upper = Array(repeating: .infinity, count: columnNames.count)
                lowerSet = Array(repeating: false, count: columnNames.count)
            }
            if boundSet == nil { boundSet = set ?? "" }
            guard boundSet == (set ?? "") else { return }
            let v = value.map { abs($0) >= infinity ? ($0 > 0 ? Double.infinity : -.infinity) : $0 }
            switch type {
            case "UP", "UI":
                upper[j] = v!
                if v! < 0 && !lowerSet[j] { lower[j] = -.infinity }
                if type == "UI" { isInteger[j] = true }
            case "LO", "LI":
                lower[j] = v!
                lowerSet[j] = true
                if type == "LI" { isInteger[j] = true }
            case "FX":
                lower[j] = v!
                upper[j] = v!
                lowerSet[j] = true
            case "FR":
                lower[j] = -.infinity
                upper[j] = .infinity
                lowerSet[j] = true
            case "MI":
                lower[j] = -.infinity
                lowerSet[j] = true
            case "PL":
                upper[j] = .infinity
            case "BV":
                lower[j] = 0
                upper[j] = 1
                lowerSet[j] = true
                isInteger[j] = true
            default:
                break
            }
        case .quadratic(let i, let j, let v):
            let key = Int64(min(i, j)) << 32 | Int64(max(i, j))
            if section == .quadobj {
                if let first = quadraticLine[key] {
                    throw fail(
                        "duplicate QUADOBJ entry for ('\(columnNames[i])', '\(columnNames[j])') (first at line \(first)); "
                            + "QUADOBJ lists each off-diagonal pair once")
                }
                quadratic[key] = v
            } else {
                // QMATRIX lists the full symmetric matrix: each off-diagonal pair twice.
                quadratic[key, default: 0] += i == j ? v : v / 2
            }
            quadraticLine[key] = lineNumber
        }
    }

    // MARK: Assembly

    func finish() throws(ModelFileError) -> LinearProgram {
        guard objectiveRowName != nil else { throw failFile("no objective row: ROWS has no N row") }
        let m = rowNames.count
        let n = columnNames.count
        if rhs.isEmpty { prepareColumnsSection() }
        if lower.isEmpty {
            lower = Array(repeating: 0, count: n)
            upper = Array(repeating: .infinity, count: n)
        }
        // Column-major order with a stable sort by row finds duplicates and keeps their lines.
        entries.sort { ($0.column, $0.row, $0.line) < ($1.column, $1.row, $1.line) }
        var starts = Array(repeating: 0, count: n + 1)
        var rows: [Int] = []
        var values: [Double] = []
        rows.reserveCapacity(entries.count)
        values.reserveCapacity(entries.count)
        var previous: (row: Int, column: Int, line: Int)? = nil
        for e in entries {
            if let p = previous, p.row == e.row, p.column == e.column {
                throw fail(
                    "duplicate entry for column '\(columnNames[e.column])' in row '\(rowNames[e.row])' "
                        + "(first at line \(p.line))", line: e.line)
            }
            previous = (e.row, e.column, e.line)
            starts[e.column + 1] += 1
            if e.value != 0 {
                rows.append(e.row)
                values.append(e.value)
            } else {
                starts[e.column + 1] -= 1
            }
        }
        for j in 0..<n { starts[j + 1] += starts[j] }

        var rowLower = Array(repeating: -Double.infinity, count: m)
        var rowUpper = Array(repeating: Double.infinity, count: m)
        func finite(_ v: Double) -> Double { abs(v) >= infinity ? (v > 0 ? .infinity : -.infinity) : v }
        for i in 0..<m {
            let b = finite(rhs[i])
            switch rowTypes[i] {
            case .lessEqual: rowUpper[i] = b
            case .greaterEqual: rowLower[i] = b
            case .equal:
                rowLower[i] = b
                rowUpper[i] = b
            case .objective, .free: break
            }
            guard let r = range[i] else { continue }
            let width = abs(finite(r))
            switch rowTypes[i] {
            case .lessEqual: rowLower[i] = b - width
            case .greaterEqual: rowUpper[i] = b + width
            case .equal:
                if r >= 0 { rowUpper[i] = b + width } else { rowLower[i] = b - width }
            case .objective, .free: break
            }
        }
        let terms = quadratic.sorted { $0.key < $1.key }.compactMap { key, value -> QuadraticTerm? in
            value == 0 ? nil : QuadraticTerm(row: Int(key >> 32), column: Int(key & 0xFFFF_FFFF), value: value)
        }
        return LinearProgram(
            name: name, sense: sense, objectiveName: objectiveRowName ?? "obj", objective: objective,
            objectiveConstant: objectiveConstant, quadratic: terms,
            matrix: SparseMatrix(rowCount: m, columnStarts: starts, rowIndices: rows, values: values),
            columnLower: lower, columnUpper: upper, rowLower: rowLower, rowUpper: rowUpper,
            columnNames: columnNames, rowNames: rowNames, isInteger: isInteger)
    }
}
