import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Who gets new work (product.md §4 «Fair load»): by hand, by the organisation's auto-rules, or to the
/// eligible specialist with the fewest contacts today. One service for appeals and, later, chats.
enum AssignmentService {
    /// The organisation's executors: active accounts with the executor role granted in it.
    static func executors(of organisation: UUID, on db: any Database) async throws -> [User] {
        let grants = try await RoleGrant.query(on: db).filter(\.$organisation.$id == organisation).filter(\.$role == .executor)
            .with(\.$user).all()
        return grants.map(\.user).filter(\.isActive).sorted { ($0.surname, $0.name) < ($1.surname, $1.name) }
    }

    /// Everyone who could take work in the organisation, with their availability and today's load.
    static func candidates(of organisation: UUID, now: Date, on request: Request) async throws -> [LoadCandidate] {
        let db = request.db
        let people = try await executors(of: organisation, on: db)
        let ids = people.compactMap(\.id)
        guard !ids.isEmpty else { return [] }
        let profiles = try await ExecutorProfile.query(on: db).filter(\.$organisation.$id == organisation)
            .filter(\.$user.$id ~~ ids).all()
        let byUser = Dictionary(profiles.map { ($0.$user.id, $0) }, uniquingKeysWith: { a, _ in a })
        let open = try await openCounts(of: ids, on: db)
        let today = request.application.productionCalendar.localDate(of: now)
        return ids.map { id in
            let profile = byUser[id]
            return LoadCandidate(
                userID: id, present: profile?.present ?? true, open: open[id] ?? 0, capacity: profile?.capacity,
                contactsToday: profile?.contacts(on: today) ?? 0, lastAssignedAt: profile?.lastAssignedAt,
                spheres: profile?.spheres ?? [], territories: profile?.territories ?? [])
        }
    }

    /// Open appeals in each person's hands (in work, returned, postponed, answer waiting for approval).
    static func openCounts(of people: [UUID], on db: any Database) async throws -> [UUID: Int] {
        guard let sql = db as? any SQLDatabase, !people.isEmpty else { return [:] }
        let open: [WorkspaceFolder] = [.inWork, .returnedWithin, .postponed, .answerPrepared]
        let rows = try await sql.select().column("executor_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("appeals").where("executor_id", .in, people).where("folder", .in, open.map(\.rawValue))
            .groupBy("executor_id").all()
        var result: [UUID: Int] = [:]
        for row in rows { result[try row.decode(column: "executor_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self) }
        return result
    }

    /// The fair-load choice for an appeal of the organisation, or `nil` if nobody is eligible.
    static func fairPick(for appeal: Appeal, organisation: UUID, request: Request) async throws -> UUID? {
        let candidates = try await candidates(of: organisation, now: request.now, on: request)
        let sphere = try await Category.query(on: request.db).filter(\.$code == appeal.categoryCode).first()?.sphere
        let lineage = try await request.application.routingCache.snapshot(on: request.db, now: request.now)
            .lineage(of: appeal.$territory.id)
        return FairLoad.pick(candidates, sphere: sphere, territoryLineage: lineage)?.userID
    }

    /// Counts one more contact today for the person (in the caller's transaction).
    static func countContact(_ person: UUID, organisation: UUID, at now: Date, calendar: ProductionCalendar, on db: any Database)
        async throws
    {
        let today = calendar.localDate(of: now).description
        let profile = try await ExecutorProfile.query(on: db).filter(\.$user.$id == person)
            .filter(\.$organisation.$id == organisation).first() ?? ExecutorProfile(userID: person, organisationID: organisation)
        profile.contactsToday = profile.contactsDay == today ? profile.contactsToday + 1 : 1
        profile.contactsDay = today
        profile.lastAssignedAt = now
        try await profile.save(on: db)
    }

    /// Applies the organisation's auto-rules to an appeal that just arrived in its «Новые»: a rule naming a
    /// present person assigns to them; a pool rule (or an absent person) goes to fair load. Returns the
    /// executor, or `nil` when no rule matches or nobody is eligible (the appeal stays for the coordinator).
    @discardableResult
    static func autoAssign(appealID: UUID, request: Request) async throws -> UUID? {
        try await request.application.assignmentGate.run {
            guard let appeal = try await Appeal.find(appealID, on: request.db), appeal.status == .coordination,
                let organisation = appeal.$executorOrganisation.id
            else { return nil }
            let rules = try await AssignmentRuleRecord.query(on: request.db).filter(\.$organisation.$id == organisation).all()
            guard !rules.isEmpty else { return nil }
            let lineage = try await request.application.routingCache.snapshot(on: request.db, now: request.now)
                .lineage(of: appeal.$territory.id)
            guard let rule = AssignmentRule.match(
                rules.map(\.rule), subcategory: appeal.subcategoryCode, category: appeal.categoryCode, territoryLineage: lineage)
            else { return nil }
            var person: UUID?
            if case .person(let id) = rule.target {
                let candidates = try await candidates(of: organisation, now: request.now, on: request)
                let sphere = try await Category.query(on: request.db).filter(\.$code == appeal.categoryCode).first()?.sphere
                if let candidate = candidates.first(where: { $0.userID == id }),
                    FairLoad.isEligible(candidate, sphere: sphere, territoryLineage: lineage)
                {
                    person = id
                }
            }
            if person == nil { person = try await fairPick(for: appeal, organisation: organisation, request: request) }
            guard let person else { return nil }
            let before = ProcessingService.Snapshot(appeal)
            appeal.$executor.id = person
            appeal.assignedAt = request.now
            appeal.takenAt = nil
            appeal.delegatedByRule = true
            appeal.status = AppealTransition.assign.target(from: appeal.status)
            appeal.folder = WorkspaceFolder.of(status: appeal.status, returned: appeal.returned)
            var change = ProcessingService.Change(transition: .assign, actorID: nil, comment: nil)
            change.details = ["executor": "— → \(person.uuidString)", "rule": "auto"]
            change.countContactFor = person
            try await ProcessingService.commit(appeal, before: before, change: change, request: request)
            return person
        }
    }
}

/// Assignments are decided one at a time on a node, so two appeals arriving together cannot both go to
/// the same «least loaded» person. (Several nodes may still pick alike at the same instant; the next
/// choice evens it out.)
actor AssignmentGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer { handOver() }
        return try await body()
    }

    private func handOver() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

extension Application {
    private struct AssignmentGateKey: StorageKey { typealias Value = AssignmentGate }

    /// Set up once in `configure`, before any request can arrive.
    var assignmentGate: AssignmentGate {
        get { configured(AssignmentGateKey.self) }
        set { storage[AssignmentGateKey.self] = newValue }
    }
}
