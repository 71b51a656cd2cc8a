import ArgumentParser
import Foundation
import ParleyTransport

/// `parley benchmark transport`: the secure channel's figures for `make bench` (hidden; the
/// benchmark scripts call it).
struct Benchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Measurements for `make bench`.",
        shouldDisplay: false,
        subcommands: [Transport.self]
    )

    struct Transport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transport",
            abstract: "Handshake time and pricing round trips over TLS on loopback, as JSON."
        )

        @Option(help: "Comma-separated price vector lengths.")
        var sizes: String = "100,10000,1000000"

        @Option(help: "Handshakes to time.")
        var handshakes: Int = 50

        func run() async throws {
            let lengths = sizes.split(separator: ",").compactMap { Int($0) }
            guard !lengths.isEmpty, lengths.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--sizes must list positive integers, e.g. 100,10000")
            }
            guard handshakes > 0 else { throw ValidationError("--handshakes must be at least 1") }
            // Enough repetitions for a stable median, bounded to about 100 MB per size.
            let report = try await TransportBenchmark.run(
                sizes: lengths, repetitions: { max(10, min(500, 12_000_000 / ($0 * 8))) }, handshakes: handshakes)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
