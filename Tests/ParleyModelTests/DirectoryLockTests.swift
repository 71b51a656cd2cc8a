import Foundation
import ParleyModel
import Testing

/// One owner per directory: a second lock is refused naming the holder, and the lock goes with
/// its owner.
@Suite struct DirectoryLockTests {
    @Test func aSecondLockIsRefusedNamingTheHolderUntilTheFirstGoes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("owner.lock")
        #expect(DirectoryLock.holder(of: path) == nil)
        var first: DirectoryLock? = try DirectoryLock(directory: directory.path, name: "owner.lock", owner: "tester", rule: "one at a time")
        #expect(first?.path == path)
        #expect(DirectoryLock.holder(of: path) == getpid())
        // flock locks belong to open files, not processes: a second open in this process conflicts.
        #expect(throws: ModelFileError(
            file: directory.path, line: nil, message: "in use by another tester (pid \(getpid()), holding \(path)); one at a time")) {
            _ = try DirectoryLock(directory: directory.path, name: "owner.lock", owner: "tester", rule: "one at a time")
        }
        first = nil
        #expect(DirectoryLock.holder(of: path) == nil)
        let second = try DirectoryLock(directory: directory.path, name: "owner.lock", owner: "tester", rule: "one at a time")
        #expect(DirectoryLock.holder(of: path) == getpid())
        _ = second
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aDirectoryThatIsNotThereIsNamed() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: ModelFileError(
            file: directory.file("gone/owner.lock"), line: nil, message: "cannot open the lock file: No such file or directory")) {
            _ = try DirectoryLock(directory: directory.file("gone"), name: "owner.lock", owner: "tester", rule: "one at a time")
        }
    }
}
