import Foundation
import ParleyModel
import Testing

/// Whole-file replacement: the new content is there in full, nothing temporary is left behind,
/// and a failure names the file and the reason.
@Suite struct AtomicFileTests {
    @Test func writesAndReplaces() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("plan.txt")
        try AtomicFile.write("first\n", to: path)
        try AtomicFile.write([0x73, 0x65, 0x63, 0x6F, 0x6E, 0x64], to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["plan.txt"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
    }

    @Test func keepsRequestedPermissions() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("private.mps")
        try AtomicFile.write("secret", to: path, permissions: 0o600)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func missingDirectoryIsNamed() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("no/such/dir/chain.yaml")
        #expect {
            try AtomicFile.write("x", to: path)
        } throws: { error in
            (error as? ModelFileError)?.description == "\(path): cannot write file: No such file or directory"
        }
    }

    /// FileManager's errors carry no POSIX code; the message says what the system would.
    @Test func aDirectoryWhereAFileIsSaysSoPlainly() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("run")
        try AtomicFile.write("x", to: path)
        #expect(throws: ModelFileError(file: path, line: nil, message: "cannot create directory: File exists")) {
            try AtomicFile.createDirectory(path)
        }
    }

    @Test func createsDirectories() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.createDirectory(directory.file("a/b/c"))
        try AtomicFile.write("x", to: directory.file("a/b/c/f"))
        #expect(FileManager.default.fileExists(atPath: directory.file("a/b/c/f")))
    }

    /// An append the disk takes only in part is cut back off, so the next one, once there is
    /// room, starts where a whole record ended. The disk is "full" past 1 GiB + 100 bytes: the
    /// process's file size limit, set for this test (no other test writes that far), on a sparse
    /// file 1 GiB long.
    @Test func anAppendTheDiskTakesInPartIsCutBackOff() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("journal")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let end: off_t = 1 << 30
        try #require(ftruncate(descriptor, end) == 0)
        let record = [UInt8](repeating: 7, count: 1000)

        let fileSize = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        var old = rlimit()
        try #require(getrlimit(fileSize, &old) == 0)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)  // a write past the limit fails with EFBIG instead
        var full = old
        full.rlim_cur = rlim_t(end) + 100
        try #require(setrlimit(fileSize, &full) == 0)
        let failure = AtomicFile.appendWhole(record, to: descriptor)
        setrlimit(fileSize, &old)
        signal(SIGXFSZ, oldHandler)

        #expect(failure == "File too large after 100 of 1000 bytes")
        #expect(lseek(descriptor, 0, SEEK_END) == end)
        #expect(AtomicFile.appendWhole(record, to: descriptor) == nil)
        #expect(lseek(descriptor, 0, SEEK_END) == end + 1000)
        let check = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(check) }
        var back = [UInt8](repeating: 0, count: 1000)
        #expect(pread(check, &back, 1000, end) == 1000 && back == record)
    }
}
