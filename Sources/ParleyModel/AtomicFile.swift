import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes whole files so that a reader sees either the old content or the new, never a torn
/// mixture, even if the process or the machine stops half-way.
///
/// Contracts, partner models, plans and round logs are read by other processes (and by people
/// restarting a round); a half-written `chain.yaml` would hash differently on each side and a
/// half-written plan could be acted on. So every write goes to a temporary file in the same
/// directory (a rename across file systems would not be atomic), is flushed to disk with
/// `fsync`, renamed over the target, and the directory is synced so the rename itself persists.
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes`; `permissions` are the new file's mode bits.
    public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(ModelFileError) {
        func failure(_ what: String, _ code: Int32 = errno) -> ModelFileError {
            ModelFileError(file: path, line: nil, message: "cannot write file: \(what)\(String(cString: strerror(code)))")
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw failure("") }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var closed = false
        // Any failure from here on leaves no temporary file behind.
        func abandon(_ error: ModelFileError) -> ModelFileError {
            if !closed { close(descriptor) }
            unlink(temporary)
            return error
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw abandon(failure(""))
            }
            written += n
        }
        // mkstemp creates the file private (0600); the caller says who may read it.
        guard fchmod(descriptor, permissions) == 0 else { throw abandon(failure("")) }
        guard fsync(descriptor) == 0 else { throw abandon(failure("fsync: ")) }
        closed = true
        guard close(descriptor) == 0 else { throw abandon(failure("")) }
        guard rename(temporary, path) == 0 else { throw abandon(failure("")) }
        // The rename lives in the directory: sync it too. Some file systems refuse to fsync a
        // directory; the data itself is already safe then, so that is not an error.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Replaces the file at `path` with `text` in UTF-8.
    public static func write(_ text: String, to path: String, permissions: mode_t = 0o644) throws(ModelFileError) {
        try write(Array(text.utf8), to: path, permissions: permissions)
    }

    /// Creates `path` and any missing parent directories; `permissions`, if given, are the mode of
    /// those it creates (the umask aside).
    public static func createDirectory(_ path: String, permissions: mode_t? = nil) throws(ModelFileError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: permissions.map { [.posixPermissions: NSNumber(value: $0)] })
        } catch {
            throw ModelFileError(file: path, line: nil, message: "cannot create directory: \(MPSReader.reason(error))")
        }
    }

    /// Appends `bytes` to the file open as `descriptor` (with `O_APPEND`) whole or not at all: a
    /// write the disk takes only in part (full) is cut back off, so the file never holds a torn
    /// record that a later append, once there is room, would bury in its middle. Nil when done,
    /// else why not.
    public static func appendWhole(_ bytes: [UInt8], to descriptor: Int32) -> String? {
        let end = lseek(descriptor, 0, SEEK_END)
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if written > 0 {
                done += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                let reason = written < 0 ? String(cString: strerror(errno)) : "nothing written"
                if done > 0 && end >= 0 { _ = ftruncate(descriptor, end) }
                return done > 0 ? "\(reason) after \(done) of \(bytes.count) bytes" : reason
            }
        }
        return nil
    }
}
