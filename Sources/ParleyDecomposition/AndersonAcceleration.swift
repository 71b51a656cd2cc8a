/// Type-II Anderson acceleration of a fixed-point iteration x ← g(x) (Walker & Ni 2011), in the
/// regularised form SCS and the accelerated Douglas–Rachford methods use (Fu, Zhang & Boyd 2020):
/// from the last `memory` differences of the images, ΔG, and of the residuals f = g(x) − x, ΔF,
///
///     γ = argmin ‖f_k − ΔF γ‖² + λ‖γ‖²,   x_{k+1} = g(x_k) − ΔG γ.
///
/// It only proposes points; the caller evaluates g there, keeps a step only when its residual does
/// not grow (the safeguard), and calls `reset()` whenever g itself changes (ADMM's ρ).
struct AndersonAcceleration: Sendable {
    /// How many past differences enter the least-squares problem.
    let memory: Int
    /// λ relative to the squared size of ΔF, so that nearly parallel differences stay solvable.
    let regularization: Double

    private var lastImage: [Double]?
    private var lastResidual: [Double]?
    private var imageChanges: [[Double]] = []
    private var residualChanges: [[Double]] = []

    init(memory: Int, regularization: Double = 1e-10) {
        precondition(memory >= 1)
        self.memory = memory
        self.regularization = regularization
    }

    /// Forgets every past step: the next `next` returns nil (take the plain step).
    mutating func reset() {
        lastImage = nil
        lastResidual = nil
        imageChanges.removeAll()
        residualChanges.removeAll()
    }

    /// Records g(x) at x and returns the accelerated next point, or nil when there is no history
    /// yet or the least-squares problem cannot be solved: then g(x) itself is the next point.
    mutating func next(point x: [Double], image g: [Double]) -> [Double]? {
        precondition(x.count == g.count)
        let f = zip(g, x).map { $0 - $1 }
        defer {
            lastImage = g
            lastResidual = f
        }
        guard let lastImage, let lastResidual else { return nil }
        imageChanges.append(zip(g, lastImage).map { $0 - $1 })
        residualChanges.append(zip(f, lastResidual).map { $0 - $1 })
        if imageChanges.count > memory {
            imageChanges.removeFirst()
            residualChanges.removeFirst()
        }
        guard let gamma = Self.leastSquares(residualChanges, f, regularization: regularization) else { return nil }
        var next = g
        for (j, change) in imageChanges.enumerated() where gamma[j] != 0 {
            for i in next.indices { next[i] -= gamma[j] * change[i] }
        }
        return next.allSatisfy(\.isFinite) ? next : nil
    }

    /// argmin ‖b − Σⱼ γⱼ aⱼ‖² + λ‖γ‖², λ = `regularization` × Σⱼ‖aⱼ‖², by Cholesky on the normal
    /// equations (at most `memory` unknowns); nil when they are singular up to rounding.
    static func leastSquares(_ columns: [[Double]], _ b: [Double], regularization: Double) -> [Double]? {
        let n = columns.count
        guard n > 0 else { return nil }
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }
        var gram = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var scale = 0.0
        for i in 0..<n {
            for j in 0...i {
                gram[i][j] = dot(columns[i], columns[j])
                gram[j][i] = gram[i][j]
            }
            scale += gram[i][i]
        }
        guard scale > 0, scale.isFinite else { return nil }
        for i in 0..<n { gram[i][i] += regularization * scale }
        var rhs = columns.map { dot($0, b) }
        // In place: the lower triangle becomes L with LLᵀ = gram.
        for j in 0..<n {
            var d = gram[j][j]
            for k in 0..<j { d -= gram[j][k] * gram[j][k] }
            guard d > 1e-14 * scale else { return nil }  // singular, up to rounding
            gram[j][j] = d.squareRoot()
            for i in (j + 1)..<n {
                var s = gram[i][j]
                for k in 0..<j { s -= gram[i][k] * gram[j][k] }
                gram[i][j] = s / gram[j][j]
            }
        }
        for i in 0..<n {
            for k in 0..<i { rhs[i] -= gram[i][k] * rhs[k] }
            rhs[i] /= gram[i][i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { rhs[i] -= gram[k][i] * rhs[k] }
            rhs[i] /= gram[i][i]
        }
        return rhs.allSatisfy(\.isFinite) ? rhs : nil
    }
}
