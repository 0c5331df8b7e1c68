import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Team, auto-rules and reminders", .serialized)
struct TeamAndRemindersTests {
    @Test func theCoordinatorSetsPresenceAndRulesAndFairLoadFollowsThem() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("coordinator@consumerdesk.test")
            let executorID = try await Processing.userID(app, "executor@consumerdesk.test")
            let department = try await Processing.organisation(app, "ТО в г. Волжском")
            var page = try await browser.get("/desk/team")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Волкова Елена Андреевна"))
            // Away: fair load has nobody, an auto-rule leaves the appeal for the coordinator.
            var saved = try await browser.post(
                "/desk/team/\(executorID.uuidString)", form: [("organisationId", department.uuidString), ("capacity", "")])
            #expect(saved.status == .seeOther)
            saved = try await browser.post(
                "/desk/team/\(executorID.uuidString)", form: [("organisationId", department.uuidString), ("capacity", "-3"), ("present", "1")])
            #expect(saved.status == .unprocessableEntity, "a negative limit is refused")
            #expect(try await ExecutorProfile.query(on: app.db).first()?.present == false, "and nothing changed")
            saved = try await browser.post("/desk/rules", form: [("organisationId", department.uuidString), ("subject", "c:trade")])
            #expect(saved.status == .seeOther)
            #expect(try await browser.post("/desk/rules", form: [("organisationId", department.uuidString), ("subject", "c:trade")]).status
                == .unprocessableEntity, "the same rule twice")
            page = try await browser.get("/desk/rules")
            #expect(page.body.string.contains("по очереди (наименее загруженному)"))

            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let waiting = try await Processing.accepted(app, citizen)
            #expect(waiting.status == .coordination, "nobody present")
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let refused = try await Processing.act(coordinator, waiting, ["action": "assign", "executorId": "auto"])
            #expect(try refused.content.decode(APIErrorBody.self).fields?.map(\.code) == ["nobodyAvailable"])

            // Back at work with a limit of one: the next appeal is delegated, the one after waits.
            saved = try await browser.post(
                "/desk/team/\(executorID.uuidString)", form: [("organisationId", department.uuidString), ("capacity", "1"), ("present", "1")])
            #expect(saved.status == .seeOther)
            let delegated = try await Processing.accepted(app, citizen, text: "Вторая жалоба на магазин техники.")
            #expect(delegated.status == .inWork)
            #expect(delegated.delegatedByRule)
            let full = try await Processing.accepted(app, citizen, text: "Третья жалоба на магазин техники.")
            #expect(full.status == .coordination, "the only executor is at their limit")

            // Only a coordinator of the organisation manages it.
            let executor = try Browser(app)
            try await executor.signIn("executor@consumerdesk.test")
            #expect(try await executor.get("/desk/team").status == .forbidden)
        }
    }

    @Test func remindersGoOnceAcrossNodesAndSurviveRestarts() async throws {
        try await withApp(demo: true) { app in
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let assigned = try await Processing.accepted(app, citizen)
            let waiting = try await Processing.accepted(app, citizen, text: "Другая жалоба на магазин техники.")
            let coordinator = try await API.signedIn(app, "coordinator@consumerdesk.test")
            let executorID = try await Processing.userID(app, "executor@consumerdesk.test")
            #expect(try await Processing.act(coordinator, assigned, ["action": "assign", "executorId": executorID.uuidString]).status == .ok)
            // Overdue for the executor; the coordination term of the other one has run out.
            let now = Date()
            let overdue = try #require(try await Appeal.query(on: app.db).filter(\.$number == assigned.number).first())
            overdue.answerDueAt = now.addingTimeInterval(-3600)
            try await overdue.save(on: app.db)
            let unassigned = try #require(try await Appeal.query(on: app.db).filter(\.$number == waiting.number).first())
            unassigned.coordinationDueAt = now.addingTimeInterval(-3600)
            try await unassigned.save(on: app.db)

            // Not due yet: the first run is at 08:00.
            #expect(try await Reminders.runIfDue(app: app, node: "a", now: now) == nil)
            try await ScheduledJobRow.query(on: app.db).set(\.$nextRunAt, to: now.addingTimeInterval(-60)).update()
            // Another node holds the lease: this one waits.
            #expect(try await ScheduledJobs.claim(Reminders.job, node: "b", now: now, on: app.db))
            #expect(try await Reminders.runIfDue(app: app, node: "a", now: now) == nil)
            // The lease ran out (node b died): node a runs it, once.
            let later = now.addingTimeInterval(ScheduledJobs.lease + 60)
            let report = try #require(try await Reminders.runIfDue(app: app, node: "a", now: later))
            #expect(report.letters == 2)
            #expect(try await Reminders.runIfDue(app: app, node: "c", now: later) == nil)
            let next = try #require(try await ScheduledJobRow.query(on: app.db).first())
            #expect(next.nextRunAt > later)
            #expect(next.lastResult == "2 letters, 2 appeals")

            let toExecutor = try #require(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "executor@consumerdesk.test").first())
            #expect(toExecutor.bodyText.contains(assigned.number))
            #expect(toExecutor.bodyText.contains("просрочено"))
            let toCoordinator = try #require(try await OutboxMessage.query(on: app.db).filter(\.$recipient == "coordinator@consumerdesk.test").first())
            #expect(toCoordinator.bodyText.contains(waiting.number))
        }
    }
}
