import Testing

@testable import ParleyDecomposition

/// The accelerator on problems whose answers are known by hand.
@Suite struct AndersonAccelerationTests {
    /// Two orthogonal unit columns: the least-squares weights are b's coordinates, (3, −2).
    @Test func leastSquaresOnOrthogonalColumns() throws {
        let gamma = try #require(AndersonAcceleration.leastSquares([[1, 0, 0], [0, 1, 0]], [3, -2, 5], regularization: 0))
        #expect(abs(gamma[0] - 3) < 1e-12 && abs(gamma[1] + 2) < 1e-12, "\(gamma)")
    }

    /// Two equal columns: singular without regularisation (nil: take the plain step); with it,
    /// the weight is shared equally, γ₁ = γ₂ = ⟨a, b⟩ / (2‖a‖² + λ) ≈ 4 / 4 = 1 for a = (1, 1), b = (2, 2).
    @Test func equalColumnsNeedRegularisation() throws {
        #expect(AndersonAcceleration.leastSquares([[1, 1], [1, 1]], [2, 2], regularization: 0) == nil)
        let gamma = try #require(AndersonAcceleration.leastSquares([[1, 1], [1, 1]], [2, 2], regularization: 1e-9))
        #expect(abs(gamma[0] - 1) < 1e-6 && abs(gamma[1] - 1) < 1e-6, "\(gamma)")
    }

    /// x ← Mx + b with M = [[0.9, 0.05, 0], [0, 0.8, 0.1], [0.05, 0, 0.95]] and b = (0.2, −0.7, 0.1),
    /// chosen so that the fixed point is x* = (1, −2, 3): (I − M)x* = (0.1 + 0.1, −0.4 − 0.3,
    /// −0.05 + 0.15). M's spectral radius is near 0.96, so the plain iteration is still far
    /// away after 12 steps; on a linear map, type-II acceleration with a memory at least the
    /// dimension is exact after a few more steps than the dimension.
    @Test func linearMapConvergesInAFewSteps() {
        let m: [[Double]] = [[0.9, 0.05, 0], [0, 0.8, 0.1], [0.05, 0, 0.95]]
        let b: [Double] = [0.2, -0.7, 0.1]
        let solution: [Double] = [1, -2, 3]
        func map(_ x: [Double]) -> [Double] { (0..<3).map { i in (0..<3).reduce(b[i]) { $0 + m[i][$1] * x[$1] } } }
        func error(_ x: [Double]) -> Double { zip(x, solution).map { abs($0 - $1) }.max()! }

        var accelerator = AndersonAcceleration(memory: 5, regularization: 0)
        var x: [Double] = [0, 0, 0]
        var plain: [Double] = [0, 0, 0]
        for _ in 0..<12 {
            let image = map(x)
            x = accelerator.next(point: x, image: image) ?? image
            plain = map(plain)
        }
        #expect(error(x) < 1e-9, "accelerated \(x)")
        #expect(error(plain) > 0.1, "plain \(plain)")

        // After reset() the history is gone: the next call only records.
        accelerator.reset()
        #expect(accelerator.next(point: x, image: map(x)) == nil)
    }
}
