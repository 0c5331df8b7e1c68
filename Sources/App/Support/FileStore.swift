import Crypto
import Foundation
import NIOCore
import NIOPosix
import Vapor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files kept outside the database: appeal attachments. Every file gets a fresh key (never reused,
/// never shared between appeals, so removing one cannot hurt another) and is flushed to disk before
/// the database row pointing at it commits: an acknowledged appeal's files survive `kill -9`. The
/// SHA-256 recorded at write time is checked on every read, so a damaged file is reported, not served.
struct FileStore: Sendable {
    struct Stored: Sendable, Equatable {
        var key: String
        var size: Int
        var sha256: String
    }

    enum Failure: Error {
        case invalidKey(String)
        case corrupt(key: String)
        case io(String, Int32)
    }

    let root: String
    let threadPool: NIOThreadPool

    /// Writes the bytes under a new key: `yyyy/mm/<uuid>`, so no directory grows without bound.
    func store(_ data: ByteBuffer, now: Date) async throws -> Stored {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now)
        let key = String(format: "%04d/%02d/", parts.year ?? 0, parts.month ?? 0) + UUID().uuidString.lowercased()
        let path = try path(for: key)
        let digest = SHA256.hash(data: data.readableBytesView).hex
        try await threadPool.runIfActive { try Self.writeDurably(data, to: path) }
        return Stored(key: key, size: data.readableBytes, sha256: digest)
    }

    /// The bytes under `key`, if they still have the checksum they were stored with.
    func read(_ key: String, sha256: String) async throws -> ByteBuffer {
        let path = try path(for: key)
        let data = try await threadPool.runIfActive { try Data(contentsOf: URL(fileURLWithPath: path)) }
        guard SHA256.hash(data: data).hex == sha256 else { throw Failure.corrupt(key: key) }
        return ByteBuffer(data: data)
    }

    /// Best effort: used to take back files whose appeal was not saved after all.
    func remove(_ keys: [String]) async {
        guard !keys.isEmpty else { return }
        let paths = keys.compactMap { try? path(for: $0) }
        _ = try? await threadPool.runIfActive {
            for path in paths { unlink(path) }
        }
    }

    /// Keys are made here, but a key read from the database is checked anyway before it becomes a path.
    func path(for key: String) throws -> String {
        let allowed = Set("0123456789abcdef-/")
        guard !key.isEmpty, key.count <= 64, key.allSatisfy(allowed.contains), !key.hasPrefix("/"),
            !key.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        else { throw Failure.invalidKey(key) }
        return (root.hasSuffix("/") ? root : root + "/") + key
    }

    private static func writeDurably(_ data: ByteBuffer, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure.io("open \(path)", errno) }
        var failure: Failure?
        data.withUnsafeReadableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = .io("write \(path)", errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .io("fsync \(path)", errno) }
        close(fd)
        if let failure {
            unlink(path)
            throw failure
        }
        // The new directory entry must be durable too, or a crash could leave the name pointing nowhere.
        let dirfd = open(directory, O_RDONLY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }
}

extension Digest {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

extension Application {
    var fileStore: FileStore {
        FileStore(root: config.attachmentsDirectory, threadPool: threadPool)
    }
}
