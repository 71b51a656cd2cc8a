import Foundation

/// One axis of a convergence plot: maps values to the unit interval and chooses its ticks.
///
/// Three kinds. Linear, with "nice" steps (1, 2 or 5 × 10^k) and the range widened to whole
/// steps. Logarithmic, for gaps, residuals and ρ, with the range widened to whole decades and a
/// tick at each decade (every second or more when there are many). Symmetric logarithmic
/// (`sign(y)·log10(1 + |y|/c)`), for an objective and a bound of different signs whose sizes
/// differ by decades, as an early Lagrangian bound often does: linear within ±c, logarithmic
/// beyond, with ticks at 0 and ±10^k.
struct PlotScale: Equatable {
    enum Kind: Equatable {
        case linear
        case logarithmic
        /// With the width `c` of the linear part around zero.
        case symmetricLogarithmic(Double)
    }

    /// A tick: where it is, its label (nil for a minor tick), and whether it is a decade label
    /// (`10` with the exponent raised).
    struct Tick: Equatable {
        var value: Double
        var label: String?
        var exponent: Int?
    }

    var kind: Kind
    var lower: Double
    var upper: Double
    var ticks: [Tick]

    /// Target number of labelled ticks on a linear axis.
    static let linearTickCount = 6
    /// Target number of labelled ticks on the iteration axis.
    static let iterationTickCount = 10
    /// Most decade labels on a logarithmic axis before they are thinned.
    static let decadeLabelCount = 8

    /// Where `value` falls, 0 at `lower` and 1 at `upper` (outside for values out of range).
    func fraction(_ value: Double) -> Double {
        let (a, b, v) = (transform(lower), transform(upper), transform(value))
        return b == a ? 0.5 : (v - a) / (b - a)
    }

    private func transform(_ value: Double) -> Double {
        switch kind {
        case .linear: return value
        case .logarithmic: return log10(value)
        case .symmetricLogarithmic(let c): return (value < 0 ? -1 : 1) * log10(1 + abs(value) / c)
        }
    }

    /// Whether the axis can show `value` at all (a log axis has no place for 0 or less).
    func canShow(_ value: Double) -> Bool {
        value.isFinite && (kind != .logarithmic || value > 0)
    }

    // MARK: Choosing a scale

    /// A linear scale over `values` (finite ones), widened to whole nice steps.
    static func linear(_ values: [Double]) -> PlotScale {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if low == high {
            // One value: an interval around it, so the line sits in the middle.
            let half = low == 0 ? 1 : abs(low) * 0.05
            (low, high) = (low - half, high + half)
        }
        let step = niceStep((high - low) / Double(linearTickCount - 1))
        let lower = (low / step).rounded(.down) * step
        let upper = (high / step).rounded(.up) * step
        let count = Int(((upper - lower) / step).rounded())
        let ticks = (0...count).map { k -> Tick in
            let value = lower + Double(k) * step
            return Tick(value: value, label: linearLabel(value, step: step, magnitude: max(abs(lower), abs(upper))))
        }
        return PlotScale(kind: .linear, lower: lower, upper: upper, ticks: ticks)
    }

    /// The integer iteration axis: a linear scale whose steps are whole numbers (more of them
    /// than on a value axis: the plot is wider than a panel is high).
    static func iterations(from first: Int, to last: Int) -> PlotScale {
        let upper = Double(max(last, first + 1))
        let lower = Double(first)
        let step = max(1, niceStep((upper - lower) / Double(iterationTickCount - 1)))
        var ticks: [Tick] = []
        var value = (lower / step).rounded(.up) * step
        while value <= upper {
            ticks.append(Tick(value: value, label: String(Int(value))))
            value += step
        }
        return PlotScale(kind: .linear, lower: lower, upper: upper, ticks: ticks)
    }

    /// A logarithmic scale over the positive finite `values`, widened to whole decades.
    static func logarithmic(_ values: [Double]) -> PlotScale {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        var low = Int((log10(positive.min() ?? 1)).rounded(.down))
        var high = Int((log10(positive.max() ?? 10)).rounded(.up))
        if low == high { (low, high) = (low - 1, high + 1) }
        let every = (high - low + decadeLabelCount - 1) / decadeLabelCount
        var ticks: [Tick] = []
        for k in low...high {
            let decade = pow(10, Double(k))
            let labelled = (k - low) % every == 0
            ticks.append(Tick(value: decade, label: labelled ? "10" : nil, exponent: labelled ? k : nil))
            // Minor ticks at 2…9 × 10^k where decades are few enough to see them; with one or
            // two decades, 2 and 5 × 10^k are labelled too, or the axis would say too little.
            if k < high && high - low <= decadeLabelCount {
                ticks += (2...9).map { m in
                    let value = Double(m) * decade
                    let label = high - low <= 2 && (m == 2 || m == 5) ? String(format: "%g", value) : nil
                    return Tick(value: value, label: label)
                }
            }
        }
        return PlotScale(kind: .logarithmic, lower: pow(10, Double(low)), upper: pow(10, Double(high)), ticks: ticks)
    }

    /// A symmetric logarithmic scale over `values`, for values of both signs, each side
    /// widened to its own whole decade. The linear part is the decade of the smallest nonzero
    /// size, but at most `decadeLabelCount` decades below the largest, so the picture is not
    /// all near-zero detail.
    static func symmetricLogarithmic(_ values: [Double]) -> PlotScale {
        let finite = values.filter(\.isFinite)
        func decade(_ size: Double?) -> Int? { size.map { Int((log10($0)).rounded(.up)) } }
        let positive = decade(finite.filter { $0 > 0 }.max())
        let negative = decade(finite.filter { $0 < 0 }.map(abs).max())
        // No nonzero value at all: nothing for a logarithm to show.
        guard let top = [positive, negative].compactMap({ $0 }).max() else { return linear(finite) }
        let smallest = finite.map(abs).filter { $0 > 0 }.min() ?? 1
        let bottom = min(max(Int((log10(smallest)).rounded(.down)), top - decadeLabelCount), top - 1)
        let every = (top - bottom + decadeLabelCount / 2) / (decadeLabelCount / 2)
        var ticks = [Tick(value: 0, label: "0")]
        for k in stride(from: top, through: bottom, by: -every) {
            if let positive, k <= positive { ticks.append(Tick(value: pow(10, Double(k)), label: "10", exponent: k)) }
            if let negative, k <= negative { ticks.append(Tick(value: -pow(10, Double(k)), label: "-10", exponent: k)) }
        }
        return PlotScale(
            kind: .symmetricLogarithmic(pow(10, Double(bottom))),
            lower: negative.map { -pow(10, Double($0)) } ?? 0,
            upper: positive.map { pow(10, Double($0)) } ?? 0,
            ticks: ticks)
    }

    /// The scale for an objective and a bound: linear while all values have one sign (or are
    /// within a factor of 100 of each other), symmetric logarithmic when the signs differ and
    /// the sizes span more than two decades.
    static func objective(_ values: [Double]) -> PlotScale {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max(), low < 0, high > 0 else { return linear(finite) }
        let sizes = finite.map(abs).filter { $0 > 0 }
        if let small = sizes.min(), let large = sizes.max(), large / small > 100 { return symmetricLogarithmic(finite) }
        return linear(finite)
    }

    /// 1, 2 or 5 × 10^k, the smallest at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let decade = pow(10, (log10(rough)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * decade >= rough * (1 - 1e-9) { return m * decade }
        return 10 * decade
    }

    /// A tick label with just enough digits to tell neighbours `step` apart: fixed notation for
    /// everyday sizes, scientific for very large or very small ones.
    static func linearLabel(_ value: Double, step: Double, magnitude: Double) -> String {
        if abs(value) < step * 1e-9 { return "0" }
        let stepDigits = Int((log10(step)).rounded(.down))
        if magnitude < 1e6 && stepDigits >= -4 {
            return String(format: "%.\(max(0, -stepDigits))f", value)
        }
        let valueDigits = Int((log10(abs(value))).rounded(.down))
        return String(format: "%.\(max(0, valueDigits - stepDigits))e", value)
    }
}
