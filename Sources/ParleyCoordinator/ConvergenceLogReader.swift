import Foundation
import ParleyModel

/// Splits the bytes of a `convergence.jsonl` into records as they arrive, in any pieces.
///
/// A round appends its log while it runs, so a reader may see the last line half written. Only
/// lines ended by a newline are read; the rest waits for more bytes, or for `finish()` once the
/// round is known to be over. Errors name the file and the 1-based line.
public struct ConvergenceLogReader: Sendable {
    /// The file the bytes come from, for error messages.
    public let path: String
    private var pending: [UInt8] = []
    private var linesRead = 0

    /// A reader at the start of the file at `path`.
    public init(path: String) {
        self.path = path
    }

    /// Whether bytes of an unfinished line are waiting for their newline.
    public var hasPartialLine: Bool { !pending.isEmpty }

    /// Takes the next bytes of the file and returns the records of the lines they complete.
    /// Blank lines are skipped (they still count for line numbers).
    public mutating func consume(_ bytes: some Sequence<UInt8>) throws(ModelFileError) -> [ConvergenceRecord] {
        pending.append(contentsOf: bytes)
        var records: [ConvergenceRecord] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if let record = try parse(pending[start..<newline]) { records.append(record) }
            start = newline + 1
        }
        pending.removeFirst(start)
        return records
    }

    /// The end of the file: a last line without a newline is read as a whole line. If it does
    /// not read, the error says it was cut short (a write the disk took only in part), not
    /// that it is malformed.
    public mutating func finish() throws(ModelFileError) -> [ConvergenceRecord] {
        guard !pending.isEmpty else { return [] }
        let line = pending
        pending = []
        do {
            return try parse(line[...]).map { [$0] } ?? []
        } catch {
            throw ModelFileError(
                file: error.file, line: error.line,
                message: "the last line is cut short (no newline ends it: written only in part, as when the disk fills): "
                    + error.message)
        }
    }

    private mutating func parse(_ line: ArraySlice<UInt8>) throws(ModelFileError) -> ConvergenceRecord? {
        linesRead += 1
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return nil }
        do {
            return try JSONDecoder().decode(ConvergenceRecord.self, from: Data(text.utf8))
        } catch let error as ConvergenceRecord.FieldError {
            throw ModelFileError(file: path, line: linesRead, message: error.message)
        } catch {
            let shown = text.count > 40 ? text.prefix(40) + "…" : text[...]
            throw ModelFileError(file: path, line: linesRead, message: "not a JSON object: \(shown)")
        }
    }
}
