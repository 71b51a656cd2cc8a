/// Finds a block-angular structure in a model without a `.dec` file: a set of linking rows
/// whose removal leaves independent blocks (the connected components of the row–column graph).
///
/// Finding the fewest rows that cut a model into balanced pieces is a hypergraph partitioning
/// problem; GCG hands it to hMETIS. Models that people split into partners are usually built from
/// copies — one block per commodity, scenario or firm — and their linking rows form a class of
/// their own: the joint capacity rows are the only inequalities (pds), the coupling rows are the
/// dense ones (ken), the only rows with coefficients other than ±1 (ship), or the
/// non-anticipativity rows `x[s,j] - x[s',j] = 0` of a stochastic program. So, like GCG's
/// classifier-based detectors, this one classifies the rows several ways, tries each union of
/// classes as the linking set, and keeps the best by ``score(linkingNonzeros:totalNonzeros:blockSizes:)``.
/// Row names are never used.
///
/// Each candidate is refined before it is scored: a linking row whose columns all lie in one
/// block is not linking, and joins that block. Rows with no entries belong to no block and are
/// not counted as linking.
public enum BlockDetector {
    /// One tried linking set and what it gives.
    public struct Candidate: Sendable {
        /// How the linking rows were chosen, for people (`≤ rows`, `copy rows (a·x - a·y = 0)`, ...),
        /// before rows within one block were moved back into it.
        public var rule: String
        public var decomposition: BlockDecomposition
        public var score: Double
    }

    /// The best decomposition found: at least two blocks if any candidate gives two, else every
    /// non-empty row in one block.
    public static func detect(_ program: LinearProgram) -> BlockDecomposition {
        if let best = candidates(program).first { return best.decomposition }
        do {
            return try BlockDecomposition(program: program, blockRows: [RowGraph(program).nonEmptyRows])
        } catch {
            preconditionFailure("a single block cannot split a column: \(error)")
        }
    }

    /// Every distinct candidate with at least two blocks, best first (ties keep the order tried).
    public static func candidates(_ program: LinearProgram) -> [Candidate] {
        let graph = RowGraph(program)
        var seen = Set<[Int]>()
        var found: [(candidate: Candidate, order: Int)] = []
        for (order, proposal) in proposals(graph).enumerated() {
            guard let result = graph.evaluate(linking: proposal.rows) else { continue }
            guard seen.insert(result.linking).inserted else { continue }
            guard let decomposition = try? BlockDecomposition(program: program, blockRows: result.blocks) else { continue }
            let score = score(
                linkingNonzeros: result.linking.reduce(0) { $0 + graph.rowLength($1) },
                totalNonzeros: program.matrix.nonzeroCount, blockSizes: result.blocks.map(\.count))
            found.append((Candidate(rule: proposal.rule, decomposition: decomposition, score: score), order))
        }
        found.sort { $0.candidate.score != $1.candidate.score ? $0.candidate.score > $1.candidate.score : $0.order < $1.order }
        return found.map(\.candidate)
    }

    /// The share of the matrix's nonzeros inside blocks, times a balance factor: the effective
    /// number of blocks `(Σ s)² / Σ s²` over the number of blocks (1 when all blocks have the
    /// same number of rows `s`).
    ///
    /// The nonzero share prefers few and sparse linking rows; the balance factor rejects sets
    /// that leave a few large blocks and a crowd of one-row pieces, which a density threshold
    /// often does. (GCG's "max white" area score was tried first: it rewards exactly those crowds
    /// of tiny blocks, and picks them over the intended structure on pds-02 and chem.)
    public static func score(linkingNonzeros: Int, totalNonzeros: Int, blockSizes: [Int]) -> Double {
        guard blockSizes.count >= 2, totalNonzeros > 0 else { return 0 }
        let total = Double(blockSizes.reduce(0, +))
        let squares = blockSizes.reduce(0.0) { $0 + Double($1) * Double($1) }
        let balance = total * total / squares / Double(blockSizes.count)
        return (1 - Double(linkingNonzeros) / Double(totalNonzeros)) * balance
    }

    // MARK: Candidates

    struct Proposal {
        var rule: String
        var rows: [Int]
    }

    enum Sense: Int, CaseIterable {
        case equal, lessEqual, greaterEqual, ranged, free
        var label: String { ["= rows", "≤ rows", "≥ rows", "ranged rows", "free rows"][rawValue] }
    }

    enum Kind: Int, CaseIterable {
        /// `a·x - a·y = 0`: two entries of opposite value, equality, zero right-hand side.
        case copy
        /// Every coefficient ±1.
        case unit
        case general
        var label: String {
            ["copy rows (a·x - a·y = 0)", "rows with ±1 coefficients", "rows with other coefficients"][rawValue]
        }
    }

    /// Most classes a classifier may have for all its unions to be tried (2^8 - 2 sets).
    static let maximumClasses = 8

    static func proposals(_ graph: RowGraph) -> [Proposal] {
        let rows = graph.nonEmptyRows
        var proposals: [Proposal] = []
        // The model may fall apart already.
        proposals.append(Proposal(rule: "no linking rows", rows: []))
        // Density: the rows with at least t entries, densest threshold first.
        let lengths = Set(rows.map(graph.rowLength)).sorted(by: >)
        for t in lengths.dropLast() {
            proposals.append(Proposal(rule: "rows with at least \(t) nonzeros", rows: rows.filter { graph.rowLength($0) >= t }))
        }
        // Unions of the classes of each classifier.
        func unions(_ key: (Int) -> Int, _ label: (Int) -> String) {
            var classes: [Int: [Int]] = [:]
            for r in rows { classes[key(r), default: []].append(r) }
            let keys = classes.keys.sorted()
            guard keys.count >= 2, keys.count <= maximumClasses else { return }
            for mask in 1..<(1 << keys.count) - 1 {
                let chosen = keys.indices.filter { mask & (1 << $0) != 0 }.map { keys[$0] }
                let members = chosen.flatMap { classes[$0]! }.sorted()
                proposals.append(Proposal(rule: chosen.map(label).joined(separator: " + "), rows: members))
            }
        }
        unions({ graph.sense[$0].rawValue }, { Sense(rawValue: $0)!.label })
        unions({ graph.kind[$0].rawValue }, { Kind(rawValue: $0)!.label })
        let kinds = Kind.allCases.count
        unions({ graph.sense[$0].rawValue * kinds + graph.kind[$0].rawValue }) { key in
            let (sense, kind) = (Sense(rawValue: key / kinds)!, Kind(rawValue: key % kinds)!)
            return kind == .copy ? kind.label : "\(sense.label) " + kind.label.replacingOccurrences(of: "rows ", with: "")
        }
        return proposals
    }
}

extension BlockDecomposition {
    /// The decomposition ``BlockDetector`` finds for `program` (see there for how).
    public static func detect(_ program: LinearProgram) -> BlockDecomposition {
        BlockDetector.detect(program)
    }
}

/// The model's rows as lists of columns, with each row's class, and the connected-components
/// evaluation of a linking set.
struct RowGraph {
    let rowCount: Int
    let columnCount: Int
    /// The transposed matrix: column `i` of it is row `i` of the model.
    let rows: SparseMatrix
    let sense: [BlockDetector.Sense]
    let kind: [BlockDetector.Kind]
    let nonEmptyRows: [Int]

    init(_ program: LinearProgram) {
        rowCount = program.rowCount
        columnCount = program.columnCount
        rows = program.matrix.transposed()
        var sense: [BlockDetector.Sense] = []
        var kind: [BlockDetector.Kind] = []
        for i in 0..<program.rowCount {
            let (lower, upper) = (program.rowLower[i], program.rowUpper[i])
            let s: BlockDetector.Sense =
                switch (lower.isFinite, upper.isFinite) {
                case (true, true): lower == upper ? .equal : .ranged
                case (false, true): .lessEqual
                case (true, false): .greaterEqual
                case (false, false): .free
                }
            sense.append(s)
            let values = rows.column(i).values
            if s == .equal && lower == 0 && values.count == 2 && values.first! == -values.last! {
                kind.append(.copy)
            } else if values.allSatisfy({ abs($0) == 1 }) {
                kind.append(.unit)
            } else {
                kind.append(.general)
            }
        }
        self.sense = sense
        self.kind = kind
        let starts = rows.columnStarts
        nonEmptyRows = (0..<program.rowCount).filter { starts[$0 + 1] > starts[$0] }
    }

    func rowLength(_ i: Int) -> Int { rows.columnStarts[i + 1] - rows.columnStarts[i] }

    /// The blocks left when `linking` is taken out, after moving back each linking row whose
    /// columns lie in one block; nil if fewer than two blocks remain.
    func evaluate(linking: [Int]) -> (blocks: [[Int]], linking: [Int])? {
        var isLinking = Array(repeating: false, count: rowCount)
        for r in linking { isLinking[r] = true }
        // Columns joined through every non-linking row.
        var sets = DisjointSets(count: columnCount)
        let starts = rows.columnStarts
        let columns = rows.rowIndices
        for i in nonEmptyRows where !isLinking[i] {
            for k in (starts[i] + 1)..<starts[i + 1] { sets.join(columns[starts[i]], columns[k]) }
        }
        // Blocks numbered by their first row.
        var blockOfRoot: [Int: Int] = [:]
        var blocks: [[Int]] = []
        var blockOfColumn = Array(repeating: -1, count: columnCount)
        for i in nonEmptyRows where !isLinking[i] {
            let root = sets.find(columns[starts[i]])
            let b: Int
            if let known = blockOfRoot[root] {
                b = known
            } else {
                b = blocks.count
                blockOfRoot[root] = b
                blocks.append([])
            }
            blocks[b].append(i)
            for k in starts[i]..<starts[i + 1] { blockOfColumn[columns[k]] = b }
        }
        // A linking row within one block (and columns in no block) belongs to that block.
        var kept: [Int] = []
        for i in linking.sorted() where starts[i + 1] > starts[i] {
            var block = -1
            var single = true
            for k in starts[i]..<starts[i + 1] {
                let b = blockOfColumn[columns[k]]
                if b < 0 { continue }
                if block >= 0 && b != block {
                    single = false
                    break
                }
                block = b
            }
            if single && block >= 0 {
                blocks[block].append(i)
                for k in starts[i]..<starts[i + 1] { blockOfColumn[columns[k]] = block }
            } else {
                kept.append(i)
            }
        }
        guard blocks.count >= 2 else { return nil }
        return (blocks.map { $0.sorted() }, kept)
    }
}
