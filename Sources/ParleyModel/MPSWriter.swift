/// Writes a ``LinearProgram`` as free-format MPS that ``MPSReader`` reads back to an identical
/// program: the same names in the same order, bounds, matrix, objective, constant, quadratic
/// terms and integer flags.
///
/// Partner models and companion linking-row files are handed between machines as MPS, and the
/// contract hash is computed from what is read back, so a writer that rounded a coefficient
/// would change a partner's model behind its back. Numbers are therefore written in the shortest
/// text that reads back to the same `Double`. Conventions, chosen so other MPS readers agree:
///
/// - a row with two finite, different bounds is a `G` (or `L`) row with a `RANGES` entry;
/// - a free constraint row is an `L` row with RHS `1e+30` (a second `N` row would be dropped);
/// - the objective constant is the negated RHS of the objective row;
/// - bounds are written only where they differ from `[0, +∞)`, as `FR`, `FX`, `MI`, `LO`, `UP`,
///   with `LO` before a negative `UP` (which would otherwise make the lower bound -∞), and `PL`
///   on integer columns with no upper bound (some readers make those binary by default);
/// - integer columns are wrapped in `MARKER` `INTORG`/`INTEND` lines;
/// - the quadratic objective is `QUADOBJ`, upper triangle, one line per pair.
public struct MPSWriter: Sendable {
    /// Magnitudes at or beyond this are read as infinite; finite bounds that large are refused.
    public var infinity: Double

    public init(infinity: Double = 1e30) {
        self.infinity = infinity
    }

    /// Writes `program` to `path` atomically (see ``AtomicFile``).
    public func write(_ program: LinearProgram, to path: String) throws(ModelFileError) {
        try AtomicFile.write(bytes(program, file: path), to: path)
    }

    /// The MPS text of `program`; `file` names the destination in error messages.
    public func text(_ program: LinearProgram, file: String = "model.mps") throws(ModelFileError) -> String {
        String(decoding: try bytes(program, file: file), as: UTF8.self)
    }

    /// The MPS text of `program` as UTF-8 bytes; `file` names the destination in error messages.
    public func bytes(_ program: LinearProgram, file: String = "model.mps") throws(ModelFileError) -> [UInt8] {
        func fail(_ message: String) -> ModelFileError { ModelFileError(file: file, line: nil, message: message) }
        try checkNames(program, fail)
        var out: [UInt8] = []
        out.reserveCapacity(64 * (program.matrix.nonzeroCount + program.rowCount + program.columnCount) + 256)
        func line(_ parts: String...) {
            var first = true
            for part in parts {
                if !first { out.append(UInt8(ascii: " ")) }
                out.append(contentsOf: part.utf8)
                first = false
            }
            out.append(UInt8(ascii: "\n"))
        }
        /// A data line in fixed-format field order (field 1 is a row or bound type). Free format
        /// (leading blanks, fields split at white space) unless a name has a space in it; then the
        /// line is written in fixed columns, with the value in full precision from column 25 on,
        /// which ``MPSReader`` reads when the free-format parse of the line fails.
        var fixedLineProblem: String?
        func data(_ f1: String, _ f2: String, _ f3: String? = nil, _ f4: String? = nil) {
            let spaced = f2.contains(" ") || (f3?.contains(" ") ?? false)
            if spaced {
                for name in [f2, f3 ?? ""] where name.count > 8 && fixedLineProblem == nil {
                    fixedLineProblem = "name '\(name)' is longer than 8 characters and shares a line with a name "
                        + "with a space, which must be written in fixed-format columns"
                }
                func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
                var text = " " + pad(f1, 2) + " " + pad(f2, 8)
                if let f3 { text += "  " + pad(f3, 8) }
                if let f4 { text += "  " + f4 }
                while text.hasSuffix(" ") { text.removeLast() }
                out.append(contentsOf: text.utf8)
            } else {
                out.append(contentsOf: " ".utf8)
                for part in [f1, f2, f3, f4] {
                    guard let part, !part.isEmpty else { continue }
                    out.append(UInt8(ascii: " "))
                    out.append(contentsOf: part.utf8)
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        func finite(_ value: Double, _ what: @autoclosure () -> String) throws(ModelFileError) -> String {
            guard value.isFinite else { throw fail("\(what()) is \(value), which MPS cannot hold") }
            guard abs(value) < infinity else {
                throw fail("\(what()) is \(Self.number(value)), which MPS reads as infinite (|value| ≥ \(Self.number(infinity)))")
            }
            return Self.number(value)
        }
        /// A bound value: infinities are written as ±`infinity`.
        func bound(_ value: Double, _ what: @autoclosure () -> String) throws(ModelFileError) -> String {
            if value.isInfinite { return Self.number(value > 0 ? infinity : -infinity) }
            return try finite(value, what())
        }

        line("NAME", program.name)
        if program.sense == .maximize {
            line("OBJSENSE")
            data("", "MAX")
        }

        // ROWS, and the right-hand side and range each row needs.
        line("ROWS")
        data("N", program.objectiveName)
        var rhs: [(row: String, value: String)] = []
        var ranges: [(row: String, value: String)] = []
        if program.objectiveConstant != 0 {
            rhs.append((program.objectiveName, try finite(-program.objectiveConstant, "the objective constant")))
        }
        for i in 0..<program.rowCount {
            let name = program.rowNames[i]
            let (lower, upper) = (program.rowLower[i], program.rowUpper[i])
            func what() -> String { "a bound of row '\(name)'" }
            if lower.isNaN || upper.isNaN { throw fail("row '\(name)' has a NaN bound") }
            switch (lower.isFinite, upper.isFinite) {
            case (false, false) where lower < 0 && upper > 0:
                data("L", name)
                rhs.append((name, Self.number(infinity)))
            case (false, false):
                throw fail("row '\(name)' has bounds [\(lower), \(upper)], which MPS cannot hold")
            case (false, true):
                guard lower < 0 else { throw fail("row '\(name)' has lower bound +inf") }
                data("L", name)
                if upper != 0 { rhs.append((name, try finite(upper, what()))) }
            case (true, false):
                guard upper > 0 else { throw fail("row '\(name)' has upper bound -inf") }
                data("G", name)
                if lower != 0 { rhs.append((name, try finite(lower, what()))) }
            case (true, true) where lower == upper:
                data("E", name)
                if lower != 0 { rhs.append((name, try finite(lower, what()))) }
            case (true, true):
                // The reader computes the far bound as rhs ± |range|; pick the rhs and range that
                // give it back exactly (see `rangeWidth`), trying the side of smaller magnitude
                // first since its ulp is the finer.
                let sides = abs(lower) <= abs(upper) ? [true, false] : [false, true]
                guard
                    let (fromLower, width) = sides.lazy.compactMap({ fromLower -> (Bool, Double)? in
                        let width = fromLower
                            ? Self.rangeWidth(from: lower, to: upper) : Self.rangeWidth(from: upper, to: lower)
                        guard let width, width < infinity else { return nil }
                        return (fromLower, width)
                    }).first
                else {
                    throw fail(
                        "row '\(name)' has bounds [\(Self.number(lower)), \(Self.number(upper))] that no RHS and "
                            + "RANGES value give back exactly")
                }
                let base = fromLower ? lower : upper
                data(fromLower ? "G" : "L", name)
                if base != 0 { rhs.append((name, try finite(base, what()))) }
                ranges.append((name, Self.number(width)))
            }
        }

        // COLUMNS, with integer columns between MARKER lines.
        line("COLUMNS")
        let a = program.matrix
        var inIntegerBlock = false
        var markers = 0
        for j in 0..<program.columnCount {
            let name = program.columnNames[j]
            if program.isInteger[j] != inIntegerBlock {
                data("", "MARKER\(markers)", "'MARKER'", inIntegerBlock ? "'INTEND'" : "'INTORG'")
                markers += 1
                inIntegerBlock.toggle()
            }
            var wrote = false
            if program.objective[j] != 0 || a.columnStarts[j] == a.columnStarts[j + 1] {
                // A column with no entry at all is declared by a zero objective coefficient.
                guard program.objective[j].isFinite else {
                    throw fail("objective coefficient of column '\(name)' is \(program.objective[j])")
                }
                data("", name, program.objectiveName, Self.number(program.objective[j]))
                wrote = true
            }
            for k in a.columnStarts[j]..<a.columnStarts[j + 1] where a.values[k] != 0 {
                let value = a.values[k]
                guard value.isFinite else {
                    throw fail("coefficient of column '\(name)' in row '\(program.rowNames[a.rowIndices[k]])' is \(value)")
                }
                data("", name, program.rowNames[a.rowIndices[k]], Self.number(value))
                wrote = true
            }
            if !wrote { data("", name, program.objectiveName, "0") }
        }
        if inIntegerBlock { data("", "MARKER\(markers)", "'MARKER'", "'INTEND'") }

        if !rhs.isEmpty {
            line("RHS")
            for (row, value) in rhs { data("", "RHS", row, value) }
        }
        if !ranges.isEmpty {
            line("RANGES")
            for (row, value) in ranges { data("", "RNG", row, value) }
        }

        // BOUNDS, only where a column's bounds differ from [0, +∞).
        var boundLines: [(type: String, column: String, value: String?)] = []
        for j in 0..<program.columnCount {
            let name = program.columnNames[j]
            let (lower, upper) = (program.columnLower[j], program.columnUpper[j])
            func what() -> String { "a bound of column '\(name)'" }
            if lower.isNaN || upper.isNaN { throw fail("column '\(name)' has a NaN bound") }
            if lower == -.infinity && upper == .infinity {
                boundLines.append(("FR", name, nil))
                continue
            }
            if lower == upper && lower.isFinite {
                boundLines.append(("FX", name, try finite(lower, what())))
                continue
            }
            if lower == -.infinity {
                boundLines.append(("MI", name, nil))
            } else if lower != 0 || upper < 0 {
                boundLines.append(("LO", name, try bound(lower, what())))
            }
            if upper != .infinity {
                boundLines.append(("UP", name, try bound(upper, what())))
            } else if program.isInteger[j] {
                boundLines.append(("PL", name, nil))
            }
        }
        if !boundLines.isEmpty {
            line("BOUNDS")
            for b in boundLines {
                if let value = b.value { data(b.type, "BND", b.column, value) } else { data(b.type, "BND", b.column) }
            }
        }

        // QUADOBJ: each pair once, upper triangle, in (row, column) order; duplicates summed.
        if !program.quadratic.isEmpty {
            var merged: [Int64: Double] = [:]
            for t in program.quadratic {
                guard t.value.isFinite else {
                    throw fail(
                        "quadratic coefficient of ('\(program.columnNames[t.row])', '\(program.columnNames[t.column])') "
                            + "is \(t.value)")
                }
                merged[Int64(t.row) << 32 | Int64(t.column), default: 0] += t.value
            }
            let terms = merged.filter { $0.value != 0 }.sorted { $0.key < $1.key }
            if !terms.isEmpty {
                line("QUADOBJ")
                for (key, value) in terms {
                    data(
                        "", program.columnNames[Int(key >> 32)], program.columnNames[Int(key & 0xFFFF_FFFF)],
                        Self.number(value))
                }
            }
        }
        line("ENDATA")
        if let fixedLineProblem { throw fail(fixedLineProblem) }
        return out
    }

    /// Free MPS splits fields at white space, so a name with a space must go in fixed columns:
    /// at most 8 characters, no other white space, none at either end (fixed fields are
    /// trimmed). Every name must be non-empty and unique to read back to the same program.
    private func checkNames(_ program: LinearProgram, _ fail: (String) -> ModelFileError) throws(ModelFileError) {
        func check(_ name: String, _ kind: String) throws(ModelFileError) {
            if name.isEmpty { throw fail("a \(kind) has an empty name, which MPS cannot hold") }
            guard name.contains(where: \.isWhitespace) else { return }
            if name.contains(where: { $0.isWhitespace && $0 != " " }) || name.first == " " || name.last == " "
                || name.count > 8
            {
                throw fail(
                    "\(kind) name '\(name)' has white space that MPS cannot hold (a name with spaces must fit "
                        + "fixed-format columns: at most 8 characters, spaces only inside)")
            }
        }
        try check(program.objectiveName, "objective row")
        var rows = Set([program.objectiveName])
        for name in program.rowNames {
            try check(name, "row")
            if !rows.insert(name).inserted { throw fail("row name '\(name)' is used twice") }
        }
        var columns = Set<String>()
        for name in program.columnNames {
            try check(name, "column")
            if !columns.insert(name).inserted { throw fail("column name '\(name)' is used twice") }
        }
    }

    /// The range width `w` for which the reader's `base + w` (or `base - w`) is exactly
    /// `target`, if one exists near `target - base`.
    ///
    /// `target - base` is rounded, and adding it back to `base` can miss `target` by an ulp; a
    /// width a few ulps away usually hits it. Not always: with `base` -0.3 and `target` 0.1 (or
    /// the other way round) every sum rounds past 0.1 (or to an even neighbour of -0.3), and such
    /// a row cannot be written exactly at all. A row read from MPS always can, by the `rhs` and
    /// `range` it was read from.
    static func rangeWidth(from base: Double, to target: Double) -> Double? {
        let up = target > base
        func reaches(_ width: Double) -> Bool { (up ? base + width : base - width) == target }
        var low = abs(target - base)
        var high = low
        for _ in 0..<16 {
            if reaches(low) { return low }
            if reaches(high) { return high }
            low = low.nextDown
            high = high.nextUp
        }
        return nil
    }

    /// The shortest text that reads back (with `strtod`) as exactly `value`: Swift's
    /// round-trip `description`, with whole numbers up to 2⁵³ written without a fraction.
    public static func number(_ value: Double) -> String {
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        if value == value.rounded(), abs(value) <= 9_007_199_254_740_992 { return String(Int64(value)) }
        return value.description
    }
}
