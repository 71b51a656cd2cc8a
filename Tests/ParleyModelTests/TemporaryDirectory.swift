import Foundation

/// A fresh directory under the system's temporary directory, removed with everything in it
/// when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("\(NSTemporaryDirectory())/parley-test-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The absolute path of `relative` inside the directory.
    func file(_ relative: String) -> String { "\(path)/\(relative)" }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
