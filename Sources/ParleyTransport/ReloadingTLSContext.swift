#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A server's TLS context that follows its files, so a long-running node takes a new CRL or a
/// renewed certificate without a restart.
///
/// Each new connection asks for `current()`, which looks at the four files (certificate, key, CA,
/// CRL: device, inode, size and change time, following symbolic links as a Kubernetes secret
/// volume's are swapped). When any of them changed since the last look, the context is built again
/// from the files and checked by `check` (a node: the certificate must still name its partner);
/// if that fails — a half-copied file, a key that is not yet the new certificate's, a CRL that does
/// not parse — the previous context stays in use, the failure is reported once, and the next change
/// is tried again. Connections already open keep the context they started with.
public final class ReloadingTLSContext: Sendable {
    /// What a look at the files found, when they had changed.
    public enum Event: Sendable {
        /// The files changed and the new context is in use from the next connection on.
        case reloaded(TLSContext)
        /// The files changed but make no usable context; the previous one stays in use.
        case refused(TransportError)
    }

    private struct State {
        var context: TLSContext
        var stamps: [FileStamp?]
    }

    private let state: Mutex<State>
    private let check: @Sendable (TLSContext) throws(TransportError) -> Void
    private let report: @Sendable (Event) -> Void

    /// Starts from `context` (already built and checked by the caller) and reloads from its
    /// configuration's files when they change.
    public init(
        _ context: TLSContext, check: @escaping @Sendable (TLSContext) throws(TransportError) -> Void = { _ in },
        report: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.state = Mutex(State(context: context, stamps: Self.stamps(of: context.configuration)))
        self.check = check
        self.report = report
    }

    /// The context for a new connection, built again first if its files changed.
    public func current() -> TLSContext {
        let (context, event) = state.withLock { state -> (TLSContext, Event?) in
            let stamps = Self.stamps(of: state.context.configuration)
            guard stamps != state.stamps else { return (state.context, nil) }
            // Remembered whatever the outcome: a refused change is reported once, and tried
            // again only when the files change again.
            state.stamps = stamps
            do throws(TransportError) {
                let fresh = try TLSContext(configuration: state.context.configuration, role: state.context.role)
                try check(fresh)
                state.context = fresh
                return (fresh, .reloaded(fresh))
            } catch {
                return (state.context, .refused(error))
            }
        }
        if let event { report(event) }
        return context
    }

    /// What identifies a file's content without reading it (nil: it cannot be looked at).
    struct FileStamp: Equatable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let changed: Int
        let changedNanoseconds: Int
    }

    static func stamps(of configuration: TLSConfiguration) -> [FileStamp?] {
        [configuration.certificatePath, configuration.privateKeyPath, configuration.trustRootsPath, configuration.revocationListPath]
            .map { path in
                guard let path else { return nil }
                var info = stat()
                guard stat(path, &info) == 0 else { return nil }
                return FileStamp(
                    device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                    changed: Int(info.st_ctim.tv_sec), changedNanoseconds: Int(info.st_ctim.tv_nsec))
            }
    }
}
