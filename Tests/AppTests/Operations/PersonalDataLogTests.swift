import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// Every read of a card's personal data by staff is recorded; platform admins read the log.
@Suite("Personal data read log", .serialized)
struct PersonalDataLogTests {
    func file(_ app: Application) async throws -> AppealDTO {
        let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volzhsky").first()?.id)
        let form = Multipart(
            fields: [
                ("subcategoryCode", "trade-refund-defective"), ("territoryId", territory.uuidString),
                ("text", "Телефон сломался, продавец отказал."), ("answers[purchaseDate]", "2026-10-01"), ("answers[claimFiled]", "да"),
                ("consent", "1"),
            ],
            files: [.init(field: "attachments[]", filename: "чек.pdf", contentType: "application/pdf", data: SampleFiles.pdf)])
        let response = try await citizen.send(.POST, "/api/v1/appeals", multipart: form)
        #expect(response.status == .created, "\(response.body.string)")
        let appeal = try response.content.decode(AppealDTO.self)
        // To the territorial department, whose coordinator and manager then work it.
        let department = try #require(try await Organisation.query(on: app.db).filter(\.$shortName == "ТО в г. Волжском").first()?.id)
        let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
        let moved = try await moderator.send(
            .POST, "/api/v1/appeals/\(appeal.number)/moderation", json: ["action": "reassign", "organisationId": department.uuidString])
        #expect(moved.status == .ok, "\(moved.body.string)")
        #expect(try await PersonalDataRead.query(on: app.db).count() == 1, "the moderator's decision showed the card")
        try await PersonalDataRead.query(on: app.db).delete()
        return appeal
    }

    func reads(_ app: Application) async throws -> [PersonalDataRead] {
        try await PersonalDataRead.query(on: app.db).sort(\.$at).all()
    }

    @Test func staffReadsAreRecordedAndTheApplicantsOwnAreNot() async throws {
        try await withApp(demo: true) { app in
            let appeal = try await file(app)
            let number = appeal.number
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            #expect(try await citizen.send(.GET, "/api/v1/appeals/\(number)").status == .ok)
            #expect(try await citizen.send(.GET, appeal.attachments[0].url).status == .ok)
            let citizenPages = try Browser(app)
            try await citizenPages.signIn("citizen@consumerdesk.test")
            #expect(try await citizenPages.get("/my/appeals/\(number)").status == .ok)
            #expect(try await reads(app).isEmpty, "the applicant's own reads are not logged")

            let moderator = try Browser(app)
            try await moderator.signIn("moderator@consumerdesk.test")
            #expect(try await moderator.get("/moderation/\(number)").status == .ok)
            let coordinator = try Browser(app)
            try await coordinator.signIn("coordinator@consumerdesk.test")
            #expect(try await coordinator.get("/desk/appeals/\(number)").status == .ok)
            let manager = try await API.signedIn(app, "manager@consumerdesk.test")
            #expect(try await manager.send(.GET, "/api/v1/appeals/\(number)").status == .ok)
            #expect(try await manager.send(.GET, appeal.attachments[0].url).status == .ok)
            let queue = try await API.signedIn(app, "moderator@consumerdesk.test").send(.GET, "/api/v1/moderation/queue")
            #expect(queue.status == .ok)

            // Refused readers leave no entry; an action's answer is a read too.
            let stranger = try await API.signedIn(app, "operator@consumerdesk.test")
            #expect(try await stranger.send(.GET, "/api/v1/appeals/\(number)").status == .notFound)
            #expect(try await manager.send(.POST, "/api/v1/appeals/\(number)/notes", json: ["text": "Проверить чек"]).status == .ok)

            let log = try await reads(app)
            #expect(log.map(\.via) == [
                "/moderation/\(number)", "/desk/appeals/\(number)", "/api/v1/appeals/\(number)", appeal.attachments[0].url,
                "/api/v1/moderation/queue", "/api/v1/appeals/\(number)/notes",
            ])
            #expect(log.allSatisfy { $0.appealNumber == number && $0.appealID == appeal.id })
            let users = try await User.query(on: app.db).all()
            let emails = log.map { entry in users.first { $0.id == entry.userID }?.email }
            #expect(emails == [
                "moderator@consumerdesk.test", "coordinator@consumerdesk.test", "manager@consumerdesk.test", "manager@consumerdesk.test",
                "moderator@consumerdesk.test", "manager@consumerdesk.test",
            ])
        }
    }

    @Test func onlyPlatformAdminsReadTheLogNewestFirstInPages() async throws {
        try await withApp(demo: true) { app in
            let number = try await file(app).number
            var clock = Date()
            for login in ["coordinator@consumerdesk.test", "manager@consumerdesk.test", "curator@consumerdesk.test"] {
                let at = clock
                app.clock = AppClock { at }
                let api = try await API.signedIn(app, login)
                #expect(try await api.send(.GET, "/api/v1/appeals/\(number)").status == .ok)
                clock = clock.addingTimeInterval(60)
            }
            let admin = try await API.signedIn(app, "admin@consumerdesk.test")
            let first = try await admin.send(.GET, "/api/v1/audit/personal-data?limit=2")
            #expect(first.status == .ok, "\(first.body.string)")
            let page = try first.content.decode(PersonalDataLog.Page.self)
            #expect(page.items.map(\.userEmail) == ["curator@consumerdesk.test", "manager@consumerdesk.test"])
            let cursor = try #require(page.next)
            let rest = try await admin.send(.GET, "/api/v1/audit/personal-data?limit=2&after=\(cursor)").content
                .decode(PersonalDataLog.Page.self)
            #expect(rest.items.map(\.userEmail) == ["coordinator@consumerdesk.test"])
            #expect(rest.next == nil)
            let byReader = try await admin.send(.GET, "/api/v1/audit/personal-data?reader=manager@consumerdesk.test").content
                .decode(PersonalDataLog.Page.self)
            #expect(byReader.items.count == 1 && byReader.items[0].appealNumber == number)
            #expect(try await admin.send(.GET, "/api/v1/audit/personal-data?after=nonsense").status == .unprocessableEntity)

            let pages = try Browser(app)
            try await pages.signIn("admin@consumerdesk.test")
            let html = try await pages.get("/admin/personal-data?number=\(number)")
            #expect(html.status == .ok)
            #expect(html.body.string.contains("Журнал доступа к персональным данным"))
            #expect(html.body.string.contains("manager@consumerdesk.test"))

            for login in ["admin.volgograd@consumerdesk.test", "curator@consumerdesk.test", "citizen@consumerdesk.test"] {
                let api = try await API.signedIn(app, login)
                #expect(try await api.send(.GET, "/api/v1/audit/personal-data").status == .forbidden, "\(login)")
            }
            #expect(try await API(app).send(.GET, "/api/v1/audit/personal-data").status == .unauthorized)
            #expect(try await Browser(app).get("/admin/personal-data").status == .seeOther)
        }
    }
}
