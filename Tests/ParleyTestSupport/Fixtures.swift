import Foundation

/// Paths of the shared instance files copied into `Tests/Fixtures/instances`, for every test
/// target that needs the published LPs and their reference optima.
public enum Fixtures {
    public static let instances = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/instances").standardizedFileURL

    public struct Reference: Sendable, CustomStringConvertible {
        public var name: String
        public var path: String
        public var optimum: Double
        public var description: String { name }
    }

    /// Every instance in `optima.csv` with its reference optimum (HiGHS, per the file's README).
    public static let references: [Reference] = {
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

    public static func path(_ relative: String) -> String { instances.appendingPathComponent(relative).path }

    /// Models this project derived and keeps for solver regressions (`Tests/Fixtures/solver`,
    /// each described in its README).
    public static func solverModel(_ name: String) -> String {
        instances.deletingLastPathComponent().appendingPathComponent("solver").appendingPathComponent(name).path
    }
}
