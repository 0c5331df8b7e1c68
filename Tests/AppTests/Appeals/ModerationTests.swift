import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Moderation", .serialized)
struct ModerationTests {
    func file(_ app: Application, _ api: API, text: String = "Магазин отказался вернуть деньги за сломанный пылесос.")
        async throws -> AppealDTO
    {
        let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-leninsky").first()?.id)
        let body = AppealBody(
            fields: ["subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString, "text": text],
            answers: ["purchaseDate": "2026-10-01", "claimFiled": "да"])
        let response = try await api.send(.POST, "/api/v1/appeals", json: body)
        #expect(response.status == .created, "\(response.body.string)")
        return try response.content.decode(AppealDTO.self)
    }

    @Test func theModeratorRecategorisesThenAcceptsAndTheCitizenIsTold() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let appeal = try await file(app, citizen)
            let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
            let queue = try await moderator.send(.GET, "/api/v1/moderation/queue").content.decode(AppealAPIController.QueuePage.self)
            #expect(queue.items.map(\.number) == [appeal.number])

            let moved = try await moderator.send(
                .POST, "/api/v1/appeals/\(appeal.number)/moderation",
                json: ["action": "recategorise", "subcategoryCode": "financial-services-collectors", "comment": "Это о коллекторах"])
            #expect(moved.status == .ok)
            let after = try moved.content.decode(AppealDTO.self)
            #expect(after.subcategoryCode == "financial-services-collectors")
            #expect(after.categoryCode == "financial-services")
            #expect(after.status == .moderation)
            let ngo = try #require(try await Organisation.query(on: app.db).filter(\.$name == "АНО «Кредитный правозащитник»").first())
            #expect(after.executorOrganisationId == ngo.id, "routing ran again")

            let accepted = try await moderator.send(.POST, "/api/v1/appeals/\(appeal.number)/moderation", json: ["action": "accept"])
            #expect(try accepted.content.decode(AppealDTO.self).status == .coordination)
            let again = try await moderator.send(.POST, "/api/v1/appeals/\(appeal.number)/moderation", json: ["action": "reject", "reason": "abusive"])
            #expect(again.status == .conflict, "no second decision")

            let history = try await citizen.send(.GET, "/api/v1/appeals/\(appeal.number)/history").content
                .decode([AppealAPIController.EventDTO].self)
            #expect(history.map(\.action) == ["submitted", "recategorised", "accepted"])
            #expect(history[1].comment == "Это о коллекторах")
            #expect(history[1].details?.contains("trade-refund-defective → financial-services-collectors") == true)
            let mail = try await OutboxMessage.query(on: app.db).filter(\.$subject == "Обращение № \(appeal.number) принято к рассмотрению").first()
            #expect(mail?.bodyText.contains("Кредитный правозащитник") == true)
            #expect(try await citizen.send(.GET, "/api/v1/appeals/\(appeal.number)").content.decode(AppealDTO.self).status == .coordination)
        }
    }

    @Test func rejectionNeedsALawfulGroundAndDuplicatesPointAtTheEarlierAppeal() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let first = try await file(app, citizen)
            let second = try await file(app, citizen, text: "Повторно: магазин не возвращает деньги за пылесос.")
            let third = try await file(app, citizen, text: "Текст с угрозами")
            let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
            let noReason = try await moderator.send(.POST, "/api/v1/appeals/\(third.number)/moderation", json: ["action": "reject"])
            #expect(try noReason.content.decode(APIErrorBody.self).fields?.map(\.field) == ["reason"])
            let rejected = try await moderator.send(
                .POST, "/api/v1/appeals/\(third.number)/moderation", json: ["action": "reject", "reason": "abusive", "comment": "Угрозы"])
            #expect(try rejected.content.decode(AppealDTO.self).status == .rejected)
            let mail = try #require(try await OutboxMessage.query(on: app.db)
                .filter(\.$subject == "Обращение № \(third.number) не будет рассмотрено по существу").first())
            #expect(mail.bodyText.contains("ч. 3 ст. 11 59-ФЗ"))

            let duplicate = try await moderator.send(
                .POST, "/api/v1/appeals/\(second.number)/moderation", json: ["action": "duplicate", "duplicateOf": first.number])
            #expect(try duplicate.content.decode(AppealDTO.self).status == .rejected)
            let stored = try #require(try await Appeal.query(on: app.db).filter(\.$number == second.number).first())
            #expect(stored.rejectReason == .duplicate)
            #expect(stored.possibleDuplicateOf == first.id)
        }
    }

    @Test func onlyModeratorsModerateAndTheQueueIsPagedOldestFirst() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            var numbers: [String] = []
            for index in 0..<5 { numbers.append(try await file(app, citizen, text: "Жалоба \(index) о разных товарах \(index)").number) }
            #expect(try await citizen.send(.POST, "/api/v1/appeals/\(numbers[0])/moderation", json: ["action": "accept"]).status == .forbidden)
            // Someone else's appeal is not even there for a person who may not moderate it.
            let executor = try await API.signedIn(app, "executor@consumerdesk.test")
            let probe = try await executor.send(.POST, "/api/v1/appeals/\(numbers[0])/moderation", json: ["action": "accept"])
            #expect(probe.status == .notFound)
            #expect(try await executor.send(.POST, "/api/v1/appeals/34-2026-999999/moderation", json: ["action": "accept"]).status == .notFound)
            #expect(try await citizen.send(.GET, "/api/v1/moderation/queue").status == .forbidden)
            let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
            let page1 = try await moderator.send(.GET, "/api/v1/moderation/queue?limit=3").content.decode(AppealAPIController.QueuePage.self)
            #expect(page1.items.map(\.number) == Array(numbers.prefix(3)))
            let next = try #require(page1.next)
            let page2 = try await moderator.send(.GET, "/api/v1/moderation/queue?limit=3&after=\(next)").content
                .decode(AppealAPIController.QueuePage.self)
            #expect(page2.items.map(\.number) == Array(numbers.suffix(2)))
            #expect(page2.next == nil)
        }
    }
}

@Suite("Moderation races", .serialized)
struct ModerationRaceTests {
    @Test func aDecisionOnAStaleCopyIsRefused() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let number = try await ModerationTests().file(app, citizen).number
            let moderator = try #require(try await User.query(on: app.db).filter(\.$email == "moderator@consumerdesk.test").first())
            let request = Request(application: app, on: app.eventLoopGroup.next())
            request.auth.login(moderator)
            // Two moderators opened the same appeal; both decide on what they loaded.
            let first = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
            let second = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
            _ = try await ModerationService.decide(
                ModerationInput(action: "reassign", organisationId: try #require(try await Organisation.query(on: app.db)
                    .filter(\.$name == "Администрация Волгограда").first()?.id).uuidString), on: first, request: request)
            await #expect(throws: AppError.self) {
                _ = try await ModerationService.decide(ModerationInput(action: "accept"), on: second, request: request)
            }
            let stored = try #require(try await Appeal.query(on: app.db).filter(\.$number == number).first())
            #expect(stored.status == .moderation)
            #expect(try await AppealEvent.query(on: app.db).count() == 2, "submitted + reassigned only")
        }
    }

    @Test func anOperatorsRetriedHotlineRegistrationCreatesOneAppeal() async throws {
        try await withApp(demo: true) { app in
            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let payload = AppealBody(
                fields: ["subcategoryCode": "trade-refund-defective", "territoryId": territory.uuidString, "channel": "hotline",
                         "surname": "Петров", "name": "Пётр", "phone": "+79021112233", "text": "Звонок: не вернули деньги."],
                answers: ["purchaseDate": "2026-10-01", "claimFiled": "нет"])
            let operatorAPI = try await API.signedIn(app, "operator@consumerdesk.test")
            let first = try await operatorAPI.send(.POST, "/api/v1/appeals", json: payload, headers: ["Idempotency-Key": "call-1"])
            let retry = try await operatorAPI.send(.POST, "/api/v1/appeals", json: payload, headers: ["Idempotency-Key": "call-1"])
            #expect(first.status == .created)
            #expect(retry.status == .ok)
            #expect(try await Appeal.query(on: app.db).count() == 1)
        }
    }
}
