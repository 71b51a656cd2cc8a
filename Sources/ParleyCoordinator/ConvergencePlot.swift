import Foundation
import ParleyModel

/// A run's convergence as an SVG picture, written by hand (no dependencies): stacked panels
/// sharing the iteration axis, each with ticks, tick labels, an axis label, a legend and one
/// polyline per series.
///
/// Dantzig–Wolfe: the objective and the bound (linear axis; symmetric logarithmic when their
/// signs differ and their sizes span decades, see `PlotScale.objective`), then the relative gap
/// on a logarithmic axis; phase-1 iterations are shaded. ADMM: the objective, the primal and dual
/// residuals on a logarithmic axis, and ρ on its own logarithmic panel. A log axis has no place
/// for zero or less, and a null has no value: such points are left out and the line joins its
/// neighbours (a final gap of exactly 0 is common; the panel says how many were left out).
public struct ConvergencePlot: Sendable {
    /// The run to draw.
    public var report: ConvergenceReport

    /// A plot of `report`, finished or still running.
    public init(report: ConvergenceReport) {
        self.report = report
    }

    // Layout, in SVG user units (pixels).
    static let width = 960.0
    static let panelHeight = 230.0
    /// ρ changes in few steps: its panel is lower.
    static let smallPanelHeight = 130.0
    static let marginLeft = 100.0
    static let marginRight = 30.0
    /// Title, subtitle, the round's message and the first legend.
    static let marginTop = 100.0
    /// Tick labels below a panel and the legend above the next.
    static let panelGap = 60.0
    static let marginBottom = 56.0
    /// The longest message shown under the title, in characters.
    static let messageLimit = 140
    /// Above this many points a line is drawn without a marker at each point.
    static let markerLimit = 60

    /// Writes the picture to `path` atomically (temporary file, fsync, rename).
    public func write(to path: String) throws(ModelFileError) {
        try AtomicFile.write(svg(), to: path)
    }

    /// One line of the picture: which column of the log, in what colour.
    struct Series {
        var name: String
        var label: String
        var color: String
        var dash: String?
        var value: (ConvergenceRecord) -> Double?
    }

    struct Panel {
        var name: String
        var axisLabel: String
        var series: [Series]
        var logarithmic: Bool
        var height = ConvergencePlot.panelHeight
    }

    /// The panels for the report's method (DW when the log does not say).
    var panels: [Panel] {
        let objective = Series(name: "objective", label: "objective", color: "#1f77b4") { $0.objective }
        if report.method == .admm {
            return [
                Panel(name: "objective", axisLabel: "objective", series: [objective], logarithmic: false),
                Panel(
                    name: "residuals", axisLabel: "residual (log)",
                    series: [
                        Series(name: "primal_residual", label: "primal residual", color: "#d62728") { $0.primalResidual },
                        Series(name: "dual_residual", label: "dual residual", color: "#9467bd", dash: "6 3") { $0.dualResidual },
                    ],
                    logarithmic: true),
                Panel(
                    name: "rho", axisLabel: "ρ (log)",
                    series: [Series(name: "rho", label: "ρ (penalty)", color: "#ff7f0e") { $0.rho }],
                    logarithmic: true, height: Self.smallPanelHeight),
            ]
        }
        return [
            Panel(
                name: "objective", axisLabel: "objective and bound",
                series: [objective, Series(name: "bound", label: "bound", color: "#d62728", dash: "6 3") { $0.bound }],
                logarithmic: false),
            Panel(
                name: "gap", axisLabel: "relative gap (log)",
                series: [Series(name: "gap", label: "relative gap", color: "#2ca02c") { $0.gap }],
                logarithmic: true),
        ]
    }

    /// The whole SVG document.
    public func svg() -> String {
        let panels = panels
        let height = Self.marginTop + panels.map(\.height).reduce(0, +)
            + Double(panels.count - 1) * Self.panelGap + Self.marginBottom
        let iterations = report.records.map(\.iteration)
        let x = PlotScale.iterations(from: iterations.min() ?? 1, to: iterations.max() ?? 2)
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(n(Self.width))" height="\(n(height))" \
            viewBox="0 0 \(n(Self.width)) \(n(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text class="title" x="\(n(Self.marginLeft))" y="26" font-size="17" font-weight="bold">\(escape(title))</text>
            <text class="subtitle" x="\(n(Self.marginLeft))" y="46" fill="#444">\(escape(subtitle))</text>
            <text class="message" x="\(n(Self.marginLeft))" y="64" fill="#444">\(escape(message))</text>

            """
        var top = Self.marginTop
        for (k, panel) in panels.enumerated() {
            out += draw(panel, top: top, x: x, xLabel: k == panels.count - 1)
            top += panel.height + Self.panelGap
        }
        return out + "</svg>\n"
    }

    var title: String {
        let name = URL(fileURLWithPath: report.runDirectory).standardized.lastPathComponent
        let method = report.method == .admm ? "ADMM" : "Dantzig–Wolfe"
        let status = report.summary?.status ?? (report.records.isEmpty ? "no iterations yet" : "running")
        return "\(name) — \(method) — \(status)"
    }

    var subtitle: String {
        guard let summary = report.summary else {
            return "\(report.records.count) iterations so far (no summary.json yet)"
        }
        var parts: [String] = []
        typealias Log = ConvergenceLog
        if let v = summary.objective { parts.append("objective " + Log.objectiveText(v)) }
        if let v = summary.bound { parts.append("bound " + Log.objectiveText(v)) }
        if let v = summary.gap { parts.append("gap " + Log.smallText(v)) }
        if let i = summary.iterations {
            parts.append("\(i) iterations" + (summary.seconds.map { " in " + Log.secondsText($0) + " s" } ?? ""))
        }
        return parts.joined(separator: " · ")
    }

    /// The round's own account of how it ended, cut to fit the width.
    var message: String {
        guard let message = report.summary?.message else { return "" }
        return message.count > Self.messageLimit ? message.prefix(Self.messageLimit - 1) + "…" : message
    }

    func draw(_ panel: Panel, top: Double, x: PlotScale, xLabel: Bool) -> String {
        let left = Self.marginLeft
        let width = Self.width - Self.marginLeft - Self.marginRight
        let (right, bottom) = (left + width, top + panel.height)
        let all = panel.series.flatMap { series in report.records.compactMap(series.value) }
        let y = panel.logarithmic ? PlotScale.logarithmic(all) : PlotScale.objective(all)
        // Clamped, so that no point can leave the plot area.
        func px(_ v: Double) -> Double { left + min(max(x.fraction(v), 0), 1) * width }
        func py(_ v: Double) -> Double { bottom - min(max(y.fraction(v), 0), 1) * panel.height }
        let inPanel = "data-panel=\"\(panel.name)\""
        var out = "<g class=\"panel\" \(inPanel)>\n"
        out += rect(left, top, width, panel.height, "class=\"plot-area\" \(inPanel) fill=\"white\"")

        // Phase 1 of DW (artificial variables still in the master) on a grey ground.
        if report.method != .admm, let last = report.records.last(where: { $0.phase == 1 })?.iteration,
            report.records.contains(where: { $0.phase == 2 })
        {
            out += rect(left, top, px(Double(last) + 0.5) - left, panel.height, "class=\"phase1\" fill=\"#f0f0f0\"")
            out += text(left + 4, bottom - 6, "phase 1", "font-size=\"10\" fill=\"#777\"")
        }

        // Grid, ticks and tick labels; minor ticks (no label) are shorter and have no grid line.
        for tick in y.ticks {
            let ty = py(tick.value)
            guard let label = tick.label else {
                out += line(left - 3, ty, left, ty, "stroke=\"#444\"")
                continue
            }
            out += line(left, ty, right, ty, "stroke=\"#e3e3e3\"") + line(left - 6, ty, left, ty, "stroke=\"#444\"")
            out += text(left - 9, ty + 4, tickText(label, tick.exponent), "class=\"tick-label\" text-anchor=\"end\"")
        }
        for tick in x.ticks {
            let tx = px(tick.value)
            out += line(tx, top, tx, bottom, "stroke=\"#eeeeee\"") + line(tx, bottom, tx, bottom + 6, "stroke=\"#444\"")
            out += text(tx, bottom + 19, tick.label ?? "", "class=\"tick-label\" text-anchor=\"middle\"")
        }
        out += rect(left, top, width, panel.height, "fill=\"none\" stroke=\"#888\"")

        // Axis labels.
        let middle = top + panel.height / 2
        out += text(
            18, middle, escape(panel.axisLabel),
            "class=\"axis-label\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(n(middle)))\"")
        if xLabel {
            out += text(left + width / 2, bottom + 40, "iteration", "class=\"axis-label\" text-anchor=\"middle\"")
        }

        // The lines, and the legend with what could not be drawn.
        var legend: [(Series, Int)] = []
        for series in panel.series {
            let points = report.records.compactMap { r -> (Double, Double)? in
                guard let v = series.value(r), y.canShow(v) else { return nil }
                return (px(Double(r.iteration)), py(v))
            }
            out += "<polyline class=\"series\" data-series=\"\(series.name)\" \(inPanel) fill=\"none\" "
                + "\(stroke(series, width: 1.8)) stroke-linejoin=\"round\" points=\""
                + points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ") + "\"/>\n"
            if points.count <= Self.markerLimit {
                for (px, py) in points {
                    out += "<circle cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"2.5\" fill=\"\(series.color)\"/>\n"
                }
            }
            let present = report.records.filter { series.value($0) != nil }.count
            legend.append((series, present - points.count))
        }
        out += legendRow(legend, right: right - 4, baseline: top - 8)
        return out + "</g>\n"
    }

    /// The legend of a panel: one row above its top right corner, where it hides no data. Each
    /// entry is the line's stroke and its label, with the number of points a log axis left out.
    func legendRow(_ entries: [(Series, Int)], right: Double, baseline: Double) -> String {
        let labels = entries.map { series, skipped in
            (series, skipped > 0 ? "\(series.label) (\(skipped) ≤ 0 not drawn)" : series.label)
        }
        // Text width is estimated (about 7 units a character at 12 units): SVG has no measuring.
        let widths = labels.map { 30 + 7.0 * Double($0.1.count) }
        var left = right - widths.reduce(0, +) - 16 * Double(labels.count - 1)
        var out = "<g class=\"legend\">\n"
        for ((series, label), width) in zip(labels, widths) {
            out += line(left, baseline - 4, left + 24, baseline - 4, stroke(series, width: 2))
            out += text(left + 30, baseline, escape(label), "class=\"legend-label\"")
            left += width + 16
        }
        return out + "</g>\n"
    }

    // MARK: SVG elements

    func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ style: String) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" \(style)/>\n"
    }

    func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, _ style: String) -> String {
        "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" \(style)/>\n"
    }

    /// A text element; `markup` is already escaped (it may hold a `tspan`).
    func text(_ x: Double, _ y: Double, _ markup: String, _ style: String) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" \(style)>\(markup)</text>\n"
    }

    /// A series' stroke: its colour, the width, and its dashes if it has them.
    func stroke(_ series: Series, width: Double) -> String {
        "stroke=\"\(series.color)\" stroke-width=\"\(width)\"" + (series.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
    }

    /// A tick label; a decade label gets its exponent raised (10⁻⁶ as `10` and a superscript).
    func tickText(_ label: String, _ exponent: Int?) -> String {
        guard let exponent else { return escape(label) }
        return escape(label) + "<tspan dy=\"-6\" font-size=\"9\">\(exponent)</tspan>"
    }

    /// A coordinate with one decimal: finer than any screen, short in the file.
    func n(_ value: Double) -> String { String(format: "%.1f", value) }

    func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
