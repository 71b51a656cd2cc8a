import Foundation
import Testing

@testable import ParleyNode

/// The node's on-disk record of a round, read back as a restarted node reads it.
@Suite struct ProposalStoreTests {
    /// ADMM steps come back in the order taken, with their residuals where they were kept (an
    /// accelerated coordinator asks a restarted node for products with them); a step kept before
    /// residuals existed (kind 2) comes back without one, and a torn last record is ignored.
    @Test func admmStepsComeBackWithTheirResiduals() throws {
        let scratch = try Scratch("store")
        let path = "\(scratch.path)/r.proposals"
        let store = try ProposalStore(path: path)
        try store.keepADMMStep(iteration: 1, usage: [1, 2], residual: nil, x: [9])
        try store.keepADMMStep(iteration: 2, usage: [3, 4], residual: [0.5, -0.5], x: [8, 7])
        try store.sync()
        // A crash in the middle of the next append: id, kind and count, then half a value.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: [UInt8](repeating: 3, count: 8) + [3] + [4, 0, 0, 0] + [1, 2, 3])
        try handle.close()

        let steps = try ProposalStore.loadADMMSteps(path: path, usageCount: 2)
        #expect(steps.map(\.iteration) == [1, 2])
        #expect(steps[0].usage == [1, 2] && steps[0].residual == nil && steps[0].x == [9])
        #expect(steps[1].usage == [3, 4] && steps[1].residual == [0.5, -0.5] && steps[1].x == [8, 7])
        #expect(try ProposalStore.load(path: path).isEmpty, "ADMM steps are not proposals")
    }

    /// Rounds idle past the retention period lose their stored proposals (the private plans),
    /// the round in progress never does, and 0 days keeps everything.
    @Test func roundsIdlePastTheRetentionPeriodAreRemoved() throws {
        let scratch = try Scratch("retention")
        let directory = scratch.path
        let now = Date()
        for (round, age) in [("old", 40.0), ("older-in-progress", 50.0), ("recent", 10.0)] {
            let path = "\(directory)/\(round).proposals"
            #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-age * 86_400)], ofItemAtPath: path)
        }
        #expect(FileManager.default.createFile(atPath: "\(directory)/notes.txt", contents: Data()))
        #expect(ProposalStore.removeRounds(in: directory, idleLongerThan: 0, except: nil, now: now).isEmpty)
        #expect(ProposalStore.removeRounds(in: directory, idleLongerThan: 30, except: "older-in-progress", now: now) == ["old"])
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(left == ["notes.txt", "older-in-progress.proposals", "recent.proposals"])
        #expect(ProposalStore.removeRounds(in: directory, idleLongerThan: 5, except: nil, now: now) == ["older-in-progress", "recent"])
    }
}
