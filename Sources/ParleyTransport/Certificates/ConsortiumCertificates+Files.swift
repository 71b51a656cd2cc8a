import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ConsortiumCertificates {
    /// Reading and writing the small PEM and text files of the certificate tools.
    ///
    /// Every write is atomic (temporary file in the same directory, fsync, rename, directory
    /// fsync): a CA directory is the consortium's root of trust, and a torn `ca.crl` or
    /// `revoked.txt` would silently un-revoke certificates. Private keys are never visible with a
    /// wider mode than 0600, not even for an instant, because mkstemp creates the temporary file
    /// with that mode before a single byte is written.
    enum Files {
        /// Larger than any certificate, request, CRL or key these tools handle; a bigger file is
        /// the wrong file, and reading it whole would only waste memory.
        static let maximumSize = 4 << 20

        /// The whole content of `path`.
        static func read(_ path: String) throws(TransportError) -> [UInt8] {
            try readOpened(path) { _ throws(TransportError) in }
        }

        /// The whole content of a private key file, refused if group or others have any access:
        /// a key another account on the machine can copy is no longer the party's own. The mode
        /// is checked on the open descriptor, so the file cannot be swapped between check and read.
        static func readPrivateKey(_ path: String) throws(TransportError) -> [UInt8] {
            try readOpened(path) { (info: stat) throws(TransportError) in
                let mode = info.st_mode & 0o7777
                guard mode & 0o077 != 0 else { return }
                let access = mode & 0o044 != 0 ? "readable" : "accessible"
                throw TransportError(
                    .insecureKeyPermissions,
                    "\(path) is \(access) by group or others (mode \(octal(mode))); run chmod 600 \(path)")
            }
        }

        private static func readOpened(
            _ path: String, check: (stat) throws(TransportError) -> Void
        ) throws(TransportError) -> [UInt8] {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw failure(path, "cannot open") }
            defer { close(descriptor) }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw failure(path, "cannot read") }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw TransportError(.badFile, "\(path): not a regular file")
            }
            try check(info)
            guard Int(info.st_size) <= maximumSize else {
                throw TransportError(.badFile, "\(path): too large (\(info.st_size) bytes) for a certificate, request, CRL or key")
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, "cannot read")
                }
                if count == 0 { break }
                bytes.append(contentsOf: chunk[0..<count])
                guard bytes.count <= maximumSize else { throw TransportError(.badFile, "\(path): too large") }
            }
            return bytes
        }

        /// Writes `bytes` to `path` atomically with mode `permissions`. With `replace` false the
        /// write fails if `path` exists, decided atomically by link(2), so two runs cannot both
        /// believe they created the key.
        static func write(
            _ bytes: [UInt8], to path: String, permissions: mode_t, replace: Bool = true
        ) throws(TransportError) {
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            var template = Array("\(directory)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { throw failure(path, "cannot create a temporary file in its directory") }
            let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            var open = true
            // Any failure from here on leaves no temporary file behind.
            func abandon(_ what: String) -> TransportError {
                let error = failure(path, what)
                if open { close(descriptor) }
                unlink(temporary)
                return error
            }
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw abandon("cannot write")
                }
                written += count
            }
            guard fchmod(descriptor, permissions) == 0 else { throw abandon("cannot set the file mode") }
            guard fsync(descriptor) == 0 else { throw abandon("cannot fsync") }
            open = false
            guard close(descriptor) == 0 else { throw abandon("cannot write") }
            if replace {
                guard rename(temporary, path) == 0 else { throw abandon("cannot replace") }
            } else {
                guard link(temporary, path) == 0 else {
                    if errno == EEXIST {
                        unlink(temporary)
                        throw TransportError(.badFile, "\(path): already exists; refusing to replace it")
                    }
                    throw abandon("cannot create")
                }
                unlink(temporary)
            }
            // The new name lives in the directory: sync it too. Some file systems refuse to fsync
            // a directory; the data itself is safe then, so that is not an error.
            let directoryDescriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directoryDescriptor >= 0 {
                _ = fsync(directoryDescriptor)
                close(directoryDescriptor)
            }
        }

        /// Writes UTF-8 `text`; see `write(_:to:permissions:replace:)`.
        static func write(
            _ text: String, to path: String, permissions: mode_t, replace: Bool = true
        ) throws(TransportError) {
            try write(Array(text.utf8), to: path, permissions: permissions, replace: replace)
        }

        /// Creates `path` (and missing parents) readable by its owner only: it is about to hold a
        /// private key. An existing directory keeps its mode.
        static func createPrivateDirectory(_ path: String) throws(TransportError) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw TransportError(.badFile, "\(path): exists and is not a directory") }
                return
            }
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw TransportError(.badFile, "\(path): cannot create the directory (\(error.localizedDescription))")
            }
        }

        static func exists(_ path: String) -> Bool {
            var info = stat()
            return lstat(path, &info) == 0
        }

        /// `0644` for 0o644, as `ls -l` users and chmod expect to read it.
        static func octal(_ mode: mode_t) -> String {
            let digits = String(mode, radix: 8)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }

        /// Fails as reading would ("cannot open (No such file or directory)") when `path` cannot be
        /// opened for reading: for files handed to OpenSSL by name, whose own message for a
        /// missing file is a parse error.
        static func requireReadable(_ path: String) throws(TransportError) {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw failure(path, "cannot open") }
            close(descriptor)
        }

        private static func failure(_ path: String, _ what: String, _ code: Int32 = errno) -> TransportError {
            TransportError(.badFile, "\(path): \(what) (\(String(cString: strerror(code))))")
        }
    }
}
