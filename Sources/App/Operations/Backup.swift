import FluentSQLiteDriver
import Foundation
import Logging
import NIOPosix

/// `consumerdesk backup DIR` and `consumerdesk restore DIR` for the embedded SQLite database.
///
/// A backup is a directory: `consumerdesk.sqlite` (a consistent snapshot taken with `VACUUM INTO` while
/// the server keeps serving: it reads one transaction's view of the write-ahead log, and writers go on),
/// the attachments, and `backup.json` (when, how many appeals, the last migration). The snapshot comes
/// first and the files after it: a file is on disk before the row naming it commits, so every file the
/// snapshot names is there to copy.
///
/// Both run without starting the application (no migrations, no mail worker): a restore must not find
/// its target opened, and a backup taken beside a running server must not start a second one.
/// PostgreSQL is backed up with its own tools: docs/operations.md.
public enum BackupTool {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    struct Manifest: Codable {
        var createdAt: Date
        var appeals: Int
        var lastMigration: String?
        var attachments: Int
    }

    static let databaseFile = "consumerdesk.sqlite"
    static let attachmentsFolder = "attachments"
    static let manifestFile = "backup.json"

    /// Handles `backup`/`restore` when they are the command; `nil` for any other command.
    public static func run(_ arguments: [String], config: AppConfig, logger: Logger) async -> Int32? {
        guard arguments.count >= 2, ["backup", "restore"].contains(arguments[1]) else { return nil }
        let rest = Array(arguments.dropFirst(2))
        let force = rest.contains("--force")
        let paths = rest.filter { !$0.hasPrefix("--") }
        guard paths.count == 1 else {
            print("usage: consumerdesk backup DIR | consumerdesk restore DIR [--force]")
            return 2
        }
        do {
            let summary =
                arguments[1] == "backup"
                ? try await backup(to: paths[0], config: config, logger: logger)
                : try await restore(from: paths[0], config: config, force: force, logger: logger)
            print(summary)
            return 0
        } catch {
            print("\(arguments[1]) failed: \(error)")
            return 1
        }
    }

    /// Takes a backup of the configured SQLite database and attachments into `directory` (new or empty).
    @discardableResult
    static func backup(to directory: String, config: AppConfig, logger: Logger) async throws -> String {
        let source = try sqlitePath(config)
        let files = FileManager.default
        guard files.fileExists(atPath: source) else { throw Failure("no database at \(source)") }
        if files.fileExists(atPath: directory) {
            guard try files.contentsOfDirectory(atPath: directory).isEmpty else {
                throw Failure("\(directory) is not empty: a backup goes into a new or empty directory")
            }
        } else {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let snapshot = directory + "/" + databaseFile
        let connection = try await SQLiteConnection.open(storage: .file(path: source), logger: logger)
        do {
            // Waits for a writer's lock rather than failing at the first busy moment.
            _ = try await connection.query("PRAGMA busy_timeout = 30000")
            _ = try await connection.query("VACUUM INTO ?", [.text(snapshot)])
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        let copied = try copyTree(config.attachmentsDirectory, to: directory + "/" + attachmentsFolder)
        var manifest = try await describe(snapshot, logger: logger)
        manifest.attachments = copied
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: directory + "/" + manifestFile), options: .atomic)
        return "Backup written to \(directory): \(manifest.appeals) appeals, \(copied) attachment files, "
            + "last migration \(manifest.lastMigration ?? "—")"
    }

    /// Puts a backup in place of the configured database (which must not exist, or `force`; the server
    /// must be stopped) and adds its attachments to the configured directory.
    @discardableResult
    static func restore(from directory: String, config: AppConfig, force: Bool, logger: Logger) async throws -> String {
        let target = try sqlitePath(config)
        let files = FileManager.default
        let snapshot = directory + "/" + databaseFile
        guard files.fileExists(atPath: snapshot) else { throw Failure("\(directory) holds no \(databaseFile)") }
        // A damaged copy is refused before anything is touched.
        let check = try await SQLiteConnection.open(storage: .file(path: snapshot), logger: logger)
        let verdict = try? await check.query("PRAGMA integrity_check").first?.column("integrity_check")?.string
        try await check.close()
        guard verdict == "ok" else { throw Failure("\(snapshot) fails the integrity check: \(verdict ?? "no answer")") }
        if files.fileExists(atPath: target) && !force {
            throw Failure("\(target) exists: stop the server and add --force to replace it")
        }
        if files.fileExists(atPath: target) {
            // A server in the middle of writing holds the write lock, and the exclusive one is refused. An
            // idle server holds none: stopping it first is the operator's part (docs/operations.md).
            let probe = try await SQLiteConnection.open(storage: .file(path: target), logger: logger)
            let idle = (try? await probe.query("BEGIN EXCLUSIVE")) != nil
            _ = try? await probe.query("ROLLBACK")
            try await probe.close()
            guard idle else { throw Failure("\(target) is in use: stop the server first") }
        }
        let folder = (target as NSString).deletingLastPathComponent
        if !folder.isEmpty { try files.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        // The files first: a database is never put in place naming files that are not there.
        let copied = try copyTree(directory + "/" + attachmentsFolder, to: config.attachmentsDirectory)
        // Copied beside the target; the old database (with its log) is moved aside, not deleted, before
        // the copy is renamed in, so a restore cut short at any point leaves one of them whole.
        let partial = target + ".restoring"
        try? files.removeItem(atPath: partial)
        try files.copyItem(atPath: snapshot, toPath: partial)
        try sync(partial)
        if files.fileExists(atPath: target) {
            let aside = target + ".before-restore"
            for suffix in ["", "-wal", "-shm"] {
                try? files.removeItem(atPath: aside + suffix)
                if files.fileExists(atPath: target + suffix), rename(target + suffix, aside + suffix) != 0 {
                    throw Failure("cannot move \(target + suffix) aside: errno \(errno)")
                }
            }
        }
        if rename(partial, target) != 0 { throw Failure("cannot move \(partial) to \(target): errno \(errno)") }
        let manifest = try await describe(target, logger: logger)
        return "Restored \(directory) into \(target): \(manifest.appeals) appeals, \(copied) attachment files added to "
            + "\(config.attachmentsDirectory); the database it replaced, if any, is kept as \(target).before-restore"
    }

    private static func sqlitePath(_ config: AppConfig) throws -> String {
        switch config.database {
        case .sqliteFile(let path): return path
        case .sqliteMemory: throw Failure("an in-memory database has nothing to back up")
        case .postgres:
            throw Failure("PostgreSQL is backed up with pg_dump and restored with pg_restore: see docs/operations.md")
        }
    }

    private static func describe(_ path: String, logger: Logger) async throws -> Manifest {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            let appeals = try await connection.query("SELECT count(*) AS n FROM appeals").first?.column("n")?.integer ?? 0
            let migration = try await connection.query("SELECT name FROM _fluent_migrations ORDER BY batch DESC, name DESC LIMIT 1")
                .first?.column("name")?.string
            try await connection.close()
            return Manifest(createdAt: Date(), appeals: appeals, lastMigration: migration, attachments: 0)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Copies every file under `source` to the same place under `destination` (files that are there
    /// already are kept: stored files never change once written). Returns how many were copied.
    private static func copyTree(_ source: String, to destination: String) throws -> Int {
        let files = FileManager.default
        try files.createDirectory(atPath: destination, withIntermediateDirectories: true)
        guard files.fileExists(atPath: source), let walker = files.enumerator(atPath: source) else { return 0 }
        var copied = 0
        while let relative = walker.nextObject() as? String {
            let from = source + "/" + relative
            let to = destination + "/" + relative
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try files.createDirectory(atPath: to, withIntermediateDirectories: true)
            } else if !files.fileExists(atPath: to) {
                try files.copyItem(atPath: from, toPath: to)
                copied += 1
            }
        }
        return copied
    }

    private static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Failure("cannot open \(path) to flush it") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure("cannot flush \(path): errno \(errno)") }
    }
}
