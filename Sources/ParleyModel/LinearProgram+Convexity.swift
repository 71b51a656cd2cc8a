/// Whether a quadratic objective is convex in the model's sense. CLP's QP solvers assume it is:
/// given `minimize x − x²` on 0 ≤ x ≤ 4 CLP stops "optimal" at x = 0 (objective 0), a local
/// optimum, where the optimum is −12 at x = 4. So a model whose objective is not convex is
/// refused when it is read, rather than solved wrongly.
extension LinearProgram {
    /// Curvature below `−tolerance` × the largest |Q| entry counts as negative (rounding in the
    /// file's coefficients aside).
    public static let convexityTolerance = 1e-9

    /// Components of Q (columns linked by off-diagonal entries) larger than this are not checked:
    /// the dense factorisation is O(k³). Separable costs, the usual case, are components of one.
    public static let largestConvexityCheck = 3000

    /// The columns on which ½ xᵀQx curves the wrong way for the model's sense (Q not positive
    /// semidefinite when minimising, not negative semidefinite when maximising), over the columns
    /// that are not fixed; nil if it is convex. One column when a diagonal entry alone is at
    /// fault, else the columns of the coupled block where the factorisation failed.
    public func nonConvexColumns() -> [Int]? {
        guard isQuadratic else { return nil }
        let sign = sense == .maximize ? -1.0 : 1.0
        let movable = (0..<columnCount).map { columnLower[$0] < columnUpper[$0] }
        let largest = quadratic.reduce(0.0) { max($0, abs($1.value)) }
        guard largest > 0 else { return nil }
        let slack = Self.convexityTolerance * largest

        // Blocks of columns coupled by off-diagonal entries.
        var sets = DisjointSets(count: columnCount)
        var involved = Set<Int>()
        for t in quadratic where movable[t.row] && movable[t.column] {
            involved.insert(t.row)
            involved.insert(t.column)
            sets.join(t.row, t.column)
        }
        var blocks: [Int: [Int]] = [:]
        for j in involved.sorted() { blocks[sets.find(j), default: []].append(j) }

        var entries: [Int: [(Int, Double)]] = [:]
        for t in quadratic where movable[t.row] && movable[t.column] {
            entries[t.row, default: []].append((t.column, sign * t.value))
        }
        for members in blocks.values.sorted(by: { $0[0] < $1[0] }) {
            if members.count == 1 {
                let j = members[0]
                let diagonal = entries[j]?.first { $0.0 == j }?.1 ?? 0
                if diagonal < -slack { return [j] }
                continue
            }
            guard members.count <= Self.largestConvexityCheck else { continue }
            // Cholesky of the block + slack·I: it succeeds exactly when no eigenvalue of the
            // block is below −slack (up to rounding).
            let k = members.count
            let position = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1, $0) })
            var a = [Double](repeating: 0, count: k * k)
            for j in members {
                for (other, value) in entries[j] ?? [] {
                    guard let p = position[j], let q = position[other] else { continue }
                    a[p * k + q] = value
                    a[q * k + p] = value
                }
            }
            for p in 0..<k { a[p * k + p] += slack }
            for p in 0..<k {
                var pivot = a[p * k + p]
                for r in 0..<p { pivot -= a[p * k + r] * a[p * k + r] }
                guard pivot > 0 else { return members }
                let root = pivot.squareRoot()
                a[p * k + p] = root
                for q in (p + 1)..<k {
                    var value = a[q * k + p]
                    for r in 0..<p { value -= a[q * k + r] * a[p * k + r] }
                    a[q * k + p] = value / root
                }
            }
        }
        return nil
    }
}
