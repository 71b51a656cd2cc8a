import Foundation

/// One process at a time in a directory that one process must own: a node's state directory (its
/// audit log and proposal stores are appended to without coordination) and a round's run
/// directory (its checkpoint log, convergence log and plan handover).
///
/// The lock is `flock` on a file in the directory, which holds the owner's process id for the
/// message a second process gets. The kernel drops the lock when the owner's process ends, however
/// it ends, so a crash leaves no stale lock to clear by hand; the file itself stays.
public final class DirectoryLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Takes the lock on `directory/name`, or throws naming the directory and the process that
    /// holds it. `owner` says what may hold it ("parley node"), `rule` why only one may.
    public init(directory: String, name: String, owner: String, rule: String) throws(ModelFileError) {
        path = "\(directory)/\(name)"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ModelFileError(file: path, line: nil, message: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(descriptor)
            guard code == EWOULDBLOCK else {
                throw ModelFileError(file: path, line: nil, message: "cannot lock: \(String(cString: strerror(code)))")
            }
            let pid = Self.owner(of: path).map { "pid \($0)" } ?? "process id not written yet"
            throw ModelFileError(file: directory, line: nil, message: "in use by another \(owner) (\(pid), holding \(path)); \(rule)")
        }
        self.descriptor = descriptor
        let text = Array("\(getpid())\n".utf8)
        // Best effort: the pid is for the message only; the lock is the flock.
        if ftruncate(descriptor, 0) == 0 {
            _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
    }

    /// The process holding the lock at `path`, if one does (nil if none, or if it has not written
    /// its id yet).
    public static func holder(of path: String) -> Int32? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        return owner(of: path)
    }

    private static func owner(of path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    deinit { close(descriptor) }
}
