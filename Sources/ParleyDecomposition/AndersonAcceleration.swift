/// Type-II Anderson acceleration of a fixed-point iteration x ← g(x) (Walker & Ni 2011), in the
/// regularised form SCS and the accelerated Douglas–Rachford methods use (Fu, Zhang & Boyd 2020):
/// from the residuals fₜ = g(xₜ) − xₜ of the last evaluations t₀ … tₙ,
///
///     γ = argmin ‖fₙ − Σⱼ γⱼ (fⱼ₊₁ − fⱼ)‖² + λ‖γ‖²,   x_next = g(xₙ) − Σⱼ γⱼ (g(xⱼ₊₁) − g(xⱼ)).
///
/// It works on inner products only: the caller records each evaluation's residual as its inner
/// products with the earlier ones, and gets back weights on the earlier *images* g(xₜ), which
/// sum to 1. So the vectors themselves may be spread over parties who each add up their own
/// part of every inner product (ADMM's partners), and only the sums are needed here.
///
/// It only proposes points; the caller evaluates g there, keeps a step only when its residual does
/// not grow (the safeguard), and calls `reset()` whenever g itself changes (ADMM's ρ).
struct AndersonAcceleration: Sendable {
    /// How many past differences enter the least-squares problem.
    let memory: Int
    /// λ relative to the size of the differences, so that nearly parallel ones stay solvable.
    let regularization: Double
    /// The evaluations recorded since the last reset, oldest first (at most `memory` + 1).
    private(set) var iterations: [Int] = []
    /// gram[a][b] = ⟨f_a, f_b⟩ over `iterations`.
    private var gram: [[Double]] = []

    /// The differences of the residuals carry information only when their squared norms sum to
    /// more than this × n × the largest squared residual. Below it they are round-off: the map
    /// is (for now) a translation, x ← x + c, every residual the same c, and the differences of
    /// their inner products (each ‖c‖² up to the last bits) make a least-squares problem of
    /// noise whose solution is arbitrary. It was: on a generated nine-scenario program
    /// (Tests/Fixtures/solver/generated-st9) packed into three partners, the partners' updates
    /// sat at vertices of their models while the scaled duals drifted by the same amount each
    /// step; every 28 steps the noise proposed a combination far back along that drift, the
    /// safeguard refused it a step later, and the round repeated that cycle to its iteration
    /// limit (4,000 steps, the primal residual stuck at 0.12; with this rule it converges in
    /// 186, and in 107 without acceleration). The same noise gave the weights summing to 6e10
    /// that ADMM's weight limit was first added for. A translation is what a plain step
    /// handles: each one moves the duals on by c, until a partner's update leaves its vertex
    /// (or, when no update ever does, ADMM's unbounded test sees it).
    static let informative = 1e-10

    init(memory: Int, regularization: Double = 1e-10) {
        precondition(memory >= 1)
        self.memory = memory
        self.regularization = regularization
    }

    /// Forgets every past evaluation.
    mutating func reset() {
        iterations.removeAll()
        gram.removeAll()
    }

    /// Records evaluation `iteration`, whose residual has inner products `products` with the
    /// residuals of `iterations` (in that order) and `selfProduct` with itself.
    mutating func record(iteration: Int, products: [Double], selfProduct: Double) {
        precondition(products.count == iterations.count)
        for (a, p) in products.enumerated() { gram[a].append(p) }
        gram.append(products + [selfProduct])
        iterations.append(iteration)
        if iterations.count > memory + 1 {
            iterations.removeFirst()
            gram.removeFirst()
            for a in gram.indices { gram[a].removeFirst() }
        }
    }

    /// Weights on the images of `iterations` (summing to 1) that make the next point, or nil
    /// when fewer than two evaluations are recorded, the least-squares problem is singular, or
    /// the residuals barely differ (see `informative`): then the last image itself is the next
    /// point.
    func weights() -> [Double]? {
        let n = iterations.count - 1
        guard n >= 1 else { return nil }
        // Differences Δⱼ = fⱼ₊₁ − fⱼ: their Gram matrix and their products with the last residual.
        func g(_ a: Int, _ b: Int) -> Double { gram[a][b] }
        var normal = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for j in 0..<n {
            for l in 0..<n { normal[j][l] = g(j + 1, l + 1) - g(j + 1, l) - g(j, l + 1) + g(j, l) }
        }
        let rhs = (0..<n).map { g($0 + 1, n) - g($0, n) }
        let differences = (0..<n).reduce(0) { $0 + normal[$1][$1] }
        let largest = (0...n).map { g($0, $0) }.max() ?? 0
        guard differences > Self.informative * Double(n) * largest else { return nil }
        guard let gamma = Self.solve(normal, rhs, regularization: regularization) else { return nil }
        var weights = [Double](repeating: 0, count: n + 1)
        weights[n] = 1 - gamma[n - 1]
        weights[0] += gamma[0]
        for j in 1..<n { weights[j] += gamma[j] - gamma[j - 1] }
        return weights.allSatisfy(\.isFinite) ? weights : nil
    }

    /// (A + λI) γ = b for a symmetric positive semi-definite A, λ = `regularization` × trace(A),
    /// by Cholesky (at most `memory` unknowns); nil when singular up to rounding.
    static func solve(_ a: [[Double]], _ b: [Double], regularization: Double) -> [Double]? {
        let n = b.count
        guard n > 0, a.count == n else { return nil }
        var l = a
        let scale = (0..<n).reduce(0) { $0 + a[$1][$1] }
        guard scale > 0, scale.isFinite else { return nil }
        for i in 0..<n { l[i][i] += regularization * scale }
        // In place: the lower triangle becomes L with LLᵀ = A + λI.
        for j in 0..<n {
            var d = l[j][j]
            for k in 0..<j { d -= l[j][k] * l[j][k] }
            guard d > 1e-14 * scale else { return nil }  // singular, up to rounding
            l[j][j] = d.squareRoot()
            for i in (j + 1)..<n {
                var s = l[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                l[i][j] = s / l[j][j]
            }
        }
        var x = b
        for i in 0..<n {
            for k in 0..<i { x[i] -= l[i][k] * x[k] }
            x[i] /= l[i][i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { x[i] -= l[k][i] * x[k] }
            x[i] /= l[i][i]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
