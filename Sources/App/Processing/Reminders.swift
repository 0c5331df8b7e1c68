import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Jobs kept in the database (`scheduled_jobs`): each has its next run time; a node claims a due job
/// with one conditional update, so it runs once however many nodes serve, and a node that dies
/// mid-run gives the job up when its lease ends. The schedule survives restarts.
enum ScheduledJobs {
    static let lease: TimeInterval = 15 * 60

    /// Registers a job unless it exists: the first run at `firstRun`.
    static func ensure(_ name: String, firstRun: Date, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw(
            "INSERT INTO scheduled_jobs (name, next_run_at) VALUES (\(bind: name), \(bind: firstRun)) ON CONFLICT (name) DO NOTHING"
        ).run()
    }

    /// Claims the job if it is due and nobody holds it. Returns false when another node has it or it is not due.
    static func claim(_ name: String, node: String, now: Date, on db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { return false }
        let rows = try await sql.raw(
            """
            UPDATE scheduled_jobs SET locked_until = \(bind: now.addingTimeInterval(lease)), locked_by = \(bind: node)
            WHERE name = \(bind: name) AND next_run_at <= \(bind: now) AND (locked_until IS NULL OR locked_until < \(bind: now))
            RETURNING name
            """
        ).all()
        return rows.count == 1
    }

    static func finish(_ name: String, node: String, now: Date, next: Date, result: String, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw(
            """
            UPDATE scheduled_jobs SET next_run_at = \(bind: next), last_run_at = \(bind: now), last_result = \(bind: result),
            locked_until = NULL, locked_by = NULL WHERE name = \(bind: name) AND locked_by = \(bind: node)
            """
        ).run()
    }
}

/// The daily reminders (issue 5 item 10): each executor gets their appeals that are overdue or due
/// within one working day; each coordinator gets their organisation's unassigned appeals whose
/// coordination or answer term runs out. One letter per person, in the outbox.
enum Reminders {
    static let job = "daily-reminders"
    /// 08:00 in the region.
    static let hour = 8
    static let maxListed = 50

    static func nextRun(after now: Date, calendar: ProductionCalendar) -> Date {
        let today = calendar.localDate(of: now)
        let atToday = calendar.start(of: today).addingTimeInterval(TimeInterval(hour * 3600))
        return atToday > now ? atToday : calendar.start(of: today.adding(days: 1)).addingTimeInterval(TimeInterval(hour * 3600))
    }

    struct Report: Equatable {
        var letters = 0
        var appeals = 0
    }

    /// Runs the job if it is due and this node wins it.
    @discardableResult
    static func runIfDue(app: Application, node: String, now: Date) async throws -> Report? {
        let calendar = app.productionCalendar
        try await ScheduledJobs.ensure(job, firstRun: nextRun(after: now, calendar: calendar), on: app.db)
        guard try await ScheduledJobs.claim(job, node: node, now: now, on: app.db) else { return nil }
        let report = try await send(app: app, now: now, finishing: (node, nextRun(after: now, calendar: calendar)))
        app.mailWorker?.wake()
        return report
    }

    /// Queues the letters and, in the same transaction, marks the run done: a node that dies before the
    /// commit leaves neither, one that commits leaves both, so no letter goes twice.
    static func send(app: Application, now: Date, finishing run: (node: String, next: Date)) async throws -> Report {
        let db = app.db
        let calendar = app.productionCalendar
        let soon = calendar.due(from: now, days: 1, type: .working)
        let config = app.config

        // Executors: their open appeals, overdue or due by the end of the next working day.
        let working: [WorkspaceFolder] = [.inWork, .returnedWithin, .postponed]
        let mine = try await Appeal.query(on: db).filter(\.$folder ~~ working).filter(\.$answerDueAt <= soon)
            .filter(\.$executor.$id != nil).field(\.$id).field(\.$number).field(\.$executor.$id).field(\.$answerDueAt)
            .field(\.$subcategoryName).sort(\.$answerDueAt).all()
        var letters: [(UUID, [Appeal])] = Dictionary(grouping: mine, by: { $0.$executor.id! }).map { ($0.key, $0.value) }

        // Coordinators: their organisation's appeals still waiting for an executor.
        let waiting = try await Appeal.query(on: db).filter(\.$folder ~~ [WorkspaceFolder.new, .returnedFrom])
            .group(.or) { $0.filter(\.$coordinationDueAt <= soon).filter(\.$answerDueAt <= soon) }
            .field(\.$id).field(\.$number).field(\.$executorOrganisation.$id).field(\.$answerDueAt).field(\.$coordinationDueAt)
            .field(\.$subcategoryName).sort(\.$answerDueAt).all()
        let byOrganisation = Dictionary(grouping: waiting, by: { $0.$executorOrganisation.id })
        if !byOrganisation.isEmpty {
            let grants = try await RoleGrant.query(on: db).filter(\.$role == .coordinator)
                .filter(\.$organisation.$id ~~ byOrganisation.keys.compactMap { $0 }).all()
            for grant in grants {
                guard let organisation = grant.$organisation.id, let appeals = byOrganisation[organisation] else { continue }
                letters.append((grant.$user.id, appeals))
            }
        }
        let people = try await User.query(on: db).filter(\.$id ~~ letters.map(\.0)).filter(\.$isActive == true).all()
        let emails = Dictionary(people.compactMap { p in p.id.flatMap { id in p.email.map { (id, ($0, p.personName.short)) } } }, uniquingKeysWith: { a, _ in a })
        let allLetters = letters
        return try await db.transaction { db in
            var report = Report()
            for (person, appeals) in allLetters {
                guard let (email, name) = emails[person] else { continue }
                let lines = appeals.prefix(maxListed).map { appeal in
                    let due = appeal.answerDueAt < now ? "просрочено" : "срок \(Strings.dateTime(appeal.answerDueAt))"
                    return "№ \(appeal.number) — \(appeal.subcategoryName) — \(due) — \(config.publicURL)/desk/appeals/\(appeal.number)"
                }
                var body = ["Здравствуйте, \(name)!", "", "Обращения, требующие внимания сегодня:", ""] + lines
                if appeals.count > maxListed { body.append("… и ещё \(appeals.count - maxListed). Все — на рабочем месте: \(config.publicURL)/desk") }
                body += ["", "—", "ConsumerDesk"]
                try await MailOutbox.enqueue(
                    to: email, subject: "Сроки по обращениям: \(appeals.count) требуют внимания", body: body.joined(separator: "\n"),
                    on: db, now: now)
                report.letters += 1
                report.appeals += appeals.count
            }
            try await ScheduledJobs.finish(
                job, node: run.node, now: now, next: run.next, result: "\(report.letters) letters, \(report.appeals) appeals", on: db)
            return report
        }
    }
}

extension PeriodicLifecycle {
    /// Every minute: follow calendar edits made on other nodes, and run the stored jobs that are due.
    static var scheduledJobs: PeriodicLifecycle {
        let node = UUID().uuidString
        return PeriodicLifecycle("Scheduled jobs", every: .seconds(60)) { application in
            try await application.calendarStore.reload(on: application.db)
            if let report = try await Reminders.runIfDue(app: application, node: node, now: application.clock.now()) {
                application.logger.info("Reminders sent: \(report.letters) letters about \(report.appeals) appeals")
            }
            let now = application.clock.now()
            if try await EventSeating.remindDue(app: application, now: now) > 0 { application.mailWorker?.wake() }
        }
    }
}
