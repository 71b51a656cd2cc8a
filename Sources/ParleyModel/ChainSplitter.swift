/// Cuts a monolithic block-angular model into one private model per partner and the public
/// contract that couples them.
///
/// Each block becomes a partner (or blocks are packed into `partners` partners, largest first
/// onto the lightest). Columns that appear only in linking rows go to the partner that shares
/// the most linking rows with them. The objective constant goes into the contract.
public struct ChainSplitter: Sendable {
    public struct Result: Sendable {
        public var contract: ChainContract
        /// Private models, in the contract's partner order.
        public var programs: [LinearProgram]
        /// For each partner, the indices of its columns in the original model (for checks).
        public var originalColumns: [[Int]]
    }

    public var chainName: String
    /// Pack the blocks into this many partners (nil: one partner per block).
    public var partnerCount: Int?

    public init(chainName: String, partnerCount: Int? = nil) {
        self.chainName = chainName
        self.partnerCount = partnerCount
    }

    public func split(_ program: LinearProgram, _ decomposition: BlockDecomposition) throws(ModelFileError) -> Result {
        let blocks = decomposition.blockCount
        guard blocks >= 1 else { throw ModelFileError(file: "decomposition", line: nil, message: "no blocks") }
        if let k = partnerCount, k < 1 || k > blocks {
            throw ModelFileError(
                file: "decomposition", line: nil, message: "cannot pack \(blocks) blocks into \(k) partners (1...\(blocks))")
        }
        // Blocks to partners: largest first onto the lightest partner.
        let count = partnerCount ?? blocks
        var partnerOfBlock = Array(0..<blocks)
        if count < blocks {
            var load = Array(repeating: 0, count: count)
            let order = (0..<blocks).sorted {
                let a = decomposition.blockRows[$0].count + decomposition.blockColumns[$0].count
                let b = decomposition.blockRows[$1].count + decomposition.blockColumns[$1].count
                return a != b ? a > b : $0 < $1
            }
            for b in order {
                let target = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
                partnerOfBlock[b] = target
                load[target] += decomposition.blockRows[b].count + decomposition.blockColumns[b].count
            }
        }
        var partnerOfColumn = Array(repeating: -1, count: program.columnCount)
        var partnerOfRow = Array(repeating: -1, count: program.rowCount)
        for b in 0..<blocks {
            for j in decomposition.blockColumns[b] { partnerOfColumn[j] = partnerOfBlock[b] }
            for r in decomposition.blockRows[b] { partnerOfRow[r] = partnerOfBlock[b] }
        }
        // Linking-only columns: to the partner with the most columns in the same linking rows;
        // ties go to the partner holding the fewest such columns so far (ken's slack columns
        // touch every commodity equally and would otherwise all land on the first partner).
        let rowsView = program.matrix.transposed()
        let a = program.matrix
        var extra = Array(repeating: 0, count: count)
        for j in decomposition.linkingOnlyColumns {
            var votes = Array(repeating: 0, count: count)
            for k in a.columnStarts[j]..<a.columnStarts[j + 1] {
                let (cols, _) = rowsView.column(a.rowIndices[k])
                for c in cols where partnerOfColumn[c] >= 0 { votes[partnerOfColumn[c]] += 1 }
            }
            let chosen = votes.indices.max {
                if votes[$0] != votes[$1] { return votes[$0] < votes[$1] }
                if extra[$0] != extra[$1] { return extra[$0] > extra[$1] }
                return $0 > $1
            } ?? 0
            partnerOfColumn[j] = chosen
            extra[chosen] += 1
        }
        let width = String(count).count
        let names = (0..<count).map { "p" + String(repeating: "0", count: max(0, max(2, width) - String($0 + 1).count)) + String($0 + 1) }

        var programs: [LinearProgram] = []
        var originalColumns: [[Int]] = []
        var localIndex = Array(repeating: -1, count: program.columnCount)
        for p in 0..<count {
            let cols = (0..<program.columnCount).filter { partnerOfColumn[$0] == p }
            let rows = (0..<program.rowCount).filter { partnerOfRow[$0] == p }
            for (k, j) in cols.enumerated() { localIndex[j] = k }
            var rowLocal = [Int: Int]()
            for (k, r) in rows.enumerated() { rowLocal[r] = k }
            var triplets: [(row: Int, column: Int, value: Double)] = []
            for (k, j) in cols.enumerated() {
                for e in a.columnStarts[j]..<a.columnStarts[j + 1] {
                    if let r = rowLocal[a.rowIndices[e]] { triplets.append((r, k, a.values[e])) }
                }
            }
            var quadratic: [QuadraticTerm] = []
            for t in program.quadratic where partnerOfColumn[t.row] == p || partnerOfColumn[t.column] == p {
                guard partnerOfColumn[t.row] == partnerOfColumn[t.column] else {
                    throw ModelFileError(
                        file: "model", line: nil,
                        message: "quadratic term ('\(program.columnNames[t.row])', '\(program.columnNames[t.column])') "
                            + "couples two partners: the objective is not separable")
                }
                quadratic.append(QuadraticTerm(row: localIndex[t.row], column: localIndex[t.column], value: t.value))
            }
            programs.append(
                LinearProgram(
                    name: "\(chainName)-\(names[p])", sense: program.sense, objectiveName: program.objectiveName,
                    objective: cols.map { program.objective[$0] }, quadratic: quadratic,
                    matrix: SparseMatrix(rowCount: rows.count, columnCount: cols.count, triplets: triplets),
                    columnLower: cols.map { program.columnLower[$0] }, columnUpper: cols.map { program.columnUpper[$0] },
                    rowLower: rows.map { program.rowLower[$0] }, rowUpper: rows.map { program.rowUpper[$0] },
                    columnNames: cols.map { program.columnNames[$0] }, rowNames: rows.map { program.rowNames[$0] },
                    isInteger: cols.map { program.isInteger[$0] }))
            originalColumns.append(cols)
        }
        var interface = Array(repeating: Set<Int>(), count: count)
        var linking: [ChainContract.LinkingRow] = []
        for r in decomposition.linkingRows {
            let (cols, vals) = rowsView.column(r)
            var terms: [ChainContract.Term] = []
            for (j, v) in zip(cols, vals) {
                let p = partnerOfColumn[j]
                interface[p].insert(j)
                terms.append(ChainContract.Term(partner: names[p], variable: program.columnNames[j], coefficient: v))
            }
            if terms.isEmpty { continue }  // an empty row constrains nothing
            linking.append(
                ChainContract.LinkingRow(name: program.rowNames[r], lower: program.rowLower[r], upper: program.rowUpper[r], terms: terms))
        }
        let parties = (0..<count).map { p in
            ChainContract.Party(name: names[p], interface: interface[p].sorted().map { program.columnNames[$0] })
        }
        let contract = ChainContract(
            chain: chainName, sense: program.sense, partners: parties, linkingRows: linking,
            objectiveConstant: program.objectiveConstant)
        return Result(contract: contract, programs: programs, originalColumns: originalColumns)
    }
}
