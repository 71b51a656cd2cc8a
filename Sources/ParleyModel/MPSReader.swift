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
        // One buffer of the file's size, read in one call and parsed in place: no chunk copies
        // and no regrowth (each fresh page is a page fault). It still grows if the file does.
        var info = stat()
        var capacity = fstat(fileno(handle), &info) == 0 && info.st_size > 0 ? Int(info.st_size) + 1 : 1 << 16
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 4096)
        defer { buffer.deallocate() }
        #if os(Linux)
        // Map the buffer's pages in one call rather than one fault per page while reading into
        // it: about 7% of reading pds-02 in a new process. Only a hint; older kernels refuse.
        _ = madvise(buffer, capacity, MADV_POPULATE_WRITE)
        #endif
        var count = 0
        while true {
            let n = fread(buffer + count, 1, capacity - count, handle)
            count += n
            if count < capacity {
                if ferror(handle) != 0 {
                    throw ModelFileError(file: path, line: nil, message: "cannot read file: \(String(cString: strerror(errno)))")
                }
                break
            }
            let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
            larger.copyMemory(from: buffer, byteCount: count)
            buffer.deallocate()
            buffer = larger
            capacity *= 2
        }
        let bytes = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self), count: count)
        var parser = MPSParser(bytes: bytes, file: path, format: format, infinity: infinity)
        return try parser.run()
    }

    /// Parses MPS text held in memory; `file` is used in error messages only.
    public func parse(_ bytes: [UInt8], file: String) throws(ModelFileError) -> LinearProgram {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ModelFileError) -> LinearProgram in
            var parser = MPSParser(bytes: buffer, file: file, format: format, infinity: infinity)
            return try parser.run()
        }
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
        // FileManager's own errors (creating directories) carry no POSIX code: say what the
        // system would, rather than "The operation could not be completed. …".
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return String(cString: strerror(ENOENT))
            case NSFileWriteFileExistsError: return String(cString: strerror(EEXIST))
            case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return String(cString: strerror(EACCES))
            case NSFileWriteVolumeReadOnlyError: return String(cString: strerror(EROFS))
            case NSFileWriteOutOfSpaceError: return String(cString: strerror(ENOSPC))
            default: break
            }
        }
        return ns.localizedDescription
    }
}

/// The parsing state for one file. A struct, not a class: its methods then reach the arrays
/// through `self` passed inout, which the compiler checks for exclusive access statically, where a
/// class pays a run-time check (and a retain) on every property access of every line. Each data
/// line is parsed into a ``Line`` action first and applied only when it parsed completely, so a
/// line that fails in free format can be retried in fixed format without leaving half its effects
/// behind; COLUMNS and ROWS lines of the common shape take a direct path with the same effect
/// (``columnsLine(_:)``, ``rowsLine(_:)``).
struct MPSParser {
    enum Section: String {
        case none = "", name = "NAME", rows = "ROWS", columns = "COLUMNS", rhs = "RHS", ranges = "RANGES"
        case bounds = "BOUNDS", quadobj = "QUADOBJ", qmatrix = "QMATRIX", objsense = "OBJSENSE"
        case objname = "OBJNAME"

        var bit: UInt16 {
            switch self {
            case .none: 1 << 0
            case .name: 1 << 1
            case .rows: 1 << 2
            case .columns: 1 << 3
            case .rhs: 1 << 4
            case .ranges: 1 << 5
            case .bounds: 1 << 6
            case .quadobj: 1 << 7
            case .qmatrix: 1 << 8
            case .objsense: 1 << 9
            case .objname: 1 << 10
            }
        }
    }

    /// The sections met so far, a bit each. A `Set<String>` here made the runtime look up its
    /// generic metadata on first use, which cost more than reading a small file.
    struct Sections {
        private var bits: UInt16 = 0
        func contains(_ section: Section) -> Bool { bits & section.bit != 0 }
        mutating func insert(_ section: Section) { bits |= section.bit }
    }

    enum RowType { case objective, free, lessEqual, greaterEqual, equal }

    /// A field of the current line: a range of byte offsets into the file.
    struct Token {
        var start: Int
        var end: Int
        var count: Int { end - start }
    }

    /// The file's bytes, owned by the caller for the whole parse; fields and names point into it.
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    let format: MPSReader.Format
    let infinity: Double

    var lineNumber = 0
    /// Fields of the current line; reused so a line costs no allocation.
    var fields: [Token] = []
    /// The same line's fields by fixed columns, when it is read that way.
    var fixedColumns: [Token] = []
    /// Auto format, once a data line has read only in fixed columns (a name with a space): the
    /// file keeps to the columns, so later data lines try them first and free format second,
    /// instead of failing free format on nearly every line first (forplan's names all have
    /// spaces: reading took 30% of its read-and-solve). Either way a line is read the one way
    /// that parses, and a line that neither reads gets the free-format message.
    var columnsFirst = false
    /// The column of the previous COLUMNS line, to skip the name look-up on consecutive lines.
    var lastColumn: (token: Token, index: Int)?
    var section = Section.none
    var seen = Sections()
    var name = ""
    var sense = ObjectiveSense.minimize

    // Rows. Index -1 marks the objective row, -2 a dropped N row.
    var objectiveRowName: String?
    /// Every ROWS name; `rowSlot` maps its table index to the row index, -1 for the objective
    /// row, -2 for a dropped N row.
    var rowTable: NameTable
    var rowSlot: [Int] = []
    /// The ROWS line of each `rowTable` entry, for duplicate-row messages.
    var rowLine: [Int] = []
    var rowNames: [String] = []
    var rowTypes: [RowType] = []

    // Columns.
    var columnTable: NameTable
    var columnNames: [String] = []
    var objective: [Double] = []
    var objectiveLine: [Int] = []
    var isInteger: [Bool] = []
    var inIntegerBlock = false
    /// Matrix entries in file order, which is column order unless a column's lines are split.
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
    /// Where the first BOUNDS line named `boundSet`, to compare later set names as bytes first.
    var boundSetToken: Token?
    var lower: [Double] = []
    var upper: [Double] = []
    var lowerSet: [Bool] = []

    // Quadratic objective.
    var quadratic: [Int64: Double] = [:]
    var quadraticLine: [Int64: Int] = [:]

    init(bytes: UnsafeBufferPointer<UInt8>, file: String, format: MPSReader.Format, infinity: Double) {
        self.bytes = bytes
        // About one matrix entry per 25 bytes of a typical file: reserve to avoid regrowth.
        entries.reserveCapacity(bytes.count / 25)
        // And at most a column per 32 bytes (a row per 64). Only the part used is ever touched,
        // where growing by doubling copies each array and touches fresh pages for it (page
        // faults are a good part of reading a file in a new process). Capped, so that a huge
        // file reserves no more than it can use before growing as usual.
        let columnEstimate = min(bytes.count / 32, 1 << 20)
        columnTable = NameTable(capacity: 4096, reserve: columnEstimate)
        columnNames.reserveCapacity(columnEstimate)
        objective.reserveCapacity(columnEstimate)
        objectiveLine.reserveCapacity(columnEstimate)
        isInteger.reserveCapacity(columnEstimate)
        let rowEstimate = min(bytes.count / 64, 1 << 20)
        rowTable = NameTable(capacity: 4096, reserve: rowEstimate)
        rowSlot.reserveCapacity(rowEstimate)
        rowLine.reserveCapacity(rowEstimate)
        rowNames.reserveCapacity(rowEstimate)
        rowTypes.reserveCapacity(rowEstimate)
        self.file = file
        self.format = format
        self.infinity = infinity
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

    mutating func run() throws(ModelFileError) -> LinearProgram {
        var start = 0
        var ended = false
        let count = bytes.count
        // Fixed format reads every line by columns; free and auto try white space first.
        let direct = format != .fixed
        while start < count && !ended {
            var end = count
            if let newline = memchr(bytes.baseAddress! + start, 0x0A, count - start) {
                end = bytes.baseAddress!.distance(to: newline.assumingMemoryBound(to: UInt8.self))
            }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = start..<lineEnd
            start = end + 1
            if direct && !columnsFirst && lineEnd > line.lowerBound && Self.isSpace(bytes[line.lowerBound]) {
                if section == .columns && columnsLine(line) { continue }
                if section == .rows && rowsLine(line) { continue }
                if section == .bounds && boundsLine(line) { continue }
            }
            ended = try handle(line: line)
        }
        if !ended {
            if !seen.contains(.rows) { throw failFile("missing ROWS section") }
            if !seen.contains(.columns) { throw failFile("missing COLUMNS section") }
            throw failFile("missing ENDATA: the file ends after line \(lineNumber) (truncated?)")
        }
        return try finish()
    }

    /// Applies a COLUMNS line of the common shape — a column and one or two (row, value) pairs,
    /// split on white space — straight from the bytes, without the field array or a ``Line``.
    /// Most of a file is such lines. Returns false, having changed nothing, for anything else (a
    /// marker, another field count, an unknown row, a bad or infinite number, a duplicate): that
    /// line then takes ``handle(line:)``, which gives the same effect or the exact message. Only
    /// for free and auto format, where such a line is read as free format first.
    mutating func columnsLine(_ line: Range<Int>) -> Bool {
        // No nested functions over `self` here: capturing it copies the whole parser.
        let end = line.upperBound
        var i = line.lowerBound
        guard let columnToken = Self.field(bytes, &i, end), let row1 = Self.field(bytes, &i, end),
            let value1 = Self.field(bytes, &i, end)
        else { return false }
        var second: (row: Token, value: Token)?
        if let row2 = Self.field(bytes, &i, end) {
            guard let value2 = Self.field(bytes, &i, end) else { return false }
            second = (row2, value2)
        }
        if Self.field(bytes, &i, end) != nil || Self.matches(bytes, row1, "'MARKER'") { return false }

        // The same checks, in the same order, as `parse` and `apply`.
        var objectiveValue: Double?
        var first: (row: Int, value: Double)?
        var other: (row: Int, value: Double)?
        for pair in 0..<(second == nil ? 1 : 2) {
            let (rowToken, valueToken) = pair == 0 ? (row1, value1) : second!
            guard let k = rowTable.find(bytes, start: rowToken.start, length: rowToken.count),
                let v = Self.value(bytes, valueToken), v.isFinite
            else { return false }
            let r = rowSlot[k]
            if r == -2 { continue }
            if r == -1 {
                if objectiveValue != nil { return false }
                objectiveValue = v
            } else if let f = first {
                if f.row == r { return false }
                other = (r, v)
            } else {
                first = (r, v)
            }
        }

        let j: Int
        if let last = lastColumn, Self.same(bytes, last.token, columnToken) {
            j = last.index
        } else {
            let (index, added) = columnTable.findOrInsert(bytes, start: columnToken.start, length: columnToken.count)
            j = index
            if added {
                columnNames.append(Self.text(bytes, columnToken))
                objective.append(0)
                objectiveLine.append(0)
                isInteger.append(inIntegerBlock)
            }
        }
        // A new column has no objective entry yet, so nothing was added when this gives up.
        if objectiveValue != nil && objectiveLine[j] != 0 { return false }
        if let objectiveValue {
            objective[j] = objectiveValue
            objectiveLine[j] = lineNumber
        }
        lastColumn = (columnToken, j)
        if let (r, v) = first { entries.append((r, j, v, lineNumber)) }
        if let (r, v) = other { entries.append((r, j, v, lineNumber)) }
        return true
    }

    /// A ROWS line of the usual shape, a one-letter type and a new name, applied straight from
    /// the bytes, with one hash for the duplicate check and the insert. Returns false, having
    /// changed nothing, for anything else; that line takes ``handle(line:)``.
    mutating func rowsLine(_ line: Range<Int>) -> Bool {
        let end = line.upperBound
        var i = line.lowerBound
        guard let typeToken = Self.field(bytes, &i, end), typeToken.count == 1,
            let nameToken = Self.field(bytes, &i, end), Self.field(bytes, &i, end) == nil
        else { return false }
        let type: RowType
        switch bytes[typeToken.start] | 0x20 {
        case UInt8(ascii: "n"): type = .free
        case UInt8(ascii: "l"): type = .lessEqual
        case UInt8(ascii: "g"): type = .greaterEqual
        case UInt8(ascii: "e"): type = .equal
        default: return false
        }
        guard rowTable.findOrInsert(bytes, start: nameToken.start, length: nameToken.count).added else { return false }
        addRow(nameToken, type)
        return true
    }

    /// A BOUNDS line with a value (UP, LO, FX, LI or UI), with or without a set name, applied
    /// straight from the bytes; anything else returns false, having changed nothing, and takes
    /// ``handle(line:)``.
    mutating func boundsLine(_ line: Range<Int>) -> Bool {
        let end = line.upperBound
        var i = line.lowerBound
        guard let typeToken = Self.field(bytes, &i, end), let second = Self.field(bytes, &i, end),
            let third = Self.field(bytes, &i, end)
        else { return false }
        let fourth = Self.field(bytes, &i, end)
        if fourth != nil && Self.field(bytes, &i, end) != nil { return false }
        guard let type = boundType(typeToken) else { return false }
        switch type {
        case .up, .lo, .fx, .li, .ui: break
        case .fr, .mi, .pl, .bv, .sc: return false
        }
        // The same reading as `parse`: four fields have a set name, three do not.
        let (set, columnToken, valueToken) = fourth.map { (second, third, $0) } ?? (nil, second, third)
        guard let j = columnTable.find(bytes, start: columnToken.start, length: columnToken.count),
            let value = Self.value(bytes, valueToken), value.isFinite
        else { return false }
        applyBound(set: set, type: type, column: j, value: value)
        return true
    }

    /// Records a row whose name is already in `rowTable`.
    mutating func addRow(_ token: Token, _ type: RowType) {
        let n = Self.text(bytes, token)
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
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    // The helpers that `columnsLine` uses are static, on the bytes: a call to a method of the
    // (large) parser from a mutating one copies the parser's fields for the call.

    func text(_ t: Token) -> String { Self.text(bytes, t) }

    static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ t: Token) -> String {
        String(decoding: bytes[t.start..<t.end], as: UTF8.self)
    }

    /// `text(t).uppercased()`. Keywords, row types and bound types are ASCII, where upper case
    /// is a-z to A-Z and nothing else; that is done here without Unicode case mapping.
    func upperText(_ t: Token) -> String {
        for k in t.start..<t.end where bytes[k] >= 0x80 { return text(t).uppercased() }
        return String(unsafeUninitializedCapacity: t.count) { out in
            for k in 0..<t.count {
                let b = bytes[t.start + k]
                out[k] = b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") ? b - 0x20 : b
            }
            return t.count
        }
    }

    /// Whether a field equals `word` in ASCII, ignoring case.
    func matches(_ t: Token, _ word: StaticString) -> Bool { Self.matches(bytes, t, word) }

    static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ t: Token, _ word: StaticString) -> Bool {
        guard t.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<t.count {
            let a = bytes[t.start + k]
            let b = w[k]
            if a != b && !(a >= 0x61 && a <= 0x7A && a - 0x20 == b) { return false }
        }
        return true
    }

    static func same(_ bytes: UnsafeBufferPointer<UInt8>, _ a: Token, _ b: Token) -> Bool {
        a.count == b.count && NameTable.equal(bytes, a.start, b.start, a.count)
    }

    /// The next white-space-separated field of `bytes[i..<end]`, advancing `i` past it.
    ///
    /// Eight bytes at a time while they last: fixed-format files are mostly runs of spaces, and
    /// a byte at a time this was the largest cost left in reading COLUMNS.
    static func field(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) -> Token? {
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while i + 8 <= end {
            let notSpace = ~spaceBytes(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                & 0x8080_8080_8080_8080
            if notSpace != 0 {
                i += notSpace.trailingZeroBitCount >> 3
                break
            }
            i += 8
        }
        while i < end && isSpace(bytes[i]) { i += 1 }
        if i == end { return nil }
        let s = i
        while i + 8 <= end {
            let space = spaceBytes(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            if space != 0 {
                i += space.trailingZeroBitCount >> 3
                return Token(start: s, end: i)
            }
            i += 8
        }
        while i < end && !isSpace(bytes[i]) { i += 1 }
        return Token(start: s, end: i)
    }

    /// The high bit of each byte of `word` that is a space or a tab (byte 0 in the low bits).
    @inline(__always)
    static func spaceBytes(_ word: UInt64) -> UInt64 {
        // A byte of x is zero exactly when the high bit of ~((x & 0x7F…) + 0x7F… | x | 0x7F…) is set.
        @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 {
            ~(((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x | 0x7F7F_7F7F_7F7F_7F7F)
        }
        return zeroBytes(word ^ 0x2020_2020_2020_2020) | zeroBytes(word ^ 0x0909_0909_0909_0909)
    }

    static func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into tokens: inout [Token]) {
        tokens.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        while let token = field(bytes, &i, range.upperBound) { tokens.append(token) }
    }

    /// Fixed-format fields 1–6 (1-based columns 2–3, 5–12, 15–22, 25–36, 40–47, 50–61), trimmed;
    /// blank fields are left out, which gives the same shapes as free format.
    ///
    /// One extension: when the only thing from column 25 on is a single word that starts in
    /// field 4 and runs past column 36, that word is field 4. ``MPSWriter`` writes lines with a
    /// space in a name this way, to keep the value in full precision (up to 24 characters);
    /// in a file that keeps to the columns, such a word would be a malformed line anyway.
    ///
    /// Into a reused array, like ``split(_:_:into:)``: files with spaces in names read every
    /// line this way, and building three arrays per line was half of their reading time.
    static func fixedFields(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into tokens: inout [Token]) {
        tokens.removeAll(keepingCapacity: true)
        var spanCount = fixedSpans.count
        var longValue: Token?
        if line.count > 36 {
            var i = line.lowerBound + 24
            if let only = field(bytes, &i, line.upperBound), field(bytes, &i, line.upperBound) == nil,
                only.start < line.lowerBound + 36
            {
                longValue = only
                spanCount -= 3
            }
        }
        for (a, b) in fixedSpans.prefix(spanCount) {
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
    }

    /// 0-based line offsets of the fixed-format fields.
    static let fixedSpans = [(1, 3), (4, 12), (14, 22), (24, 36), (39, 47), (49, 61)]

    /// Handles one line; returns true at ENDATA.
    mutating func handle(line: Range<Int>) throws(ModelFileError) -> Bool {
        guard !line.isEmpty else { return false }
        let first = bytes[line.lowerBound]
        if first == UInt8(ascii: "*") { return false }
        if columnsFirst && Self.isSpace(first) {
            Self.fixedFields(bytes, line, into: &fixedColumns)
            if !fixedColumns.isEmpty, let action = try? parse(fixedColumns) {
                try apply(action)
                return false
            }
        }
        Self.split(bytes, line, into: &fields)
        if !Self.isSpace(first) {
            return try header(fields)
        }
        if fields.isEmpty { return false }
        switch format {
        case .free:
            try apply(parse(fields))
        case .fixed:
            Self.fixedFields(bytes, line, into: &fixedColumns)
            try apply(parse(fixedColumns))
        case .auto:
            if failsOnFieldCount(fields) {
                // Names with spaces: free format cannot read the line, so try fixed columns
                // first and build the free-format message (the clearer one) only if they fail
                // too. `parse` changes nothing, so the order of the two attempts is free.
                Self.fixedFields(bytes, line, into: &fixedColumns)
                if let action = try? parse(fixedColumns) {
                    try apply(action)
                    columnsFirst = true
                } else {
                    try apply(parse(fields))
                }
                return false
            }
            do {
                try apply(parse(fields))
            } catch let freeError {
                // A name with a space in it only parses in fixed columns; otherwise the
                // free-format message is the clearer one.
                // A ROWS line that free format reads as two fields has no name with a space;
                // fixed columns would only cut its name short (' L CAPACITY' is row 'APACITY'),
                // which turns a duplicate into a new row.
                Self.fixedFields(bytes, line, into: &fixedColumns)
                guard section != .rows, let action = try? parse(fixedColumns) else { throw freeError }
                try apply(action)
                columnsFirst = true
            }
        }
        return false
    }

    /// Whether `parse` rejects these fields for their number alone, its first check in these
    /// sections.
    func failsOnFieldCount(_ t: [Token]) -> Bool {
        switch section {
        case .rows: t.count != 2
        case .columns: !(t.count >= 3 && matches(t[1], "'MARKER'")) && t.count != 3 && t.count != 5
        case .rhs, .ranges: !(2...5).contains(t.count)
        case .quadobj, .qmatrix: t.count != 3
        case .none, .name, .objname, .objsense, .bounds: false
        }
    }

    mutating func header(_ tokens: [Token]) throws(ModelFileError) -> Bool {
        let keyword = upperText(tokens[0])
        if keyword == "ENDATA" {
            if !seen.contains(.rows) { throw fail("missing ROWS section before ENDATA") }
            if !seen.contains(.columns) { throw fail("missing COLUMNS section before ENDATA") }
            return true
        }
        guard let next = Section(rawValue: keyword), next != .none else {
            throw fail("unknown section '\(text(tokens[0]))'")
        }
        if seen.contains(next) && next != .objsense {
            throw fail("section \(keyword) appears twice")
        }
        let order: [Section] = [.rows, .columns, .rhs, .ranges, .bounds]
        if let i = order.firstIndex(of: next) {
            for later in order[(i + 1)...] where seen.contains(later) {
                throw fail("section \(keyword) must come before \(later.rawValue)")
            }
            if next != .rows && !seen.contains(.rows) {
                throw fail("section \(keyword) before ROWS")
            }
            if next != .rows && next != .columns && !seen.contains(.columns) {
                throw fail("section \(keyword) before COLUMNS")
            }
        }
        if next == .quadobj || next == .qmatrix {
            if !seen.contains(.columns) { throw fail("section \(keyword) before COLUMNS") }
        }
        seen.insert(next)
        section = next
        switch next {
        case .name:
            // By hand rather than `joined(separator:)`, whose generic witnesses are looked up at
            // run time on first use.
            name = ""
            for k in tokens.indices.dropFirst() {
                if k > 1 { name += " " }
                name += text(tokens[k])
            }
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
        switch upperText(token) {
        case "MAX", "MAXIMIZE", "MAXIMISE": return .maximize
        case "MIN", "MINIMIZE", "MINIMISE": return .minimize
        default: throw fail("unknown objective sense '\(text(token))' (expected MAX or MIN)")
        }
    }

    mutating func prepareColumnsSection() {
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
        case bound(set: Token?, type: BoundType, column: Int, value: Double?)
        case quadratic(Int, Int, Double)
        case sense(ObjectiveSense)
        case ignored
    }

    enum BoundType: String {
        case up = "UP", lo = "LO", fx = "FX", li = "LI", ui = "UI", fr = "FR", mi = "MI", pl = "PL", bv = "BV"
        case sc = "SC"
    }

    /// The bound type a field names, as `BoundType(rawValue: upperText(t))` gives it; two ASCII
    /// letters (every real case) are matched as bytes, without building a String.
    func boundType(_ t: Token) -> BoundType? {
        guard t.count == 2, bytes[t.start] < 0x80, bytes[t.start + 1] < 0x80 else {
            return BoundType(rawValue: upperText(t))
        }
        func upper(_ b: UInt8) -> UInt8 { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") ? b - 0x20 : b }
        switch (upper(bytes[t.start]), upper(bytes[t.start + 1])) {
        case (UInt8(ascii: "U"), UInt8(ascii: "P")): return .up
        case (UInt8(ascii: "L"), UInt8(ascii: "O")): return .lo
        case (UInt8(ascii: "F"), UInt8(ascii: "X")): return .fx
        case (UInt8(ascii: "L"), UInt8(ascii: "I")): return .li
        case (UInt8(ascii: "U"), UInt8(ascii: "I")): return .ui
        case (UInt8(ascii: "F"), UInt8(ascii: "R")): return .fr
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): return .mi
        case (UInt8(ascii: "P"), UInt8(ascii: "L")): return .pl
        case (UInt8(ascii: "B"), UInt8(ascii: "V")): return .bv
        case (UInt8(ascii: "S"), UInt8(ascii: "C")): return .sc
        default: return nil
        }
    }

    /// What a numeric field is, named in its error messages. A description rather than a
    /// closure: the text is built only on error, and a closure over `self` copies the parser.
    enum NumberField {
        case coefficient(column: Token, row: Token)
        case value(section: String, row: Token)
        case bound(type: String, column: Token)
        case quadratic(Token, Token)
    }

    func describe(_ field: NumberField) -> String {
        switch field {
        case .coefficient(let column, let row): "coefficient of column '\(text(column))' in row '\(text(row))'"
        case .value(let section, let row): "\(section) value of row '\(text(row))'"
        case .bound(let type, let column): "\(type) bound of column '\(text(column))'"
        case .quadratic(let i, let j): "quadratic coefficient of ('\(text(i))', '\(text(j))')"
        }
    }

    /// Parses a finite number; `infinite` says the field may be infinite, written as ±``infinity``.
    func number(_ token: Token, what: NumberField, infinite: Bool = false) throws(ModelFileError) -> Double {
        guard let value = Self.value(bytes, token) else { throw fail("bad number '\(text(token))' for \(describe(what))") }
        guard value.isFinite else {
            let hint = infinite && value.isInfinite ? " (write \(infinity) for infinity)" : ""
            throw fail("\(describe(what)) is '\(text(token))', which is not a finite number\(hint)")
        }
        return value
    }

    /// The field read as `strtod` reads it, or nil when `strtod` does not take the whole field.
    static func value(_ bytes: UnsafeBufferPointer<UInt8>, _ token: Token) -> Double? {
        let buffer = UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])
        if let value = Self.decimal(buffer) { return value }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: buffer.count + 1) { tmp in
            for (k, b) in buffer.enumerated() { tmp[k] = CChar(bitPattern: b) }
            tmp[buffer.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(tmp.baseAddress!, &end)
            guard let end, end - tmp.baseAddress! == buffer.count, buffer.count > 0 else { return nil }
            return v
        }
    }

    /// Powers of ten up to 10^22, the largest that a `Double` holds exactly.
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// `strtod`'s value for a plain decimal (a sign, digits with at most one point, an exponent),
    /// or nil, leaving it to `strtod`. Two exact cases: digits (point removed) of at most 2^53
    /// and a power of ten at most 22 in size are both exact doubles, so one multiplication or
    /// division rounds as `strtod` does (Clinger's fast path); and up to 19 digits over a power
    /// of ten up to 10^19 (files written with 17 digits) go to ``nearest(to:over:)``.
    static func decimal(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = text.count
        var i = 0
        var negative = false
        if i < count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        var digits: UInt64 = 0
        var exponent = 0
        var sawDigit = false
        // Up to 19 digits fit a UInt64; more go to strtod.
        let most: UInt64 = (UInt64.max - 9) / 10
        while i < count && text[i] &- UInt8(ascii: "0") < 10 {
            if digits > most { return nil }
            digits = digits * 10 + UInt64(text[i] &- UInt8(ascii: "0"))
            sawDigit = true
            i += 1
        }
        if i < count && text[i] == UInt8(ascii: ".") {
            i += 1
            while i < count && text[i] &- UInt8(ascii: "0") < 10 {
                if digits > most { return nil }
                digits = digits * 10 + UInt64(text[i] &- UInt8(ascii: "0"))
                exponent -= 1
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < count && (text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E")) {
            i += 1
            var negativeExponent = false
            if i < count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
                negativeExponent = text[i] == UInt8(ascii: "-")
                i += 1
            }
            var written = 0
            var sawExponentDigit = false
            while i < count && text[i] &- UInt8(ascii: "0") < 10 {
                // Past 1000 the answer is strtod's anyway; stop growing so it cannot overflow.
                if written < 1000 { written = written * 10 + Int(text[i] &- UInt8(ascii: "0")) }
                sawExponentDigit = true
                i += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += negativeExponent ? -written : written
        }
        guard i == count else { return nil }
        var value: Double
        if digits <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            value = Double(digits)
            if exponent > 0 {
                value *= exactPowersOfTen[exponent]
            } else if exponent < 0 {
                value /= exactPowersOfTen[-exponent]
            }
        } else if exponent >= -19 && exponent < 0, let nearest = nearest(to: digits, over: -exponent) {
            value = nearest
        } else {
            return nil
        }
        return negative ? -value : value
    }

    /// 10^k for k = 0...19, every one that a UInt64 holds.
    static let powersOfTen: [UInt64] = (0...19).map { k in (0..<k).reduce(1) { r, _ in r * 10 } }

    /// The double nearest to w / 10^k (ties to even, as `strtod` rounds), for 1 ≤ k ≤ 19, when
    /// that is a normal double below 2^52; nil otherwise. Double(w) / 10^k rounds twice, so it
    /// is at most an ulp or so off: of it and its two neighbours, the one whose distance from
    /// w / 10^k is below half an ulp is the answer, and that is checked exactly in 128 bits.
    static func nearest(to w: UInt64, over k: Int) -> Double? {
        guard w != 0 else { return nil }
        let t = powersOfTen[k]
        let guess = Double(w) / exactPowersOfTen[k]
        for x in [guess, guess.nextUp, guess.nextDown] where x.isNormal && x > 0 && x < 0x1p52 {
            // x = m·2^e with m of 53 bits and e < 0. |w/t − x| < 2^e / 2 (or equal, and m even)
            // ⇔ |w·2^s − 2m·t| < t (or equal) with s = 1 − e ≥ 2, in 128-bit integers. Below a
            // power of two the doubles are twice as dense: there the bound is half of that.
            let m = x.significandBitPattern | (1 << 52)
            let s = 1 - (Int(x.exponent) - 52)
            guard (64 - w.leadingZeroBitCount) + s <= 127 else { return nil }
            let a: (high: UInt64, low: UInt64) =
                s >= 64 ? (w << UInt64(s - 64), 0) : (w >> UInt64(64 - s), w << UInt64(s))
            let b = (2 * m).multipliedFullWidth(by: t)
            // d = |a − b|
            let d: (high: UInt64, low: UInt64)
            let below = a.high < b.high || (a.high == b.high && a.low < b.low)
            if below {
                d = (b.high &- a.high &- (b.low < a.low ? 1 : 0), b.low &- a.low)
            } else {
                d = (a.high &- b.high &- (a.low < b.low ? 1 : 0), a.low &- b.low)
            }
            let bound = below && m == 1 << 52 ? t / 2 : t
            if d.high == 0 && (d.low < bound || (d.low == bound && m & 1 == 0)) { return x }
        }
        return nil
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
            // The type is one letter in either case (what `upperText` would give "N" for).
            switch t[0].count == 1 ? bytes[t[0].start] | 0x20 : 0 {
            case UInt8(ascii: "n"): type = .free
            case UInt8(ascii: "l"): type = .lessEqual
            case UInt8(ascii: "g"): type = .greaterEqual
            case UInt8(ascii: "e"): type = .equal
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
                let v = try number(t[k + 1], what: .coefficient(column: t[0], row: t[k]))
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
                let v = try number(t[k + 1], what: .value(section: name, row: t[k]), infinite: true)
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
            guard let type = boundType(t[0]) else {
                throw fail("unknown bound type '\(text(t[0]))' (expected UP, LO, FX, FR, MI, PL, BV, LI or UI)")
            }
            let needsValue: Bool
            switch type {
            case .up, .lo, .fx, .li, .ui: needsValue = true
            // SC's value is optional; the line is read only far enough to name the column.
            case .fr, .mi, .pl, .bv, .sc: needsValue = false
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
            default: throw fail("BOUNDS line of type \(type.rawValue) has \(t.count) fields")
            }
            let c = try column(t[hasSet ? 2 : 1], in: "BOUNDS")
            if type == .sc {
                throw fail("semi-continuous bound (SC) on column '\(text(t[hasSet ? 2 : 1]))' is not supported")
            }
            let valueIndex = hasSet ? 3 : 2
            var value: Double?
            if valueIndex < t.count {
                value = try number(t[valueIndex], what: .bound(type: type.rawValue, column: t[hasSet ? 2 : 1]), infinite: true)
            }
            return .bound(set: hasSet ? t[1] : nil, type: type, column: c, value: value)
        case .quadobj, .qmatrix:
            guard t.count == 3 else { throw fail("\(section.rawValue) line needs two columns and a value, found \(t.count) fields") }
            let i = try column(t[0], in: section.rawValue)
            let j = try column(t[1], in: section.rawValue)
            let v = try number(t[2], what: .quadratic(t[0], t[1]))
            return .quadratic(i, j, v)
        }
    }

    mutating func apply(_ line: Line) throws(ModelFileError) {
        switch line {
        case .ignored:
            break
        case .sense(let s):
            sense = s
        case .row(let token, let type):
            rowTable.insert(bytes, start: token.start, length: token.count)
            addRow(token, type)
        case .marker(let integer):
            inIntegerBlock = integer
        case .entries(let token, let first, let second, let objectiveValue):
            var j = -1
            if let last = lastColumn, Self.same(bytes, last.token, token) {
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
            applyBound(set: set, type: type, column: j, value: value)
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

    mutating func applyBound(set: Token?, type: BoundType, column j: Int, value: Double?) {
        if lower.isEmpty {
            lower = Array(repeating: 0, count: columnNames.count)
            upper = Array(repeating: .infinity, count: columnNames.count)
            lowerSet = Array(repeating: false, count: columnNames.count)
        }
        if boundSet == nil {
            boundSet = set.map { text($0) } ?? ""
            boundSetToken = set
        }
        // Only the first set is used. Set names are the same String when they are the same
        // bytes; other bytes may still be an equal String (another Unicode normal form).
        if let set {
            if !(boundSetToken.map { Self.same(bytes, $0, set) } ?? false) && text(set) != boundSet { return }
        } else if boundSet != "" {
            return
        }
        let v = value.map { abs($0) >= infinity ? ($0 > 0 ? Double.infinity : -.infinity) : $0 }
        switch type {
        case .up, .ui:
            upper[j] = v!
            if v! < 0 && !lowerSet[j] { lower[j] = -.infinity }
            if type == .ui { isInteger[j] = true }
        case .lo, .li:
            lower[j] = v!
            lowerSet[j] = true
            if type == .li { isInteger[j] = true }
        case .fx:
            lower[j] = v!
            upper[j] = v!
            lowerSet[j] = true
        case .fr:
            lower[j] = -.infinity
            upper[j] = .infinity
            lowerSet[j] = true
        case .mi:
            lower[j] = -.infinity
            lowerSet[j] = true
        case .pl:
            upper[j] = .infinity
        case .bv:
            lower[j] = 0
            upper[j] = 1
            lowerSet[j] = true
            isInteger[j] = true
        case .sc:
            break
        }
    }

    // MARK: Assembly

    mutating func finish() throws(ModelFileError) -> LinearProgram {
        guard objectiveRowName != nil else { throw failFile("no objective row: ROWS has no N row") }
        let m = rowNames.count
        let n = columnNames.count
        if rhs.isEmpty { prepareColumnsSection() }
        if lower.isEmpty {
            lower = Array(repeating: 0, count: n)
            upper = Array(repeating: .infinity, count: n)
        }
        // Column-major order, rows ascending within a column (lines break ties), finds duplicates
        // and keeps their lines. Entries arrive in column order unless a column's lines are split
        // up, and with rows ascending in most files, so check before sorting: a full sort of the
        // entries was a tenth of the reading time.
        var columnOrdered = true
        for k in entries.indices.dropFirst() where entries[k].column < entries[k - 1].column {
            columnOrdered = false
            break
        }
        if !columnOrdered {
            // A stable counting sort by column keeps each column's entries in file order.
            var next = Array(repeating: 0, count: n + 1)
            for e in entries { next[e.column + 1] += 1 }
            for j in 0..<n { next[j + 1] += next[j] }
            var sorted = entries
            for e in entries {
                sorted[next[e.column]] = e
                next[e.column] += 1
            }
            entries = sorted
        }
        var segment = 0
        while segment < entries.count {
            let column = entries[segment].column
            var segmentEnd = segment + 1
            var rowOrdered = true
            while segmentEnd < entries.count && entries[segmentEnd].column == column {
                let (a, b) = (entries[segmentEnd - 1], entries[segmentEnd])
                if (a.row, a.line) > (b.row, b.line) { rowOrdered = false }
                segmentEnd += 1
            }
            if !rowOrdered {
                // In place: sorting `entries[a..<b]` copies the slice out and back.
                let bounds = segment..<segmentEnd
                entries.withUnsafeMutableBufferPointer { all in
                    all[bounds].sort { ($0.row, $0.line) < ($1.row, $1.line) }
                }
            }
            segment = segmentEnd
        }
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
        let program = LinearProgram(
            name: name, sense: sense, objectiveName: objectiveRowName ?? "obj", objective: objective,
            objectiveConstant: objectiveConstant, quadratic: terms,
            matrix: SparseMatrix(rowCount: m, columnStarts: starts, rowIndices: rows, values: values),
            columnLower: lower, columnUpper: upper, rowLower: rowLower, rowUpper: rowUpper,
            columnNames: columnNames, rowNames: rowNames, isInteger: isInteger)
        if let columns = program.nonConvexColumns() {
            throw nonConvex(program, columns)
        }
        return program
    }

    /// The error for a quadratic objective that curves the wrong way on `columns`, at the first
    /// QUADOBJ line that names one of them.
    func nonConvex(_ program: LinearProgram, _ columns: [Int]) -> ModelFileError {
        let among = Set(columns)
        let line = quadraticLine.filter { among.contains(Int($0.key >> 32)) || among.contains(Int($0.key & 0xFFFF_FFFF)) }.values.min()
        let needs = program.sense == .maximize ? "maximising needs Q negative semidefinite" : "minimising needs Q positive semidefinite"
        let named = columns.prefix(5).map { "'\(columnNames[$0])'" }.joined(separator: ", ") + (columns.count > 5 ? ", …" : "")
        let what: String
        if columns.count == 1, let entry = quadratic[Int64(columns[0]) << 32 | Int64(columns[0])] {
            what = "its entry for \(named) is \(entry)"
        } else {
            what = "it is not, on the coupled columns \(named)"
        }
        return fail(
            "the quadratic objective is not convex: \(needs), and \(what) (CLP would stop at a local optimum, not the optimum)",
            line: line)
    }
}
