import Foundation

/// Paths of the shared instance files copied into `Tests/Fixtures/instances`.
enum Fixtures {
    static let instances = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/instances").standardizedFileURL

    struct Reference: Sendable, CustomStringConvertible {
        var name: String
        var path: String
        var optimum: Double
        var description: String { name }
    }

    /// Every instance in `optima.csv` with its reference optimum (HiGHS, per the file's README).
    static let references: [Reference] = {
        let text = try! String(contentsOf: instances.appendingPathComponent("optima.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines[0].map(String.init)
        let name = header.firstIndex(of: "name")!
        let file = header.firstIndex(of: "file")!
        let optimum = header.firstIndex(of: "reference_optimum")!
        return lines.dropFirst().map {
            Reference(
                name: String($0[name]), path: instances.appendingPathComponent(String($0[file])).path,
                optimum: Double($0[optimum])!)
        }
    }()

    static func path(_ relative: String) -> String { instances.appendingPathComponent(relative).path }
}
