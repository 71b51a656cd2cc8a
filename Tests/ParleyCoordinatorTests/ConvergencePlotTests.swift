import Foundation
import ParleyCoordinator
import ParleyModel
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `parley log plot`: the SVG is well-formed XML with a sized root, one line per series drawn
/// inside its panel, legends and axis labels, and log axes that leave out what they cannot show.
@Suite struct ConvergencePlotTests {
    /// The elements of an SVG document, with the text inside each `<text>`.
    final class Document: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []
        private var text: String?

        static func parse(_ svg: String) throws -> Document {
            let document = Document()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = document
            guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
            return document
        }

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements.append((name, attributes))
            if name == "text" { text = "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text? += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text", let text {
                texts.append(text)
                self.text = nil
            }
        }

        func all(_ name: String) -> [[String: String]] { elements.filter { $0.name == name }.map(\.attributes) }

        /// The points of each line, by series name.
        var series: [String: [(Double, Double)]] {
            var series: [String: [(Double, Double)]] = [:]
            for line in all("polyline") {
                series[line["data-series"]!] = line["points"]!.split(separator: " ").map {
                    let xy = $0.split(separator: ",")
                    return (Double(xy[0])!, Double(xy[1])!)
                }
            }
            return series
        }

        /// Every line's points lie within the plot area of its panel.
        func pointsInsideTheirPanels() -> Bool {
            let areas = all("rect").filter { $0["class"] == "plot-area" }
            return all("polyline").allSatisfy { line in
                guard let area = areas.first(where: { $0["data-panel"] == line["data-panel"] }),
                    let x = Double(area["x"]!), let y = Double(area["y"]!),
                    let w = Double(area["width"]!), let h = Double(area["height"]!)
                else { return false }
                return line["points"]!.split(separator: " ").allSatisfy { point in
                    let xy = point.split(separator: ",").map { Double($0)! }
                    return xy[0] >= x && xy[0] <= x + w && xy[1] >= y && xy[1] <= y + h
                }
            }
        }
    }

    @Test func dantzigWolfePlotOfARealRound() async throws {
        let run = try await SampleRun.make(.dw)
        defer { run.remove() }
        let report = try ConvergenceReport.load(runDirectory: run.runDirectory)
        try ConvergencePlot(report: report).write(to: "\(run.work)/plot.svg")
        let svg = try String(contentsOfFile: "\(run.work)/plot.svg", encoding: .utf8)
        let document = try Document.parse(svg)

        let root = try #require(document.elements.first)
        #expect(root.name == "svg")
        let (width, height) = (try #require(Double(root.attributes["width"] ?? "")), try #require(Double(root.attributes["height"] ?? "")))
        #expect(root.attributes["viewBox"] == "0 0 \(String(format: "%.1f", width)) \(String(format: "%.1f", height))")
        #expect(width > 0 && height > 0)

        let series = document.series
        #expect(Set(series.keys) == ["objective", "bound", "gap"])
        #expect(series["objective"]?.count == report.records.filter { $0.objective != nil }.count)
        #expect(series["gap"]?.count == report.records.filter { ($0.gap ?? 0) > 0 }.count)
        #expect((series["gap"]?.count ?? 0) >= 2)
        #expect(document.pointsInsideTheirPanels())
        // x grows with the iteration.
        let xs = try #require(series["objective"]).map(\.0)
        #expect(xs == xs.sorted())

        for text in ["objective", "bound", "objective and bound", "relative gap (log)", "iteration"] {
            #expect(document.texts.contains(text), "no text '\(text)'")
        }
        #expect(document.texts.contains { $0.hasPrefix("relative gap") && $0 != "relative gap (log)" })
        #expect(document.texts.contains("run — Dantzig–Wolfe — optimal"))
        // Decade tick labels on the gap axis: "10" with the exponent raised.
        #expect(document.texts.contains("10-1") || document.texts.contains("100"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.work).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func admmPlotHasResidualsAndRho() async throws {
        let run = try await SampleRun.make(.admm, maximumIterations: 40)
        defer { run.remove() }
        let report = try ConvergenceReport.load(runDirectory: run.runDirectory)
        let document = try Document.parse(ConvergencePlot(report: report).svg())
        let series = document.series
        #expect(Set(series.keys) == ["objective", "primal_residual", "dual_residual", "rho"])
        #expect(series["rho"]?.count == report.records.count)
        #expect(series["primal_residual"]?.count == report.records.filter { ($0.primalResidual ?? 0) > 0 }.count)
        #expect(document.pointsInsideTheirPanels())
        for text in ["objective", "primal residual", "dual residual", "ρ (penalty)", "residual (log)", "ρ (log)", "iteration"] {
            #expect(document.texts.contains(text), "no text '\(text)'")
        }
        #expect(document.texts.contains("run — ADMM — \(run.result.status.rawValue)"))
        #expect(document.all("rect").filter { $0["class"] == "plot-area" }.count == 3)
    }

    @Test func zeroAndNullGapsAreLeftOutOfTheLogAxis() throws {
        let log = """
            {"iteration": 1, "seconds": 0.1, "objective": -40, "bound": -9000, "gap": null, "phase": 1}
            {"iteration": 2, "seconds": 0.2, "objective": 30, "bound": -200, "gap": 0.5, "phase": 2}
            {"iteration": 3, "seconds": 0.3, "objective": 20, "bound": 12, "gap": 0.004, "phase": 2}
            {"iteration": 4, "seconds": 0.4, "objective": 20, "bound": 20, "gap": 0, "phase": 2}

            """
        let run = try SampleRun.directory(log: log)
        defer { try? FileManager.default.removeItem(atPath: run) }
        let document = try Document.parse(ConvergencePlot(report: try ConvergenceReport.load(runDirectory: run)).svg())
        let series = document.series
        #expect(series["gap"]?.count == 2)
        #expect(series["objective"]?.count == 4)
        #expect(document.pointsInsideTheirPanels())
        #expect(document.texts.contains("relative gap (1 ≤ 0 not drawn)"))
        // Signs differ and sizes span decades: the objective axis is symmetric-logarithmic, with
        // ticks at 0 and at decades of each sign up to its own largest (30 → 10^2, -9000 → -10^4);
        // the gap axis has its decades 10^-3 … 10^0.
        for label in ["0", "101", "-101", "102", "-103", "-104"] { #expect(document.texts.contains(label), "no tick '\(label)'") }
        #expect(!document.texts.contains("103"))
        for label in ["10-3", "10-2", "10-1", "100"] { #expect(document.texts.contains(label), "no tick '\(label)'") }
        #expect(document.texts.contains("\(URL(fileURLWithPath: run).lastPathComponent) — Dantzig–Wolfe — running"))
        // Phase 1 is shaded.
        #expect(document.all("rect").contains { $0["class"] == "phase1" })
    }

    @Test func plotNeedsAWritableDirectory() throws {
        let run = try SampleRun.directory(log: "")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let plot = ConvergencePlot(report: try ConvergenceReport.load(runDirectory: run))
        #expect(throws: ModelFileError.self) { try plot.write(to: "/nonexistent/plot.svg") }
        // An empty log still gives a valid picture, with its lines empty.
        let document = try Document.parse(plot.svg())
        let series = document.series
        #expect(Set(series.keys) == ["objective", "bound", "gap"])
        #expect(series.values.allSatisfy { $0.isEmpty })
        #expect(document.texts.contains { $0.hasSuffix("— no iterations yet") })
    }
}
