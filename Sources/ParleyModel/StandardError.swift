import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard error without ever stopping the process. Foundation's
/// `FileHandle.write(_:)` traps when a write fails; a daemon whose stderr goes to a file on a full
/// disk, or to a reader that went away, must lose the line, not its life.
public enum StandardError {
    public static func write(_ text: String) {
        write(Array(text.utf8))
    }

    public static func write(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress! + done, $0.count - done) }
            if written > 0 {
                done += written
            } else if !(written < 0 && errno == EINTR) {
                return
            }
        }
    }
}
