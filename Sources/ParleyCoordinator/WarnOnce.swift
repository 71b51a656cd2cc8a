import Foundation
import ParleyModel

/// Prints a warning to stderr the first time only.
final class WarnOnce: @unchecked Sendable {
    // The lock covers `said`.
    private let lock = NSLock()
    private var said = false

    func say(_ message: String) {
        let first = lock.withLock {
            defer { said = true }
            return !said
        }
        if first { StandardError.write(message + "\n") }
    }
}
