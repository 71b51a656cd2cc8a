/// A problem with an input file, located as precisely as the reader can: file, line, message.
///
/// Its `description` is the one-line form users see, `file:line: message`, so that editors and
/// terminals can jump to the spot.
public struct ModelFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    /// 1-based line number, or `nil` when the problem is with the file as a whole.
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
