import Foundation
import Testing

@testable import ParleyDecomposition

/// The accelerator on problems whose answers are known by hand.
@Suite struct AndersonAccelerationTests {
    /// A = diag(1, 4), b = (3, −2): γ = (3, −0.5).
    @Test func solvesADiagonalSystem() throws {
        let gamma = try #require(AndersonAcceleration.solve([[1, 0], [0, 4]], [3, -2], regularization: 0))
        #expect(abs(gamma[0] - 3) < 1e-12 && abs(gamma[1] + 0.5) < 1e-12, "\(gamma)")
    }

    /// A = [[1, 1], [1, 1]] (two equal differences): singular without regularisation (nil: take
    /// the plain step); with λ = 1e-9 × trace the weight is shared, γ₁ = γ₂ = 2 / (2 + 2e-9) ≈ 1
    /// for b = (2, 2).
    @Test func equalDifferencesNeedRegularisation() throws {
        #expect(AndersonAcceleration.solve([[1, 1], [1, 1]], [2, 2], regularization: 0) == nil)
        let gamma = try #require(AndersonAcceleration.solve([[1, 1], [1, 1]], [2, 2], regularization: 1e-9))
        #expect(abs(gamma[0] - 1) < 1e-6 && abs(gamma[1] - 1) < 1e-6, "\(gamma)")
    }

    /// x ← Mx + b with M = [[0.9, 0.05, 0], [0, 0.8, 0.1], [0.05, 0, 0.95]] and b = (0.2, −0.7, 0.1),
    /// chosen so that the fixed point is x* = (1, −2, 3): (I − M)x* = (0.1 + 0.1, −0.4 − 0.3,
    /// −0.05 + 0.15). M's spectral radius is near 0.96, so the plain iteration is still far
    /// away after 12 steps; on a linear map, type-II acceleration with a memory at least the
    /// dimension is exact after a few more steps than the dimension. The accelerator sees only
    /// inner products of residuals and returns weights on images, as ADMM uses it.
    @Test func linearMapConvergesInAFewSteps() throws {
        let m: [[Double]] = [[0.9, 0.05, 0], [0, 0.8, 0.1], [0.05, 0, 0.95]]
        let b: [Double] = [0.2, -0.7, 0.1]
        let solution: [Double] = [1, -2, 3]
        func map(_ x: [Double]) -> [Double] { (0..<3).map { i in (0..<3).reduce(b[i]) { $0 + m[i][$1] * x[$1] } } }
        func error(_ x: [Double]) -> Double { zip(x, solution).map { abs($0 - $1) }.max()! }
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }

        var accelerator = AndersonAcceleration(memory: 5, regularization: 0)
        var images: [Int: [Double]] = [:]
        var residuals: [Int: [Double]] = [:]
        var x: [Double] = [0, 0, 0]
        var plain: [Double] = [0, 0, 0]
        for step in 1...12 {
            let image = map(x)
            images[step] = image
            residuals[step] = zip(image, x).map { $0 - $1 }
            accelerator.record(
                iteration: step, products: accelerator.iterations.map { dot(residuals[step]!, residuals[$0]!) },
                selfProduct: dot(residuals[step]!, residuals[step]!))
            if let weights = accelerator.weights() {
                #expect(abs(weights.reduce(0, +) - 1) < 1e-9)
                x = zip(accelerator.iterations, weights).reduce(into: [0, 0, 0]) { sum, term in
                    for i in 0..<3 { sum[i] += term.1 * images[term.0]![i] }
                }
            } else {
                x = image
            }
            plain = map(plain)
        }
        #expect(error(x) < 1e-9, "accelerated \(x)")
        #expect(error(plain) > 0.1, "plain \(plain)")
        #expect(accelerator.iterations == Array(7...12), "the window keeps memory + 1 evaluations")

        // After reset() the history is gone: one evaluation gives no weights.
        accelerator.reset()
        accelerator.record(iteration: 13, products: [], selfProduct: 1)
        #expect(accelerator.weights() == nil)
    }

    /// A translation x ← x + c has the same residual c at every step, and the inner products the
    /// accelerator sees differ from ‖c‖² only in their last bits (sums over partners, each
    /// rounded). Those differences are noise, not information: no weights, so the next point
    /// is the plain step. Before, the noise solved to arbitrary weights (ADMM on the generated
    /// nine-scenario chain packed into three partners went back along its drift every 28 steps
    /// and never converged). Differences clearly above round-off still give weights.
    @Test func translationGivesNoWeights() throws {
        let c: [Double] = [0.0486, -0.0486, 0.0121, 0.03]
        let norm = c.reduce(0) { $0 + $1 * $1 }
        var accelerator = AndersonAcceleration(memory: 10)
        for step in 1...11 {
            // ‖c‖² as a sum of rounded parts: equal up to a few units in the last place.
            let noise = Double(step % 3) * norm.ulp
            accelerator.record(
                iteration: step, products: accelerator.iterations.map { _ in norm + noise }, selfProduct: norm + 2 * noise)
            #expect(accelerator.weights() == nil, "step \(step)")
        }

        var informative = AndersonAcceleration(memory: 10)
        for step in 1...3 {
            let shrink = pow(0.5, Double(step))  // residuals c/2, c/4, c/8: a contraction
            informative.record(
                iteration: step,
                products: informative.iterations.map { norm * shrink * pow(0.5, Double($0)) },
                selfProduct: norm * shrink * shrink)
        }
        let weights = try #require(informative.weights())
        #expect(abs(weights.reduce(0, +) - 1) < 1e-9)
    }
}
