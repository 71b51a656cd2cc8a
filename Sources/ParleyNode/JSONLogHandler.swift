import Foundation
import Logging
import ParleyModel

/// Writes one JSON object per log event to standard error: `time`, `level`, `label`, `message`
/// and the metadata as further keys — what `journalctl -o cat | jq` and log shippers expect.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: Any] = [
            "time": Self.timeFormat.format(Date()),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        for (key, value) in merged where fields[key] == nil { fields[key] = Self.plain(value) }
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(UInt8(ascii: "\n"))
        StandardError.write(Array(line))
    }

    /// UTC with milliseconds, as 2026-11-29T20:48:34.302Z. FoundationEssentials' style takes
    /// about 1 µs a line; `ISO8601DateFormatter.string(from:timeZone:formatOptions:)` took 0.24 ms
    /// (it builds an ICU formatter every call): 5% of a node's CPU over a series of rounds, at three
    /// lines a round.
    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let item): item.description
        case .array(let items): items.map(plain)
        case .dictionary(let entries): entries.mapValues(plain)
        }
    }
}
