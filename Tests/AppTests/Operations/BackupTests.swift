import Fluent
import Foundation
import Logging
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// `consumerdesk backup` / `restore` on the embedded database (PostgreSQL has its own tools; on that
/// engine's run these tests still use SQLite files of their own, as the commands do).
@Suite("Backup and restore", .serialized)
struct BackupTests {
    let logger = Logger(label: "backup-test")

    func place() -> String {
        let folder = NSTemporaryDirectory() + "consumerdesk-backup-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    func onFile(_ folder: String) -> (inout AppConfig) -> Void {
        { config in
            config.database = .sqliteFile(path: folder + "/consumerdesk.sqlite")
            config.postgresSearchPath = nil
            config.attachmentsDirectory = folder + "/attachments"
        }
    }

    func card(_ app: Application, _ text: String) async throws -> [(String, String)] {
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
        return [
            ("subcategoryCode", "trade-refund-defective"), ("territoryId", territory.uuidString), ("text", text),
            ("surname", "Иванова"), ("name", "Мария"), ("email", "citizen@consumerdesk.test"),
            ("answers[purchaseDate]", "2026-10-01"), ("answers[claimFiled]", "да"), ("consent", "1"),
        ]
    }

    @Test func aBackupTakenWhileServingRestoresIntoAFreshDatabaseWithTheSameRegister() async throws {
        let live = place(), backup = place() + "/copy", restored = place()
        defer { for folder in [live, backup, restored] { try? FileManager.default.removeItem(atPath: folder) } }
        var before: [String] = []
        var attachmentURL = ""
        try await withApp(demo: true, configure: onFile(live)) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            for index in 1...3 {
                var form = Multipart(fields: try await card(app, "Продавец не вернул деньги, случай \(index)."))
                if index == 2 {
                    form.files = [.init(field: "attachments[]", filename: "чек.pdf", contentType: "application/pdf", data: SampleFiles.pdf)]
                }
                let response = try await api.send(.POST, "/api/v1/appeals", multipart: form)
                #expect(response.status == .created, "\(response.body.string)")
                if index == 2 { attachmentURL = try response.content.decode(AppealDTO.self).attachments[0].url }
            }
            before = try await Appeal.query(on: app.db).sort(\.$sequence).all().map(\.number)

            // While the application keeps its connections open (and writing).
            let summary = try await BackupTool.backup(to: backup, config: app.config, logger: logger)
            #expect(summary.contains("3 appeals"), "\(summary)")
            let late = try await api.send(.POST, "/api/v1/appeals", multipart: Multipart(fields: try await card(app, "После копии.")))
            #expect(late.status == .created)

            // Into a directory that already holds something: refused.
            await #expect(throws: BackupTool.Failure.self) {
                try await BackupTool.backup(to: backup, config: app.config, logger: logger)
            }
        }
        let manifest = try String(contentsOfFile: backup + "/backup.json", encoding: .utf8)
        #expect(manifest.contains("\"appeals\" : 3"))
        #expect(manifest.contains("\"attachments\" : 1"))

        var target = AppConfig.testing(database: .sqliteMemory)
        onFile(restored)(&target)
        let summary = try await BackupTool.restore(from: backup, config: target, force: false, logger: logger)
        #expect(summary.contains("3 appeals"), "\(summary)")
        await #expect(throws: BackupTool.Failure.self, "an existing database is not overwritten without --force") {
            try await BackupTool.restore(from: backup, config: target, force: false, logger: logger)
        }

        try await withApp(demo: true, configure: onFile(restored)) { app in
            #expect(try await Appeal.query(on: app.db).sort(\.$sequence).all().map(\.number) == before)
            #expect(try await AppealEvent.query(on: app.db).count() == 3)
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let download = try await api.send(.GET, attachmentURL)
            #expect(download.status == .ok)
            #expect(Data(buffer: download.body) == SampleFiles.pdf)
            // The register goes on from the restored numbers.
            let next = try await api.send(.POST, "/api/v1/appeals", multipart: Multipart(fields: try await card(app, "После восстановления.")))
            let appeal = try next.content.decode(AppealDTO.self)
            #expect(appeal.number.hasSuffix("-000004"))
        }
    }

    @Test func aDamagedBackupIsRefusedAndTheDatabaseLeftAlone() async throws {
        let backup = place(), restored = place()
        defer { for folder in [backup, restored] { try? FileManager.default.removeItem(atPath: folder) } }
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: backup + "/consumerdesk.sqlite"))
        var target = AppConfig.testing(database: .sqliteMemory)
        onFile(restored)(&target)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: restored + "/consumerdesk.sqlite"))
        await #expect(throws: (any Error).self) {
            try await BackupTool.restore(from: backup, config: target, force: true, logger: logger)
        }
        #expect(try String(contentsOfFile: restored + "/consumerdesk.sqlite", encoding: .utf8) == "keep")

        var postgres = AppConfig.testing(database: .postgres(url: "postgres://u:p@127.0.0.1:5432/db"))
        postgres.attachmentsDirectory = restored
        await #expect(throws: BackupTool.Failure.self, "PostgreSQL is backed up with its own tools") {
            try await BackupTool.backup(to: backup + "/x", config: postgres, logger: logger)
        }
    }
}
