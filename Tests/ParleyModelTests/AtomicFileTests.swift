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

    @Test func createsDirectories() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.createDirectory(directory.file("a/b/c"))
        try AtomicFile.write("x", to: directory.file("a/b/c/f"))
        #expect(FileManager.default.fileExists(atPath: directory.file("a/b/c/f")))
    }
}
