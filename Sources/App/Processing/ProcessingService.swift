import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// One request to move an appeal: the transition and whatever it needs. The same body serves the
/// card's forms and the API.
struct ProcessingInput: Content {
    var action: String?
    /// The `lockVersion` the person saw; a decision on a stale copy is refused.
    var version: Int?
    var executorId: String?
    var organisationId: String?
    var comment: String?
    var until: String?
    var days: Int?
    var text: String?
    var outcome: String?
    /// The kind of help given (`HelpKind`); a written consultation when not said.
    var help: String?
    /// Money returned to the consumer, in roubles («1 500,50»), when the outcome is satisfied or partly.
    var moneyReturned: String?
    /// Files of the answer (`submit_answer`, multipart `attachments[]`).
    var attachments: [File]?

    init(action: String? = nil, version: Int? = nil, executorId: String? = nil, organisationId: String? = nil,
         comment: String? = nil, until: String? = nil, days: Int? = nil, text: String? = nil, outcome: String? = nil) {
        self.action = action
        self.version = version
        self.executorId = executorId
        self.organisationId = organisationId
        self.comment = comment
        self.until = until
        self.days = days
        self.text = text
        self.outcome = outcome
    }
}

/// Everything staff do to an appeal after moderation (product.md §4). Each transition is checked by the
/// lifecycle (state, role), the policy (organisation scope) and the appeal's version; it then commits in
/// one short transaction: the appeal, its history entry, the folder counters, the answer record and the
/// citizen's mail. A refused transition changes nothing.
enum ProcessingService {
    static let maxComment = 2000
    static let maxAnswer = 20_000

    static func act(_ input: ProcessingInput, on appeal: Appeal, request: Request) async throws -> Appeal {
        guard let transition = input.action.flatMap(AppealTransition.init(rawValue:)), transition != .rate else {
            throw ValidationFailure([FieldError("action", input.action?.nonBlank == nil ? .required : .invalidValue)])
        }
        guard transition == .assign || transition == .reassign else {
            return try await perform(transition, input, on: appeal, request: request)
        }
        // Assignments one at a time: the fair-load choice sees every earlier one.
        return try await request.application.assignmentGate.run {
            // The appeal may have moved while this request waited.
            guard let fresh = try await Appeal.find(appeal.requireID(), on: request.db) else { throw AppError.notFound }
            return try await perform(transition, input, on: fresh, request: request)
        }
    }

    private static func perform(_ transition: AppealTransition, _ input: ProcessingInput, on appeal: Appeal, request: Request)
        async throws -> Appeal
    {
        guard let version = input.version else { throw ValidationFailure([FieldError("version", .required)]) }
        guard version == appeal.lockVersion else { throw ValidationFailure([FieldError("version", .staleVersion)]) }
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        let scope = appeal.scope
        let roles = roles(of: actor, for: transition.policyAction, in: scope, tree: tree)
        try Lifecycle.check(transition, from: appeal.status, roles: roles)
        if transition.needsAssignee, appeal.$executor.id != actor.userID { throw LifecycleRefusal.notAssignee }

        let now = request.now
        let calendar = request.application.productionCalendar
        let comment = input.comment?.nonBlank
        if let comment, comment.count > maxComment { throw ValidationFailure([FieldError("comment", .tooLong)]) }
        let before = Snapshot(appeal)
        var change = Change(transition: transition, actorID: actor.userID, comment: comment)

        switch transition {
        case .assign, .reassign:
            guard let organisationID = appeal.$executorOrganisation.id else { throw LifecycleRefusal.wrongState(transition, appeal.status) }
            let id: UUID
            if input.executorId?.nonBlank == "auto" {
                // «По очереди»: fair load chooses.
                guard let chosen = try await AssignmentService.fairPick(for: appeal, organisation: organisationID, request: request)
                else { throw ValidationFailure([FieldError("executorId", .nobodyAvailable)]) }
                id = chosen
            } else {
                guard let given = input.executorId?.nonBlank.flatMap(UUID.init(uuidString:)) else {
                    throw ValidationFailure([FieldError("executorId", input.executorId?.nonBlank == nil ? .required : .invalidValue)])
                }
                guard try await AssignmentService.executors(of: organisationID, on: request.db).contains(where: { $0.id == given })
                else { throw ValidationFailure([FieldError("executorId", .notFound)]) }
                id = given
            }
            if transition == .reassign, appeal.$executor.id == id { throw ValidationFailure([FieldError("executorId", .invalidValue)]) }
            change.details["executor"] = "\(appeal.$executor.id?.uuidString ?? "—") → \(id.uuidString)"
            appeal.$executor.id = id
            appeal.assignedAt = now
            appeal.takenAt = nil
            appeal.delegatedByRule = false
            change.countContactFor = id
        case .redirect:
            guard let id = input.organisationId?.nonBlank.flatMap(UUID.init(uuidString:)),
                let target = try await Organisation.find(id, on: request.db), target.isActive
            else {
                throw ValidationFailure([FieldError("organisationId", input.organisationId?.nonBlank == nil ? .required : .notFound)])
            }
            guard let current = appeal.$executorOrganisation.id else { throw LifecycleRefusal.wrongState(transition, appeal.status) }
            guard id != current else { throw LifecycleRefusal.sameOrganisation }
            if appeal.kind == .appeal, now > ProcessingTerms.redirectDue(registeredAt: appeal.registeredAt, calendar: calendar) {
                throw LifecycleRefusal.redirectTooLate
            }
            change.details["executorOrganisation"] = "\(current.uuidString) → \(id.uuidString)"
            change.organisationName = target.name
            appeal.previousOrganisationID = current
            appeal.$executorOrganisation.id = id
            appeal.stage = AppealStage.of(sender: current, receiver: id, tree: tree)
            appeal.returned = nil
            try await restartCoordination(appeal, now: now, on: request)
        case .sendBack:
            guard let comment else { throw ValidationFailure([FieldError("comment", .required)]) }
            _ = comment
            guard let current = appeal.$executorOrganisation.id, let previous = appeal.previousOrganisationID,
                let target = try await Organisation.find(previous, on: request.db), target.isActive
            else { throw ValidationFailure([FieldError("organisationId", .notFound)]) }
            change.details["executorOrganisation"] = "\(current.uuidString) → \(previous.uuidString)"
            appeal.previousOrganisationID = current
            appeal.$executorOrganisation.id = previous
            appeal.stage = AppealStage.of(sender: current, receiver: previous, tree: tree)
            appeal.returned = .fromOrganisation
            try await restartCoordination(appeal, now: now, on: request)
        case .take:
            guard appeal.takenAt == nil else { throw AppError.conflict("The appeal is already taken in work") }
            appeal.takenAt = now
        case .requestInfo:
            guard comment != nil else { throw ValidationFailure([FieldError("comment", .required)]) }
            guard appeal.email != nil || appeal.userID != nil else { throw ValidationFailure([FieldError("comment", .noContact)]) }
            appeal.awaitingCitizen = true
        case .postpone:
            let until = input.until?.nonBlank.flatMap(LocalDate.init(iso:))
            if input.until?.nonBlank != nil, until == nil { throw ValidationFailure([FieldError("until", .invalidValue)]) }
            do {
                try ProcessingTerms.checkPostpone(
                    until: until, reason: comment, today: calendar.localDate(of: now), dueDay: calendar.localDate(of: appeal.answerDueAt))
            } catch {
                switch error {
                case .reasonRequired: throw ValidationFailure([FieldError("comment", .required)])
                case .dateRequired: throw ValidationFailure([FieldError("until", .required)])
                case .dateNotAhead: throw ValidationFailure([FieldError("until", .dateNotAhead)])
                case .dateBeyondDeadline: throw ValidationFailure([FieldError("until", .beyondDeadline)])
                }
            }
            appeal.postponedUntil = until?.description
            appeal.postponements += 1
            change.details["until"] = until?.description
        case .resume:
            appeal.postponedUntil = nil
        case .extend:
            guard appeal.kind == .appeal else { throw LifecycleRefusal.notExtendable }
            guard appeal.extendedDays == nil else { throw LifecycleRefusal.alreadyExtended }
            do {
                let due = try ProcessingTerms.extendedDue(appeal.answerDueAt, days: input.days, reason: comment, calendar: calendar)
                change.details["answerDue"] = "\(Strings.dateTime(appeal.answerDueAt)) → \(Strings.dateTime(due))"
                appeal.answerDueAt = due
                appeal.extendedDays = input.days
                change.due = Strings.dateTime(due)
            } catch {
                switch error {
                case .daysRequired: throw ValidationFailure([FieldError("days", .required)])
                case .daysOutOfRange: throw ValidationFailure([FieldError("days", .outOfRange)])
                case .reasonRequired: throw ValidationFailure([FieldError("comment", .required)])
                }
            }
        case .submitAnswer:
            var errors: [FieldError] = []
            let text = input.text?.nonBlank
            if text == nil { errors.append(FieldError("text", .required)) } else if text!.count > maxAnswer { errors.append(FieldError("text", .tooLong)) }
            let outcome = input.outcome.flatMap(AnswerOutcome.init(rawValue:))
            if outcome == nil { errors.append(FieldError("outcome", input.outcome?.nonBlank == nil ? .required : .invalidValue)) }
            var help = HelpKind.writtenConsultation
            if let raw = input.help?.nonBlank {
                if let given = HelpKind(rawValue: raw) { help = given } else { errors.append(FieldError("help", .invalidValue)) }
            }
            var money: Int?
            if let raw = input.moneyReturned?.nonBlank {
                if let kopecks = Money.parseKopecks(raw), kopecks <= Money.maximumKopecks {
                    // Money comes back only when the demand was met, wholly or in part.
                    if let outcome, !ReportResult.of(outcome: outcome, help: help).mayReturnMoney, kopecks > 0 {
                        errors.append(FieldError("moneyReturned", .notForOutcome))
                    } else {
                        money = kopecks
                    }
                } else {
                    errors.append(FieldError("moneyReturned", .invalidValue))
                }
            }
            let files = (input.attachments ?? []).filter { !($0.filename.isEmpty && $0.data.readableBytes == 0) }
            do {
                change.accepted = try AttachmentRules.validate(
                    files.map { .init(fileName: $0.filename, size: $0.data.readableBytes, head: Array($0.data.readableBytesView.prefix(8))) })
                change.files = files.map(\.data)
            } catch {
                errors += error.errors
            }
            guard errors.isEmpty, let text, let outcome else { throw ValidationFailure(errors) }
            let answer = AppealAnswer()
            answer.id = UUID()
            answer.$appeal.id = try appeal.requireID()
            answer.authorID = actor.userID
            answer.text = text
            answer.outcome = outcome
            answer.helpKind = help
            answer.moneyReturned = money
            answer.state = .submitted
            answer.createdAt = now
            answer.updatedAt = now
            answer.submittedAt = now
            change.newAnswer = answer
            change.details["outcome"] = outcome.rawValue
            change.details["help"] = help.rawValue
            if let money { change.details["moneyReturned"] = Money.format(kopecks: money) }
            appeal.returned = nil
            appeal.awaitingCitizen = false
        case .approve, .returnAnswer:
            guard let answer = try await AppealAnswer.query(on: request.db).filter(\.$appeal.$id == appeal.requireID())
                .filter(\.$state == .submitted).sort(\.$createdAt, .descending).first()
            else { throw AppError.conflict("There is no answer waiting for approval") }
            if transition == .returnAnswer, comment == nil { throw ValidationFailure([FieldError("comment", .required)]) }
            answer.state = transition == .approve ? .approved : .returned
            answer.decidedAt = now
            answer.decidedBy = actor.userID
            answer.decisionComment = comment
            change.decidedAnswer = answer
            if transition == .approve {
                appeal.outcome = answer.outcome
                appeal.helpKind = answer.helpKind ?? .writtenConsultation
                appeal.moneyReturned = answer.moneyReturned
                appeal.answeredAt = now
                appeal.rating = nil
                appeal.ratedAt = nil
                change.answerText = answer.text
            } else {
                appeal.returned = .withinOrganisation
            }
        case .curatorReturn:
            guard comment != nil else { throw ValidationFailure([FieldError("comment", .required)]) }
            appeal.returned = .withinOrganisation
            appeal.curatorAttention = false
            appeal.outcome = nil
            appeal.helpKind = nil
            appeal.moneyReturned = nil
            appeal.answeredAt = nil
        case .rate:
            throw ValidationFailure([FieldError("action", .invalidValue)])
        }

        appeal.status = transition.target(from: appeal.status)
        appeal.folder = WorkspaceFolder.of(status: appeal.status, returned: appeal.returned)
        if change.organisationName == nil, transition == .approve {
            change.organisationName = try await appeal.$executorOrganisation.id.asyncFlatMap { try await Organisation.find($0, on: request.db) }?.name
        }
        try await commit(appeal, before: before, change: change, request: request)
        // The receiver's auto-rules apply to a redirected appeal; one sent back waits in «Возвращены».
        if transition == .redirect {
            _ = try? await AssignmentService.autoAssign(appealID: appeal.requireID(), request: request)
            return try await Appeal.find(appeal.requireID(), on: request.db) ?? appeal
        }
        return appeal
    }

    /// The applicant answers the executor's question: the text joins the history, the flag is cleared,
    /// and the executor is told. Only the appeal's owner, only while a question is open.
    static func citizenReply(_ text: String?, on appeal: Appeal, request: Request) async throws {
        let user = try request.requireUser()
        guard appeal.userID == user.id else { throw AppError.notFound }
        guard appeal.awaitingCitizen, ![.answered, .closed, .rejected].contains(appeal.status) else {
            throw AppError.conflict("No question is waiting for your answer")
        }
        guard let text = text?.nonBlank else { throw ValidationFailure([FieldError("text", .required)]) }
        guard text.count <= maxAnswer else { throw ValidationFailure([FieldError("text", .tooLong)]) }
        let now = request.now
        let config = request.application.config
        let version = appeal.lockVersion
        let appealID = try appeal.requireID()
        let executorEmail = try await appeal.$executor.id.asyncFlatMap { try await User.find($0, on: request.db) }?.email
        try await request.db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
            let claimed = try await sql.raw(
                "UPDATE appeals SET awaiting_citizen = \(bind: false), lock_version = \(bind: version + 1) WHERE id = \(bind: appealID) AND lock_version = \(bind: version) AND awaiting_citizen = \(bind: true) RETURNING id"
            ).all()
            guard claimed.count == 1 else { throw AppError.conflict("The appeal changed meanwhile; reload it") }
            try await AppealEvent(
                appealID: appealID, at: now, actorID: user.id, action: .citizenReplied, from: appeal.status, to: appeal.status, comment: text
            ).create(on: db)
            if let executorEmail {
                try await MailOutbox.enqueue(
                    to: executorEmail, subject: "Заявитель ответил на запрос по обращению № \(appeal.number)",
                    body: "Заявитель представил дополнительную информацию по обращению № \(appeal.number):\n\n\(text)\n\n\(config.publicURL)/desk/appeals/\(appeal.number)\n\n—\nConsumerDesk",
                    on: db, now: now)
            }
        }
        appeal.awaitingCitizen = false
        appeal.lockVersion = version + 1
        request.application.mailWorker?.wake()
    }

    /// The roles the person holds that the policy lets act in `scope` for `action`.
    static func roles(of actor: Actor, for action: Action, in scope: Scope, tree: OrganisationTree) -> Set<Role> {
        Set(actor.grants.filter { Policy.permits(Actor(userID: actor.userID, grants: [$0]), action, in: scope, tree: tree) }.map(\.role))
    }

    /// An appeal arriving in an organisation starts coordination afresh: no executor, a new coordination term.
    static func restartCoordination(_ appeal: Appeal, now: Date, on request: Request) async throws {
        appeal.$executor.id = nil
        appeal.assignedAt = nil
        appeal.takenAt = nil
        appeal.delegatedByRule = false
        let days = try await Subcategory.find(appeal.$subcategory.id, on: request.db)?.coordinationDays ?? ClassifierDefaults.coordinationDays
        appeal.coordinationDueAt = request.application.productionCalendar.due(from: now, days: days, type: .working)
    }

    /// The state of an appeal before a change: where its counters must be taken from.
    struct Snapshot {
        var status: AppealStatus
        var organisationID: UUID?
        var folder: WorkspaceFolder?
        var version: Int

        init(_ appeal: Appeal) {
            status = appeal.status
            organisationID = appeal.$executorOrganisation.id
            folder = appeal.folder
            version = appeal.lockVersion
        }
    }

    struct Change {
        var transition: AppealTransition
        var actorID: UUID?
        var comment: String?
        var details: [String: String] = [:]
        var organisationName: String?
        var due: String?
        var answerText: String?
        var newAnswer: AppealAnswer?
        var decidedAnswer: AppealAnswer?
        var countContactFor: UUID?
        /// Files of a new answer: checked, to be stored before the commit.
        var accepted: [AttachmentRules.Accepted] = []
        var files: [ByteBuffer] = []
    }

    /// Claims the appeal at the version read (a concurrent change makes this 409), writes it, the history
    /// entry, the counters, the answer and the mail, all in one transaction.
    static func commit(_ appeal: Appeal, before: Snapshot, change: Change, request: Request) async throws {
        let now = request.now
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let detailsText = change.details.isEmpty ? nil : String(decoding: try encoder.encode(change.details), as: UTF8.self)
        appeal.lockVersion = before.version + 1
        let appealID = try appeal.requireID()
        // Files go to disk (flushed) before the rows naming them commit; taken back if the commit fails.
        let store = request.application.fileStore
        var stored: [FileStore.Stored] = []
        do {
            for file in change.files { stored.append(try await store.store(file, now: now)) }
            try await write(appeal, appealID: appealID, before: before, change: change, stored: stored, detailsText: detailsText, request: request)
        } catch {
            await store.remove(stored.map(\.key))
            throw error
        }
        if change.transition.notifiesCitizen { request.application.mailWorker?.wake() }
    }

    private static func write(
        _ appeal: Appeal, appealID: UUID, before: Snapshot, change: Change, stored: [FileStore.Stored], detailsText: String?,
        request: Request
    ) async throws {
        let now = request.now
        let config = request.application.config
        let calendar = request.application.productionCalendar
        try await request.db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
            let claimed = try await sql.raw(
                "UPDATE appeals SET lock_version = \(bind: before.version + 1) WHERE id = \(bind: appealID) AND lock_version = \(bind: before.version) AND status = \(bind: before.status.rawValue) RETURNING id"
            ).all()
            guard claimed.count == 1 else { throw ValidationFailure([FieldError("version", .staleVersion)]) }
            try await appeal.update(on: db)
            try await FolderCounts.move(
                from: (before.organisationID, before.folder), to: (appeal.$executorOrganisation.id, appeal.folder), on: sql)
            try await AppealEvent(
                appealID: appealID, at: now, actorID: change.actorID, action: .init(change.transition), from: before.status,
                to: appeal.status, details: detailsText, comment: change.comment
            ).create(on: db)
            if let answer = change.newAnswer {
                try await answer.create(on: db)
                if !stored.isEmpty {
                    let last = try await AppealAttachment.query(on: db).filter(\.$appeal.$id == appealID).max(\.$position) ?? -1
                    for (offset, (file, accepted)) in zip(stored, change.accepted).enumerated() {
                        let row = AppealAttachment()
                        row.$appeal.id = appealID
                        row.answerID = answer.id
                        row.position = last + 1 + offset
                        row.fileName = accepted.fileName
                        row.kind = accepted.kind
                        row.size = file.size
                        row.sha256 = file.sha256
                        row.storageKey = file.key
                        row.createdAt = now
                        try await row.create(on: db)
                    }
                }
            }
            if let answer = change.decidedAnswer { try await answer.update(on: db) }
            if let person = change.countContactFor, let organisation = appeal.$executorOrganisation.id {
                try await AssignmentService.countContact(person, organisation: organisation, at: now, calendar: calendar, on: db)
            }
            if change.transition == .approve || change.transition == .curatorReturn {
                // Links of earlier answers die: a score always belongs to the answer the citizen last got.
                try await sql.raw(
                    "UPDATE rating_tokens SET used_at = \(bind: now) WHERE appeal_id = \(bind: appealID) AND used_at IS NULL"
                ).run()
            }
            guard change.transition.notifiesCitizen, let email = appeal.email else { return }
            var links: [String] = []
            if change.transition == .approve, let answer = change.decidedAnswer {
                let token = try await RatingService.issue(for: appeal, answer: answer, now: now, on: db)
                links = (1...5).map { "\(config.publicURL)/rate/\(token)/\($0)" }
            }
            try await MailOutbox.enqueue(
                to: email, subject: Strings.processingSubject(appeal.number, change.transition),
                body: Strings.processingBody(
                    name: appeal.applicantName.short, number: appeal.number, transition: change.transition,
                    organisation: change.organisationName, comment: change.comment, due: change.due, answer: change.answerText,
                    outcome: appeal.outcome, ratingLinks: links, link: "\(config.publicURL)/my/appeals/\(appeal.number)"),
                on: db, now: now)
        }
    }
}

/// The workspace's folder counters: one row per organisation and folder, moved in the same transaction
/// as the appeal, so the counts are exact without counting a million rows on every page.
enum FolderCounts {
    static func move(
        from old: (organisation: UUID?, folder: WorkspaceFolder?), to new: (organisation: UUID?, folder: WorkspaceFolder?),
        on sql: any SQLDatabase
    ) async throws {
        if old.organisation == new.organisation, old.folder == new.folder { return }
        var changes: [(organisation: UUID, folder: WorkspaceFolder, delta: Int)] = []
        if let organisation = old.organisation, let folder = old.folder { changes.append((organisation, folder, -1)) }
        if let organisation = new.organisation, let folder = new.folder { changes.append((organisation, folder, 1)) }
        // Rows are always locked in one order, so two opposite moves in one organisation cannot deadlock.
        changes.sort { ($0.organisation.uuidString, $0.folder.rawValue) < ($1.organisation.uuidString, $1.folder.rawValue) }
        for change in changes {
            try await sql.raw(
                """
                INSERT INTO folder_counts (organisation_id, folder, count) VALUES (\(bind: change.organisation), \(bind: change.folder.rawValue), \(bind: change.delta))
                ON CONFLICT (organisation_id, folder) DO UPDATE SET count = folder_counts.count + \(bind: change.delta)
                """
            ).run()
        }
    }

    /// PostgreSQL's SUM of integers is NUMERIC; the cast gives an integer on both engines.
    static func counts(of organisations: [UUID], on db: any Database) async throws -> [WorkspaceFolder: Int] {
        guard let sql = db as? any SQLDatabase, !organisations.isEmpty else { return [:] }
        let rows = try await sql.select().column("folder").column(SQLRaw("CAST(SUM(count) AS BIGINT)"), as: "total")
            .from("folder_counts").where("organisation_id", .in, organisations).groupBy("folder").all()
        var result: [WorkspaceFolder: Int] = [:]
        for row in rows {
            guard let folder = WorkspaceFolder(rawValue: try row.decode(column: "folder", as: String.self)) else { continue }
            result[folder] = try row.decode(column: "total", as: Int.self)
        }
        return result
    }

    /// Counts again from the appeals themselves (after a bulk load, or to repair).
    static func recount(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await db.transaction { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("DELETE FROM folder_counts").run()
            try await sql.raw(
                """
                INSERT INTO folder_counts (organisation_id, folder, count)
                SELECT executor_organisation_id, folder, COUNT(*) FROM appeals
                WHERE folder IS NOT NULL AND executor_organisation_id IS NOT NULL
                GROUP BY executor_organisation_id, folder
                """
            ).run()
        }
        _ = sql
    }
}
