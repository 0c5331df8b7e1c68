import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// Helpers to bring appeals to a stage through the real API.
enum Processing {
    static func accepted(_ app: Application, _ citizen: API, text: String = "Магазин отказался вернуть деньги за сломанный пылесос.")
        async throws -> AppealDTO
    {
        let appeal = try await ModerationTests().file(app, citizen, text: text)
        let moderator = try await API.signedIn(app, "moderator@consumerdesk.test")
        let response = try await moderator.send(.POST, "/api/v1/appeals/\(appeal.number)/moderation", json: ["action": "accept"])
        #expect(response.status == .ok, "\(response.body.string)")
        return try response.content.decode(AppealDTO.self)
    }

    static func act(_ api: API, _ appeal: AppealDTO, _ body: [String: String]) async throws -> TestingHTTPResponse {
        var payload: [String: AnyEncodable] = ["version": AnyEncodable(appeal.version)]
        for (key, value) in body { payload[key] = key == "days" ? AnyEncodable(Int(value)!) : AnyEncodable(value) }
        return try await api.send(.POST, "/api/v1/appeals/\(appeal.number)/actions", json: payload)
    }

    static func userID(_ app: Application, _ email: String) async throws -> UUID {
        try #require(try await User.query(on: app.db).filter(\.$email == email).first()?.id)
    }

    static func organisation(_ app: Application, _ name: String) async throws -> UUID {
        try #require(try await Organisation.query(on: app.db).filter(\.$shortName == name).first()?.id)
    }
}

@Suite("Processing", .serialized)
struct ProcessingTests {
    @Test func theWholePathFromCoordinatorToTheCitizensRating() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            var appeal = try await Processing.accepted(app, citizen)
            #expect(appeal.folder == .new)
            #expect(appeal.stage == .afterModeration)
            #expect(appeal.coordinationDueAt != nil)

            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let workspace = try await coordinator.send(.GET, "/api/v1/workspace").content.decode(WorkspaceDTO.self)
            #expect(workspace.folders.first { $0.folder == .new }?.count == 1)
            #expect(workspace.items.map(\.number) == [appeal.number])
            #expect(workspace.items.first?.coordinationCountdown != nil)
            #expect(workspace.items.first?.answerCountdown.contains(" / до ") == true)

            let executorID = try await Processing.userID(app, "executor@consumerdesk.test")
            var response = try await Processing.act(coordinator, appeal, ["action": "assign", "executorId": executorID.uuidString])
            #expect(response.status == .ok, "\(response.body.string)")
            appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.status == .inWork)
            #expect(appeal.executorId == executorID)

            let executor = try await API.signedIn(app, "executor@consumerdesk.test")
            // The executor's workspace shows their own appeals only.
            let mine = try await executor.send(.GET, "/api/v1/workspace?folder=in_work").content.decode(WorkspaceDTO.self)
            #expect(mine.ownOnly)
            #expect(mine.items.map(\.number) == [appeal.number])
            appeal = try await Processing.act(executor, appeal, ["action": "take"]).content.decode(AppealDTO.self)

            // A question to the citizen: mailed, shown on their card; their reply reaches the executor.
            appeal = try await Processing.act(executor, appeal, ["action": "request_info", "comment": "Приложите, пожалуйста, чек."])
                .content.decode(AppealDTO.self)
            #expect(appeal.awaitingCitizen)
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$subject == "По обращению № \(appeal.number) нужна дополнительная информация").count() == 1)
            let owner = try Browser(app)
            try await owner.signIn("citizen@consumerdesk.test")
            #expect(try await owner.get("/my/appeals/\(appeal.number)").body.string.contains("Приложите, пожалуйста, чек."))
            #expect(try await owner.post("/my/appeals/\(appeal.number)/reply", form: [("text", " ")]).status == .unprocessableEntity)
            #expect(try await owner.post("/my/appeals/\(appeal.number)/reply", form: [("text", "Чек утерян, есть выписка банка.")]).status == .seeOther)
            #expect(try await citizen.send(.POST, "/api/v1/appeals/\(appeal.number)/reply", json: ["text": "ещё"]).status == .conflict)
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "executor@consumerdesk.test").first()?.bodyText
                .contains("выписка банка") == true)
            appeal = try await executor.send(.GET, "/api/v1/appeals/\(appeal.number)").content.decode(AppealDTO.self)
            #expect(!appeal.awaitingCitizen)

            // Postponing needs a reason and a date within the term.
            response = try await Processing.act(executor, appeal, ["action": "postpone", "until": "2099-01-01", "comment": "ждём"])
            #expect(response.status == .unprocessableEntity)
            #expect(try response.content.decode(APIErrorBody.self).fields?.map(\.code) == ["beyondDeadline"])
            response = try await Processing.act(executor, appeal, ["action": "postpone", "until": "2099-01-01"])
            #expect(try response.content.decode(APIErrorBody.self).fields?.map(\.field) == ["comment"])

            // No answer text: refused, nothing saved.
            response = try await Processing.act(executor, appeal, ["action": "submit_answer", "outcome": "explained"])
            #expect(response.status == .unprocessableEntity)
            #expect(try await AppealAnswer.query(on: app.db).count() == 0)
            response = try await Processing.act(
                executor, appeal, ["action": "submit_answer", "text": "Продавец обязан вернуть деньги (ст. 18 ЗоЗПП).", "outcome": "explained"])
            appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.status == .answerReview)

            // The executor cannot approve their own answer; the manager returns it once with a comment.
            response = try await Processing.act(executor, appeal, ["action": "approve"])
            #expect(response.status == .forbidden)
            let manager = try await API.signedIn(app, "manager@consumerdesk.test")
            response = try await Processing.act(manager, appeal, ["action": "return_answer"])
            #expect(try response.content.decode(APIErrorBody.self).fields?.map(\.field) == ["comment"])
            appeal = try await Processing.act(manager, appeal, ["action": "return_answer", "comment": "Укажите срок возврата"])
                .content.decode(AppealDTO.self)
            #expect(appeal.folder == .returnedWithin)
            appeal = try await Processing.act(
                executor, appeal,
                ["action": "submit_answer", "text": "Продавец обязан вернуть деньги в течение 10 дней (ст. 22 ЗоЗПП).", "outcome": "satisfied"]
            ).content.decode(AppealDTO.self)
            appeal = try await Processing.act(manager, appeal, ["action": "approve"]).content.decode(AppealDTO.self)
            #expect(appeal.status == .answered)
            #expect(appeal.outcome == .satisfied)
            let shown = try await citizen.send(.GET, "/api/v1/appeals/\(appeal.number)").content.decode(AppealDTO.self)
            #expect(shown.answer?.contains("в течение 10 дней") == true, "the answer is in the citizen's account")
            let citizenPage = try Browser(app)
            try await citizenPage.signIn("citizen@consumerdesk.test")
            let card = try await citizenPage.get("/my/appeals/\(appeal.number)").body.string
            #expect(card.contains("в течение 10 дней"))
            #expect(!card.contains("Укажите срок возврата"), "the manager's internal comment is not shown")

            // The answer email carries the text and five rating links.
            let mail = try #require(try await OutboxMessage.query(on: app.db).filter(\.$subject == "Ответ на обращение № \(appeal.number)").first())
            #expect(mail.bodyText.contains("в течение 10 дней"))
            let token = try #require(mail.bodyText.firstMatch(of: /\/rate\/([A-Za-z0-9_-]+)\/1/)?.1).description
            #expect(mail.bodyText.contains("/rate/\(token)/5"))

            // One click, no sign-in: the page posts the score; a second, different score is refused.
            let browser = try Browser(app)
            let page = try await browser.get("/rate/\(token)/2")
            #expect(page.body.string.contains("data-auto-submit"))
            var rated = try await browser.post("/rate/\(token)", form: [("score", "2")])
            #expect(rated.status == .ok)
            #expect(rated.body.string.contains("rate-recorded"))
            rated = try await browser.post("/rate/\(token)", form: [("score", "2")])
            #expect(rated.status == .ok, "the same click again is fine")
            rated = try await browser.post("/rate/\(token)", form: [("score", "5")])
            #expect(rated.status == .conflict)
            let commented = try await browser.post("/rate/\(token)/comment", form: [("comment", "Деньги так и не вернули")])
            #expect(commented.body.string.contains("rate-done"))
            #expect(try await browser.post("/rate/\(token)/comment", form: [("comment", "ещё")]).status == .conflict)

            let stored = try #require(try await Appeal.query(on: app.db).filter(\.$number == appeal.number).first())
            #expect(stored.status == .closed)
            #expect(stored.rating == 2)
            #expect(stored.curatorAttention, "a low score goes to the curator")

            // An earlier answer's link dies once the appeal is answered again (checked below after rework).
            // The curator sees it and returns it to rework; the executor has it again.
            let curator = try await API.signedIn(app, "curator@consumerdesk.test")
            let low = try await curator.send(.GET, "/api/v1/curator/appeals?list=low_rated").content.decode(CuratorController.CuratorDTO.self)
            #expect(low.items.map(\.number) == [appeal.number])
            appeal = try await citizen.send(.GET, "/api/v1/appeals/\(appeal.number)").content.decode(AppealDTO.self)
            response = try await Processing.act(curator, appeal, ["action": "curator_return", "comment": "Проверьте, возвращены ли деньги"])
            #expect(response.status == .ok, "\(response.body.string)")
            #expect(try response.content.decode(AppealDTO.self).folder == .returnedWithin)
            #expect(try await curator.send(.GET, "/api/v1/curator/appeals?list=low_rated").content.decode(CuratorController.CuratorDTO.self).items.isEmpty)

            let history = try await coordinator.send(.GET, "/api/v1/appeals/\(appeal.number)/history").content
                .decode([AppealAPIController.EventDTO].self)
            #expect(history.map(\.action) == [
                "submitted", "accepted", "assigned", "taken", "info_requested", "citizen_replied", "answer_submitted", "answer_returned",
                "answer_submitted", "approved", "rated", "rating_commented", "curator_returned",
            ])
            // The citizen sees their side: no internal steps, no staff comments.
            let seen = try await citizen.send(.GET, "/api/v1/appeals/\(appeal.number)/history").content
                .decode([AppealAPIController.EventDTO].self)
            #expect(seen.map(\.action) == ["submitted", "accepted", "assigned", "info_requested", "citizen_replied", "approved", "rated", "curator_returned"])
            #expect(seen.last?.comment == nil, "the curator's remark is internal")
            #expect(seen[2].details == nil, "the executor's identity is internal")
            // The counters followed every move: one appeal, now returned within the organisation.
            let counts = try await coordinator.send(.GET, "/api/v1/workspace").content.decode(WorkspaceDTO.self).folders
            #expect(counts.filter { $0.count > 0 }.map(\.folder) == [.returnedWithin])
            #expect(counts.map(\.count).reduce(0, +) == 1)

            // Answered again; the curator returns it once more before the citizen rates: the second email's
            // link now leads nowhere — a score always rates the answer the citizen last got.
            appeal = try await executor.send(.GET, "/api/v1/appeals/\(appeal.number)").content.decode(AppealDTO.self)
            appeal = try await Processing.act(executor, appeal, ["action": "submit_answer", "text": "Деньги возвращены 20.11.", "outcome": "satisfied"])
                .content.decode(AppealDTO.self)
            appeal = try await Processing.act(manager, appeal, ["action": "approve"]).content.decode(AppealDTO.self)
            let second = try #require(try await OutboxMessage.query(on: app.db).filter(\.$subject == "Ответ на обращение № \(appeal.number)")
                .sort(\.$createdAt, .descending).first())
            let secondToken = try #require(second.bodyText.firstMatch(of: /\/rate\/([A-Za-z0-9_-]+)\/1/)?.1).description
            #expect(secondToken != token)
            #expect(try await Processing.act(curator, appeal, ["action": "curator_return", "comment": "Приложите платёжку"]).status == .ok)
            let expired = try await Browser(app).get("/rate/\(secondToken)/5")
            #expect(expired.body.string.contains("прежнему ответу"))
            #expect(try await Browser(app).post("/rate/\(secondToken)", form: [("score", "5")]).status == .conflict)
        }
    }

    @Test func aStaleCopyOrTheWrongRoleChangesNothing() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let appeal = try await Processing.accepted(app, citizen)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let executorID = try await Processing.userID(app, "executor@consumerdesk.test")
            let first = try await Processing.act(coordinator, appeal, ["action": "assign", "executorId": executorID.uuidString])
            #expect(first.status == .ok)
            // A second coordinator acting on the same view gets 409 and nothing moves.
            let second = try await Processing.act(coordinator, appeal, ["action": "redirect", "organisationId": UUID().uuidString])
            #expect(second.status == .conflict)
            #expect(try second.content.decode(APIErrorBody.self).fields?.map(\.code) == ["staleVersion"])
            #expect(try second.content.decode(APIErrorBody.self).appeal?.status == .inWork, "the 409 carries the fresh appeal")
            let fresh = try await coordinator.send(.GET, "/api/v1/appeals/\(appeal.number)").content.decode(AppealDTO.self)
            #expect(fresh.status == .inWork)
            // Illegal from this state: 409 with the reason; a role that may not: 403.
            let illegal = try await Processing.act(coordinator, fresh, ["action": "approve"])
            #expect(illegal.status == .conflict)
            #expect(try illegal.content.decode(APIErrorBody.self).reason.contains("in_work"))
            let manager = try await API.signedIn(app, "manager@consumerdesk.test")
            #expect(try await Processing.act(manager, fresh, ["action": "take"]).status == .forbidden)
            // The citizen cannot act on their own appeal as staff.
            #expect(try await Processing.act(citizen, fresh, ["action": "take"]).status == .notFound)
            // Nor can an employee of another body who filed an appeal for themselves open its internal side.
            let operatorAPI = try await API.signedIn(app, "operator@consumerdesk.test")
            let own = try await ModerationTests().file(app, operatorAPI, text: "Сам купил неисправный чайник.")
            #expect(try await operatorAPI.send(.GET, "/api/v1/appeals/\(own.number)").status == .ok)
            #expect(try await operatorAPI.send(.GET, "/api/v1/appeals/\(own.number)/notes").status == .notFound)
            let operatorPage = try Browser(app)
            try await operatorPage.signIn("operator@consumerdesk.test")
            #expect(try await operatorPage.get("/desk/appeals/\(own.number)").status == .notFound)
            #expect(try await AppealEvent.query(on: app.db).filter(\.$appeal.$id == appeal.id).count() == 3, "submitted, accepted, assigned")

            // The HTML card shows the fresh state with a Russian message and 409.
            let browser = try Browser(app)
            try await browser.signIn("coordinator@consumerdesk.test")
            let page = try await browser.post(
                "/desk/appeals/\(appeal.number)", form: [("action", "assign"), ("version", String(appeal.version)), ("executorId", "auto")])
            #expect(page.status == .conflict)
            #expect(page.body.string.contains("Обращение уже изменил другой сотрудник"))
            #expect(page.body.string.contains("В работе"))
        }
    }

    @Test func redirectsTellTheCitizenKeepTheStageAndStopAfterSevenDays() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            var appeal = try await Processing.accepted(app, citizen)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let city = try await Processing.organisation(app, "Администрация г. Волжского")
            var response = try await Processing.act(coordinator, appeal, ["action": "redirect", "organisationId": city.uuidString])
            #expect(response.status == .ok, "\(response.body.string)")
            appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.executorOrganisationId == city)
            #expect(appeal.stage == .fromNonSubordinate)
            #expect(appeal.folder == .new)
            let mail = try await OutboxMessage.query(on: app.db).filter(\.$subject == "Обращение № \(appeal.number) перенаправлено").first()
            #expect(mail?.bodyText.contains("Администрация") == true)
            // The Volzhsky department's coordinator no longer sees it; its counters moved with it.
            let workspace = try await coordinator.send(.GET, "/api/v1/workspace").content.decode(WorkspaceDTO.self)
            #expect(workspace.items.isEmpty)
            #expect(workspace.folders.map(\.count).reduce(0, +) == 0)

            // The city sends it back: it waits in the department's «Возвращены из организации», even with
            // an auto-rule there (auto-rules are for new arrivals, not for refusals).
            let department = try await Processing.organisation(app, "ТО в г. Волжском")
            let rule = AssignmentRuleRecord()
            rule.$organisation.id = department
            rule.createdAt = Date()
            try await rule.create(on: app.db)
            let admin = try await API.signedIn(app, "admin@consumerdesk.test")
            response = try await Processing.act(admin, appeal, ["action": "send_back"])
            #expect(try response.content.decode(APIErrorBody.self).fields?.map(\.field) == ["comment"])
            response = try await Processing.act(admin, appeal, ["action": "send_back", "comment": "Не наша компетенция: торговля"])
            #expect(response.status == .ok, "\(response.body.string)")
            appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.status == .coordination)
            #expect(appeal.folder == .returnedFrom)
            #expect(appeal.stage == .fromNonSubordinate)
            let back = try await coordinator.send(.GET, "/api/v1/workspace?folder=returned_from").content.decode(WorkspaceDTO.self)
            #expect(back.items.map(\.number) == [appeal.number])
            #expect(back.folders.first { $0.folder == .returnedFrom }?.count == 1)
            try await rule.delete(on: app.db)

            // Another appeal, registered twelve days ago: too late to redirect under 59-ФЗ.
            let late = try await Processing.accepted(app, citizen, text: "Другая жалоба на магазин техники.")
            let stored = try #require(try await Appeal.query(on: app.db).filter(\.$number == late.number).first())
            stored.registeredAt = Date().addingTimeInterval(-12 * 86_400)
            try await stored.save(on: app.db)
            response = try await Processing.act(coordinator, late, ["action": "redirect", "organisationId": city.uuidString])
            #expect(response.status == .conflict)
            #expect(try response.content.decode(APIErrorBody.self).reason.contains("7 days"))
        }
    }

    @Test func theTermIsExtendedOnceByAtMostThirtyDays() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            var appeal = try await Processing.accepted(app, citizen)
            let manager = try await API.signedIn(app, "manager@consumerdesk.test")
            var response = try await Processing.act(manager, appeal, ["action": "extend", "days": "31", "comment": "запрос в банк"])
            #expect(try response.content.decode(APIErrorBody.self).fields?.map(\.code) == ["outOfRange"])
            response = try await Processing.act(manager, appeal, ["action": "extend", "days": "30"])
            #expect(try response.content.decode(APIErrorBody.self).fields?.map(\.field) == ["comment"])
            let before = appeal.answerDueAt
            response = try await Processing.act(manager, appeal, ["action": "extend", "days": "30", "comment": "запрос в банк"])
            #expect(response.status == .ok, "\(response.body.string)")
            appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.extendedDays == 30)
            #expect(appeal.answerDueAt.timeIntervalSince(before) >= 30 * 86_400 - 1)
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$subject == "Срок рассмотрения обращения № \(appeal.number) продлён").count() == 1)
            response = try await Processing.act(manager, appeal, ["action": "extend", "days": "5", "comment": "ещё"])
            #expect(response.status == .conflict)
            #expect(try response.content.decode(APIErrorBody.self).reason.contains("once"))
        }
    }
}

@Suite("Fair assignment", .serialized)
struct FairAssignmentTests {
    /// Four more executors in the Volzhsky department, one of them away.
    static func staff(_ app: Application) async throws -> (present: [UUID], absent: UUID) {
        let department = try await Processing.organisation(app, "ТО в г. Волжском")
        var present: [UUID] = [try await Processing.userID(app, "executor@consumerdesk.test")]
        var absent: UUID?
        for index in 0..<4 {
            let user = User(name: PersonName(surname: "Исполнитель\(index)", name: "Тест", patronymic: nil), email: "ex\(index)@consumerdesk.test",
                            phone: nil, passwordHash: "x")
            try await user.create(on: app.db)
            let id = try user.requireID()
            try await RoleGrant(userID: id, grant: Grant(role: .executor, organisationID: department), grantedBy: nil).create(on: app.db)
            if index == 3 {
                let profile = ExecutorProfile(userID: id, organisationID: department)
                profile.present = false
                try await profile.create(on: app.db)
                absent = id
            } else {
                present.append(id)
            }
        }
        return (present, try #require(absent))
    }

    @Test func aHundredAppealsOverFourPresentExecutorsAndNoneToTheAbsent() async throws {
        // One citizen filing far more than a person would: the public rate limit is lifted.
        try await withApp(demo: true, configure: { $0.rateLimits = false }) { app in
            let (present, absent) = try await Self.staff(app)
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            for index in 0..<100 { _ = try await Processing.accepted(app, citizen, text: "Жалоба № \(index) на магазин бытовой техники") }
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            #expect(try await coordinator.send(.GET, "/api/v1/workspace").content.decode(WorkspaceDTO.self).folders.first?.count == 100)
            let appeals = try await Appeal.query(on: app.db).filter(\.$folder == .new).all()
            // Concurrent clicks of «по очереди»: the gate keeps the choice fair.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for appeal in appeals {
                    let dto = try AppealDTO(appeal)
                    group.addTask {
                        let response = try await Processing.act(coordinator, dto, ["action": "assign", "executorId": "auto"])
                        #expect(response.status == .ok, "\(response.body.string)")
                    }
                }
                try await group.waitForAll()
            }
            var counts: [UUID: Int] = [:]
            for appeal in try await Appeal.query(on: app.db).all() { counts[appeal.$executor.id!, default: 0] += 1 }
            let given = present.map { counts[$0] ?? 0 }
            #expect(given.reduce(0, +) == 100)
            #expect(given.max()! - given.min()! <= 1, "\(given)")
            #expect(counts[absent] == nil)
            let profiles = try await ExecutorProfile.query(on: app.db).filter(\.$present == true).all()
            #expect(profiles.map(\.contactsToday).reduce(0, +) == 100)
        }
    }

    @Test func anAutoRuleDelegatesOnAcceptanceAndTheWorkspaceFiltersIt() async throws {
        try await withApp(demo: true) { app in
            let department = try await Processing.organisation(app, "ТО в г. Волжском")
            let rule = AssignmentRuleRecord()
            rule.$organisation.id = department
            rule.categoryCode = "trade"
            rule.createdAt = Date()
            try await rule.create(on: app.db)
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let appeal = try await Processing.accepted(app, citizen)
            #expect(appeal.status == .inWork)
            #expect(appeal.delegatedByRule)
            #expect(appeal.executorId == (try await Processing.userID(app, "executor@consumerdesk.test")))
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let delegated = try await coordinator.send(.GET, "/api/v1/workspace?folder=in_work&delegated=1").content.decode(WorkspaceDTO.self)
            #expect(delegated.items.map(\.number) == [appeal.number])
            #expect(delegated.items.first?.delegatedByRule == true)
            let other = try await coordinator.send(.GET, "/api/v1/workspace?folder=in_work&delegated=1&channel=hotline").content
                .decode(WorkspaceDTO.self)
            #expect(other.items.isEmpty)
            // The page shows the same, in Russian.
            let browser = try Browser(app)
            try await browser.signIn("coordinator@consumerdesk.test")
            let page = try await browser.get("/desk?folder=in_work")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("делегировано автоправилом"))
            #expect(page.body.string.contains("Подготовлен ответ"))
            #expect(page.body.string.contains(appeal.number))
            let card = try await browser.get("/desk/appeals/\(appeal.number)")
            #expect(card.status == .ok)
            #expect(card.body.string.contains("Сменить исполнителя"))
        }
    }
}

@Suite("Answer files", .serialized)
struct AnswerFileTests {
    @Test func answerFilesAreCheckedAndReachTheCitizenOnlyOnceApproved() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            var appeal = try await Processing.accepted(app, citizen)
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let executorID = try await Processing.userID(app, "executor@consumerdesk.test")
            appeal = try await Processing.act(coordinator, appeal, ["action": "assign", "executorId": executorID.uuidString])
                .content.decode(AppealDTO.self)
            let executor = try await API.signedIn(app, "executor@consumerdesk.test")
            func answer(_ files: [Multipart.FilePart]) -> Multipart {
                var form = Multipart()
                form.fields = [("action", "submit_answer"), ("version", String(appeal.version)), ("text", "Ответ с письмом продавцу."), ("outcome", "explained")]
                form.files = files
                return form
            }
            // A program renamed .pdf: refused by its content, nothing kept.
            var response = try await executor.send(
                .POST, "/api/v1/appeals/\(appeal.number)/actions",
                multipart: answer([.init(field: "attachments[]", filename: "letter.pdf", contentType: "application/pdf", data: SampleFiles.exe)]))
            #expect(response.status == .unprocessableEntity)
            #expect(try response.content.decode(APIErrorBody.self).fields?.map(\.field) == ["attachments[0]"])
            #expect(try await AppealAnswer.query(on: app.db).count() == 0)

            response = try await executor.send(
                .POST, "/api/v1/appeals/\(appeal.number)/actions",
                multipart: answer([.init(field: "attachments[]", filename: "письмо продавцу.pdf", contentType: "application/pdf", data: SampleFiles.pdf)]))
            #expect(response.status == .ok, "\(response.body.string)")
            appeal = try response.content.decode(AppealDTO.self)
            #expect(appeal.attachments.isEmpty, "the appeal's own files only")
            let file = try #require(try await AppealAttachment.query(on: app.db).filter(\.$answerID != nil).first())
            #expect(file.fileName == "письмо продавцу.pdf")
            let url = "/api/v1/appeals/\(appeal.number)/attachments/\(try file.requireID())"
            #expect(try await citizen.send(.GET, url).status == .notFound, "not before the manager approves")
            #expect(try await coordinator.send(.GET, url).status == .ok)

            let manager = try await API.signedIn(app, "manager@consumerdesk.test")
            #expect(try await Processing.act(manager, appeal, ["action": "approve"]).status == .ok)
            let download = try await citizen.send(.GET, url)
            #expect(download.status == .ok)
            #expect(download.body.string.hasPrefix("%PDF"))
            let browser = try Browser(app)
            try await browser.signIn("citizen@consumerdesk.test")
            #expect(try await browser.get("/my/appeals/\(appeal.number)").body.string.contains("письмо продавцу.pdf"))
        }
    }
}
