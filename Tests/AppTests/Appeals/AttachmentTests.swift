import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// Real file signatures with a little content behind them.
enum SampleFiles {
    static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]) + Data("JFIF photo of a broken phone".utf8)
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data("IHDR receipt scan".utf8)
    static let pdf = Data("%PDF-1.7\n1 0 obj contract\n%%EOF".utf8)
    /// A Windows program: `MZ` header, whatever the name says.
    static let exe = Data("MZ\u{90}\u{0}\u{3}program".utf8)
}

@Suite("Appeal attachments", .serialized)
struct AttachmentTests {
    func card(_ app: Application, text: String = "Телефон сломался через неделю, продавец не принимает претензию.")
        async throws -> [(String, String)]
    {
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
        return [
            ("subcategoryCode", "trade-refund-defective"), ("territoryId", territory.uuidString), ("text", text),
            ("surname", "Иванова"), ("name", "Мария"), ("email", "citizen@consumerdesk.test"),
            ("answers[purchaseDate]", "2026-10-01"), ("answers[claimFiled]", "да"), ("consent", "1"),
        ]
    }

    /// Files the store holds, wherever they are under its root.
    func storedFiles(_ app: Application) -> [String] {
        let root = app.config.attachmentsDirectory
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    @Test func anAppSendsPhotosAndAPDFWhichAreStoredOutsideTheDatabaseWithAChecksum() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let form = Multipart(
                fields: try await card(app),
                files: [
                    .init(field: "attachments[]", filename: "телефон.jpg", contentType: "image/jpeg", data: SampleFiles.jpeg),
                    .init(field: "attachments[]", filename: "C:\\docs\\договор.pdf", contentType: "application/pdf", data: SampleFiles.pdf),
                ])
            let response = try await api.send(.POST, "/api/v1/appeals", multipart: form, headers: ["Idempotency-Key": "upload-1"])
            #expect(response.status == .created, "\(response.body.string)")
            let appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.attachments.map(\.fileName) == ["телефон.jpg", "договор.pdf"])
            #expect(appeal.attachments.map(\.mediaType) == ["image/jpeg", "application/pdf"])
            #expect(storedFiles(app).count == 2)

            let rows = try await AppealAttachment.query(on: app.db).sort(\.$position).all()
            let bytes = try await app.fileStore.read(rows[0].storageKey, sha256: rows[0].sha256)
            #expect(Data(buffer: bytes) == SampleFiles.jpeg)

            let download = try await api.send(.GET, appeal.attachments[1].url)
            #expect(download.status == .ok)
            #expect(download.headers.first(name: .contentType) == "application/pdf")
            #expect(
                download.headers.first(name: .contentDisposition)
                    == "attachment; filename=\"_______.pdf\"; filename*=UTF-8''%D0%B4%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80.pdf")
            #expect(download.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(Data(buffer: download.body) == SampleFiles.pdf)

            // The same request retried: the first appeal, no second copy of the files.
            let retry = try await api.send(.POST, "/api/v1/appeals", multipart: form, headers: ["Idempotency-Key": "upload-1"])
            #expect(retry.status == .ok)
            #expect(storedFiles(app).count == 2)

            // Staff of another organisation and other citizens do not see the files.
            let stranger = try await API.signedIn(app, "executor@consumerdesk.test")
            #expect(try await stranger.send(.GET, appeal.attachments[0].url).status == .notFound)
            let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
            #expect(try await moderator.send(.GET, appeal.attachments[0].url).status == .ok)
        }
    }

    @Test func oversizedDisguisedAndTooManyFilesAreRefusedAndNothingIsKept() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let huge = SampleFiles.jpeg + Data(count: 11 * 1024 * 1024)
            let tooMany = Multipart(
                fields: try await card(app),
                files: [
                    .init(field: "attachments[]", filename: "big.jpg", contentType: "image/jpeg", data: huge),
                    .init(field: "attachments[]", filename: "photo.jpg", contentType: "image/jpeg", data: SampleFiles.exe),
                ] + (0..<4).map { .init(field: "attachments[]", filename: "p\($0).png", contentType: "image/png", data: SampleFiles.png) })
            let response = try await api.send(.POST, "/api/v1/appeals", multipart: tooMany)
            #expect(response.status == .unprocessableEntity)
            let fields = try response.content.decode(APIErrorBody.self).fields ?? []
            #expect(fields.map(\.field).sorted() == ["attachments", "attachments[0]", "attachments[1]"])
            #expect(fields.first { $0.field == "attachments[0]" }?.code == "fileTooLarge")
            #expect(fields.first { $0.field == "attachments[1]" }?.code == "fileType")

            // A valid file with an invalid card: refused as a whole, the file is not kept either.
            var badCard = try await card(app)
            badCard.removeAll { $0.0 == "consent" }
            let refused = try await api.send(
                .POST, "/api/v1/appeals",
                multipart: Multipart(
                    fields: badCard,
                    files: [.init(field: "attachments[]", filename: "ok.png", contentType: "image/png", data: SampleFiles.png)]))
            #expect(refused.status == .unprocessableEntity)
            #expect(try await Appeal.query(on: app.db).count() == 0)
            #expect(try await AppealAttachment.query(on: app.db).count() == 0)
            #expect(storedFiles(app).isEmpty)
        }
    }

    @Test func theCitizenAttachesAPhotoInTheFormAndSeesItOnTheCard() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("citizen@consumerdesk.test")
            let form = try await browser.get("/appeals/new?subcategory=trade-refund-defective")
            #expect(form.body.string.contains("enctype=\"multipart/form-data\""))

            let disguised = try await browser.postMultipart(
                "/appeals",
                Multipart(
                    fields: try await card(app),
                    files: [.init(field: "attachments[]", filename: "фото.jpg", contentType: "image/jpeg", data: SampleFiles.exe)]))
            #expect(disguised.status == .unprocessableEntity)
            #expect(disguised.body.string.contains("«фото.jpg»: Можно прикрепить только JPEG, PNG или PDF."))
            #expect(disguised.body.string.contains("прикрепите их ещё раз"))
            #expect(try await Appeal.query(on: app.db).count() == 0)

            // An empty file input still sends a nameless, empty part: that is no attachment.
            let filed = try await browser.postMultipart(
                "/appeals",
                Multipart(
                    fields: try await card(app),
                    files: [
                        .init(field: "attachments[]", filename: "чек.png", contentType: "image/png", data: SampleFiles.png),
                        .init(field: "attachments[]", filename: "", contentType: "application/octet-stream", data: Data()),
                    ]))
            #expect(filed.status == .seeOther, "\(filed.body.string.prefix(500))")
            let cardPage = try await browser.get(try #require(filed.location))
            let html = cardPage.body.string
            let row = try #require(try await AppealAttachment.query(on: app.db).first())
            #expect(html.contains("чек.png"))
            let link = "/appeals/\(try #require(try await Appeal.query(on: app.db).first()).number)/files/\(try row.requireID())"
            #expect(html.contains(link))
            let image = try await browser.get(link)
            #expect(image.status == .ok)
            #expect(image.headers.first(name: .contentType) == "image/png")

            let stranger = try Browser(app)
            try await stranger.signIn("executor@consumerdesk.test")
            #expect(try await stranger.get(link).status == .notFound)
        }
    }

    @Test func onlySignedInPeopleMaySendUploads() async throws {
        try await withApp(demo: true) { app in
            let form = Multipart(
                fields: try await card(app),
                files: [.init(field: "attachments[]", filename: "a.png", contentType: "image/png", data: SampleFiles.png)])
            #expect(try await API(app).send(.POST, "/api/v1/appeals", multipart: form).status == .unauthorized)
            let anonymous = try Browser(app)
            let response = try await anonymous.postMultipart("/appeals", form)
            #expect(response.status == .seeOther)
            #expect(response.location?.hasPrefix("/login") == true)
            #expect(storedFiles(app).isEmpty)
        }
    }

    @Test func aDamagedFileIsReportedNotServed() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "citizen@consumerdesk.test")
            let response = try await api.send(
                .POST, "/api/v1/appeals",
                multipart: Multipart(
                    fields: try await card(app),
                    files: [.init(field: "attachments[]", filename: "a.png", contentType: "image/png", data: SampleFiles.png)]))
            let appeal = try response.content.decode(AppealDTO.self)
            let row = try #require(try await AppealAttachment.query(on: app.db).first())
            try Data("tampered".utf8).write(to: URL(fileURLWithPath: try app.fileStore.path(for: row.storageKey)))
            #expect(try await api.send(.GET, appeal.attachments[0].url).status == .internalServerError)
        }
    }
}
