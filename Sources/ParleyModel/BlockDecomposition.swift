import Foundation

/// A block-angular view of a ``LinearProgram``: independent blocks of rows and columns, coupled by
/// linking rows.
///
/// Read from a GCG `.dec` file (``read(path:for:)``) or found by ``detect(_:)``. Every row is in
/// exactly one block or is a linking row; every column belongs to the one block whose rows it
/// appears in, or, when it appears only in linking rows (or nowhere), is a *linking-only* column.
public struct BlockDecomposition: Sendable, Equatable {
    /// Row indices of each block, in file order.
    public var blockRows: [[Int]]
    /// Rows in no block, in model order: the linking (master) rows.
    public var linkingRows: [Int]
    /// Column indices of each block, in model order.
    public var blockColumns: [[Int]]
    /// Columns that appear in no block row.
    public var linkingOnlyColumns: [Int]

    public var blockCount: Int { blockRows.count }

    /// Builds the column assignment for a row partition; fails if a column spans two blocks.
    public init(program: LinearProgram, blockRows: [[Int]], file: String = "decomposition") throws(ModelFileError) {
        var blockOfRow = Array(repeating: -1, count: program.rowCount)
        for (b, rows) in blockRows.enumerated() {
            for r in rows { blockOfRow[r] = b }
        }
        var columns = Array(repeating: [Int](), count: blockRows.count)
        var linkingOnly: [Int] = []
        let a = program.matrix
        for j in 0..<program.columnCount {
            var block = -1
            var blockRow = -1
            for k in a.columnStarts[j]..<a.columnStarts[j + 1] {
                let b = blockOfRow[a.rowIndices[k]]
                guard b >= 0 else { continue }
                if block >= 0 && b != block {
                    throw ModelFileError(
                        file: file, line: nil,
                        message: "column '\(program.columnNames[j])' appears in block \(block + 1) "
                            + "(row '\(program.rowNames[blockRow])') and block \(b + 1) "
                            + "(row '\(program.rowNames[a.rowIndices[k]])'): the model is not block-angular "
                            + "for this decomposition")
                }
                block = b
                blockRow = a.rowIndices[k]
            }
            if block >= 0 { columns[block].append(j) } else { linkingOnly.append(j) }
        }
        self.blockRows = blockRows
        self.linkingRows = (0..<program.rowCount).filter { blockOfRow[$0] < 0 }
        self.blockColumns = columns
        self.linkingOnlyColumns = linkingOnly
    }

    /// Reads a GCG `.dec` file for `program`.
    ///
    /// Understood: `PRESOLVED`, `NBLOCKS`, `BLOCK n` (or `BLOCKCONSS n`), `MASTERCONSS`,
    /// `CONSDEFAULTMASTER`, comments starting with `\` or `#`. Rows listed in no block are linking
    /// rows, whether or not `MASTERCONSS` lists them.
    public static func read(path: String, for program: LinearProgram) throws(ModelFileError) -> BlockDecomposition {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ModelFileError(file: path, line: nil, message: "cannot read file: \(MPSReader.reason(error))")
        }
        return try parse(text, file: path, for: program)
    }

    /// Parses `.dec` text; `file` is used in error messages only.
    public static func parse(_ text: String, file: String, for program: LinearProgram) throws(ModelFileError)
        -> BlockDecomposition
    {
        enum Section { case none, presolved, nblocks, block(Int), master, consDefault, ignored }
        let rowIndex = program.rowIndexByName()
        var section = Section.none
        var declaredBlocks: Int?
        var blocks: [Int: [Int]] = [:]
        var blockLine: [Int: Int] = [:]
        var placed: [Int: (where: String, line: Int)] = [:]
        var lineNumber = 0
        func fail(_ message: String) -> ModelFileError {
            ModelFileError(file: file, line: lineNumber, message: message)
        }
        // Not split(separator: "\n"): a String's "\r\n" is one Character and would not split.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = raw.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("\\") || line.hasPrefix("#") { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch words[0].uppercased() {
            case "PRESOLVED":
                section = .presolved
                continue
            case "NBLOCKS":
                section = .nblocks
                continue
            case "BLOCK", "BLOCKCONSS":
                guard words.count == 2, let n = Int(words[1]), n >= 1 else {
                    throw fail("\(words[0]) needs a block number from 1, found '\(line)'")
                }
                if let declared = declaredBlocks, n > declared {
                    throw fail("block \(n) is beyond NBLOCKS \(declared)")
                }
                if blocks[n] != nil { throw fail("block \(n) appears twice") }
                blocks[n] = []
                blockLine[n] = lineNumber
                section = .block(n)
                continue
            case "MASTERCONSS":
                section = .master
                continue
            case "CONSDEFAULTMASTER":
                section = .consDefault
                continue
            case "BLOCKVARS", "MASTERVARS", "LINKINGVARS":
                throw fail("section \(words[0]) is not supported: Parley assigns columns from the rows they appear in")
            default:
                break
            }
            switch section {
            case .none:
                throw fail("'\(line)' outside any section")
            case .presolved:
                guard line == "0" else {
                    throw fail("PRESOLVED \(line): only decompositions of the original (unpresolved) model are supported")
                }
            case .nblocks:
                guard let n = Int(line), n >= 1 else { throw fail("NBLOCKS needs a positive whole number, found '\(line)'") }
                declaredBlocks = n
            case .consDefault:
                guard line == "0" || line == "1" else { throw fail("CONSDEFAULTMASTER needs 0 or 1, found '\(line)'") }
            case .ignored:
                break
            case .block, .master:
                var block = 0
                if case .block(let b) = section { block = b }
                let isMaster = block == 0
                guard let r = rowIndex[line] else {
                    if line == program.objectiveName {
                        throw fail("row '\(line)' is the objective row, not a constraint")
                    }
                    throw fail("unknown row '\(line)' (not in the model's ROWS)")
                }
                let here = isMaster ? "MASTERCONSS" : "block \(block)"
                if let first = placed[r] {
                    throw fail("row '\(line)' is in \(first.where) (line \(first.line)) and in \(here)")
                }
                placed[r] = (here, lineNumber)
                if !isMaster { blocks[block, default: []].append(r) }
            }
        }
        guard let declared = declaredBlocks else {
            throw ModelFileError(file: file, line: nil, message: "missing NBLOCKS")
        }
        // NBLOCKS may come after the blocks, so the check made at each BLOCK line is not enough.
        if let beyond = blockLine.filter({ $0.key > declared }).min(by: { $0.value < $1.value }) {
            throw ModelFileError(
                file: file, line: beyond.value, message: "block \(beyond.key) is beyond NBLOCKS \(declared)")
        }
        let missing = (1...declared).filter { blocks[$0] == nil }
        if !missing.isEmpty {
            let list = missing.map(String.init).joined(separator: ", ")
            let what = missing.count == 1 ? "block \(list) is" : "blocks \(list) are"
            throw ModelFileError(file: file, line: nil, message: "NBLOCKS is \(declared) but \(what) missing")
        }
        return try BlockDecomposition(program: program, blockRows: (1...declared).map { blocks[$0]! }, file: file)
    }
}
