import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs file system mounted on a directory for one test, to play a full disk: writes
/// past its size fail with ENOSPC, and `resize` makes room again. Unmounted by `unmount` (also
/// on deinit).
final class SmallDisk: @unchecked Sendable {
    // Set up in init; `mounted` is changed only from the test's own task.
    let path: String
    private var mounted = false

    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN), found by trying.
    static let permitted: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("parley-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? run(["-t", "tmpfs", "-o", "size=16k", "tmpfs", probe]))?.status == 0 else { return false }
        _ = try? unmount(probe)
        return true
    }()

    /// Mounts a tmpfs of `kibibytes` on `path` (made if missing), mode 0700 as Parley makes its
    /// state and run directories.
    init(path: String, kibibytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try Self.run(["-t", "tmpfs", "-o", "size=\(kibibytes)k,mode=0700", "tmpfs", path])
        guard result.status == 0 else { throw FederationSetupError(message: "mount tmpfs on \(path): \(result.output)") }
        mounted = true
    }

    deinit { unmount() }

    /// Gives the file system `kibibytes` in all, keeping what is on it.
    func resize(kibibytes: Int) throws {
        let result = try Self.run(["-o", "remount,size=\(kibibytes)k", path])
        guard result.status == 0 else { throw FederationSetupError(message: "remount \(path): \(result.output)") }
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        _ = try? Self.unmount(path)
    }

    private static func unmount(_ path: String) throws -> (status: Int32, output: String) {
        try runTool("/bin/umount", ["-l", path])
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runTool("/bin/mount", arguments)
    }
}
