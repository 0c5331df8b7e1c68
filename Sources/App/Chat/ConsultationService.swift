import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The online consultation (issue 7): a citizen's chat goes to an operator by the same fair load as
/// appeals (present, under their chat capacity, fewest contacts today), waits in the queue when everyone
/// is busy, and is answered by the bot after hours or with nobody online. Every change is a message in
/// the chat's own stream, so both sides see it in order.
enum ConsultationService {
    struct Started: Content {
        var id: UUID
        /// The citizen's key to this chat (kept by their browser; only its hash is stored).
        var token: String
        var state: ConsultationState
        var operatorName: String?
    }

    struct Operator: Sendable {
        var userID: UUID
        var firstName: String
        var fullName: String
        var organisationID: UUID?
        var status: ChatOperator.Status
        var capacity: Int
        var active: Int
        var contactsToday = 0
        var lastAssignedAt: Date?
    }

    // MARK: Starting

    static func start(
        name rawName: String?, email rawEmail: String?, text: String?, citizen: User?, app: Application, now: Date
    ) async throws -> Started {
        var errors = FieldErrors()
        let name = (rawName?.nonBlank ?? citizen?.name)?.trimmingWhitespace()
        if name == nil { errors.add("name", .required) } else if name!.count > 100 { errors.add("name", .tooLong) }
        var givenEmail: String?
        if let raw = rawEmail?.nonBlank {
            if let valid = EmailAddress(raw) { givenEmail = valid.value } else { errors.add("email", .invalidValue) }
        } else {
            givenEmail = citizen?.email
        }
        let email = givenEmail
        var first: String?
        if let text = text?.nonBlank {
            do { first = try ChatRules.message(text) } catch { for item in error.errors { errors.add(item.field, item.code) } }
        }
        try errors.throwIfAny()
        let id = UUID()
        let token = Secrets.randomToken()
        try await app.db.transaction { db in
            try await ChatStore.createTopic(id, kind: "consultation", now: now, on: db)
            let record = ConsultationRecord()
            record.id = id
            record.state = .waiting
            record.citizenID = try citizen?.requireID()
            record.citizenName = name ?? ""
            record.citizenEmail = email
            record.tokenHash = Secrets.hash(token)
            record.createdAt = now
            try await record.create(on: db)
        }
        if let first {
            try await ChatStore.append(to: id, author: .init(kind: .citizen, id: try citizen?.requireID(), name: name ?? ""), text: first, app: app, now: now)
        }
        let routed = try await route(id, app: app, now: now)
        if let first, routed.state != .active { try await botAnswer(id, question: first, app: app, now: now) }
        return Started(id: id, token: token, state: routed.state, operatorName: routed.operatorName)
    }

    /// Sends a waiting chat to an operator, or to the bot; at most once per chat (it leaves `waiting`).
    @discardableResult
    static func route(_ id: UUID, app: Application, now: Date) async throws -> (state: ConsultationState, operatorName: String?) {
        try await app.assignmentGate.run {
            guard let record = try await ConsultationRecord.find(id, on: app.db) else { throw AppError.notFound }
            guard record.state == .waiting else { return (record.state, nil) }
            let operators = try await self.operators(app: app, now: now)
            let decision = ConsultationRouting.route(
                at: now, hours: app.config.chatHours, calendar: app.productionCalendar, operators: operators.map(\.candidate))
            switch decision {
            case .assign(let person):
                guard let chosen = operators.first(where: { $0.userID == person }) else { return (record.state, nil) }
                try await assign(record, to: chosen, app: app, now: now)
                return (.active, chosen.firstName)
            case .queue:
                try await ChatStore.append(
                    to: id, author: .init(kind: .system, id: nil, name: ChatStrings.systemName), text: ChatStrings.queued,
                    meta: .init(offers: ["appeal"], state: ConsultationState.waiting.rawValue), app: app, now: now)
                return (.waiting, nil)
            case .bot(let reason):
                record.state = .bot
                record.botReason = reason.rawValue
                try await record.save(on: app.db)
                try await ChatStore.append(
                    to: id, author: .init(kind: .bot, id: nil, name: ChatStrings.botName), text: ChatStrings.botGreeting(reason),
                    meta: .init(offers: ["appeal"], state: ConsultationState.bot.rawValue), app: app, now: now)
                return (.bot, nil)
            }
        }
    }

    /// Gives the chat to `chosen` (under the assignment gate): counts a contact, and the operator greets by name.
    private static func assign(_ record: ConsultationRecord, to chosen: Operator, app: Application, now: Date) async throws {
        let id = try record.requireID()
        let next = try record.domain.applying(.assign(chosen.userID), by: nil)
        try await app.db.transaction { db in
            // Only if nobody took it meanwhile (another node).
            let claimed = try await (db as! any SQLDatabase).raw("""
                UPDATE consultations SET state = \(bind: next.state.rawValue), operator_id = \(bind: chosen.userID), assigned_at = \(bind: now)
                WHERE id = \(bind: id) AND state = \(bind: record.state.rawValue) RETURNING id
                """).all()
            guard !claimed.isEmpty else { throw AppError.conflict("The chat was taken by someone else") }
            if let organisation = chosen.organisationID {
                try await AssignmentService.countContact(
                    chosen.userID, organisation: organisation, at: now, calendar: app.productionCalendar, on: db)
            }
        }
        record.state = next.state
        record.operatorID = chosen.userID
        try await ChatStore.append(
            to: id, author: .init(kind: .system, id: nil, name: ChatStrings.systemName), text: ChatStrings.joined(chosen.firstName),
            meta: .init(state: ConsultationState.active.rawValue, operatorName: chosen.firstName), app: app, now: now)
        try await ChatStore.append(
            to: id, author: .init(kind: .operator, id: chosen.userID, name: chosen.firstName), text: ChatStrings.greeting(chosen.firstName),
            app: app, now: now)
    }

    // MARK: Messages

    /// After a citizen's message: the bot answers while no operator is on the chat.
    static func citizenSaid(_ id: UUID, text: String, app: Application, now: Date) async throws {
        guard let record = try await ConsultationRecord.find(id, on: app.db), record.state == .bot || record.state == .waiting else { return }
        try await botAnswer(id, question: text, app: app, now: now)
    }

    private static func botAnswer(_ id: UUID, question: String, app: Application, now: Date) async throws {
        let reply = try await BotService.ask(question, app: app, db: app.db, now: now)
        var text = reply.text
        if let source = reply.source { text += "\n\n" + ChatStrings.source(source.title) }
        try await ChatStore.append(
            to: id, author: .init(kind: .bot, id: nil, name: ChatStrings.botName), text: text,
            meta: .init(
                source: reply.source, suggestions: reply.suggestions.isEmpty ? nil : reply.suggestions,
                offers: reply.kind == "answer" ? ["appeal"] : ["operator", "appeal"]),
            app: app, now: now)
    }

    // MARK: Operators

    static func operators(app: Application, now: Date) async throws -> [Operator] {
        let db = app.db
        // Blocked people and operators of a deactivated organisation take no chats (they cannot open the console).
        let tree = try await OrganisationQueries.tree(on: db)
        let grants = try await RoleGrant.query(on: db).filter(\.$role == .operator).with(\.$user).all().filter { grant in
            grant.user.isActive && !(grant.$organisation.id.map(tree.inactive.contains) ?? false)
        }
        guard !grants.isEmpty else { return [] }
        let ids = Array(Set(grants.map(\.$user.id)))
        let presence = try await ChatOperator.query(on: db).filter(\.$userID ~~ ids).all()
        let byUser = Dictionary(presence.map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
        var active: [UUID: Int] = [:]
        if let sql = db as? any SQLDatabase {
            let rows = try await sql.select().column("operator_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from("consultations").where("operator_id", .in, ids).where("state", .equal, ConsultationState.active.rawValue)
                .groupBy("operator_id").all()
            for row in rows { active[try row.decode(column: "operator_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self) }
        }
        let profiles = try await ExecutorProfile.query(on: db).filter(\.$user.$id ~~ ids).all()
        let today = app.productionCalendar.localDate(of: now)
        var seen = Set<UUID>()
        return grants.compactMap { grant -> Operator? in
            let id = grant.$user.id
            guard seen.insert(id).inserted else { return nil }
            let organisation = byUser[id]?.organisationID ?? grant.$organisation.id
            let profile = profiles.first { $0.$user.id == id && $0.$organisation.id == organisation }
            var result = Operator(
                userID: id, firstName: grant.user.name, fullName: "\(grant.user.name) \(grant.user.surname)", organisationID: organisation,
                status: byUser[id]?.status ?? .offline, capacity: byUser[id]?.capacity ?? ChatOperator.defaultCapacity,
                active: active[id] ?? 0)
            result.contactsToday = profile?.contacts(on: today) ?? 0
            result.lastAssignedAt = profile?.lastAssignedAt
            return result
        }.sorted { $0.fullName < $1.fullName }
    }

    /// Online, away or offline; an operator coming online takes waiting chats at once.
    static func setPresence(_ user: UUID, status: ChatOperator.Status, capacity: Int?, app: Application, now: Date) async throws {
        if let capacity, !(1...20).contains(capacity) { throw ValidationFailure([FieldError("capacity", .invalidValue)]) }
        let grant = try await RoleGrant.query(on: app.db).filter(\.$user.$id == user).filter(\.$role == .operator).first()
        let record = try await ChatOperator.query(on: app.db).filter(\.$userID == user).first() ?? ChatOperator()
        if record.id == nil {
            record.userID = user
            record.capacity = ChatOperator.defaultCapacity
        }
        record.organisationID = grant?.$organisation.id
        record.status = status
        if let capacity { record.capacity = capacity }
        record.updatedAt = now
        try await record.save(on: app.db)
        if status == .online { try await drainQueue(app: app, now: now) }
    }

    /// Hands waiting chats, oldest first, to whoever has room.
    static func drainQueue(app: Application, now: Date) async throws {
        let waiting = try await ConsultationRecord.query(on: app.db).filter(\.$state == .waiting).sort(\.$createdAt).limit(50).all()
        for record in waiting {
            let (state, _) = try await route(try record.requireID(), app: app, now: now)
            if state == .waiting { break }  // nobody has room
        }
    }

    /// An operator takes a chat from the queue or from the bot.
    static func take(_ id: UUID, by user: UUID, app: Application, now: Date) async throws {
        try await app.assignmentGate.run {
            guard let record = try await ConsultationRecord.find(id, on: app.db) else { throw AppError.notFound }
            guard let me = try await operators(app: app, now: now).first(where: { $0.userID == user }) else { throw AppError.forbidden }
            do {
                _ = try record.domain.applying(.assign(user), by: user)
            } catch {
                throw AppError.conflict("The chat is \(record.state.rawValue): it cannot be taken")
            }
            try await assign(record, to: me, app: app, now: now)
        }
    }

    static func transfer(_ id: UUID, to colleague: UUID, by user: UUID, app: Application, now: Date) async throws {
        guard let record = try await ConsultationRecord.find(id, on: app.db) else { throw AppError.notFound }
        guard let target = try await operators(app: app, now: now).first(where: { $0.userID == colleague }) else {
            throw ValidationFailure([FieldError("to", .notFound)])
        }
        do {
            _ = try record.domain.applying(.transfer(to: colleague), by: user)
        } catch .notYours {
            throw AppError.forbidden
        } catch {
            throw AppError.conflict("The chat cannot be transferred now")
        }
        let moved = try await (app.db as! any SQLDatabase).raw("""
            UPDATE consultations SET operator_id = \(bind: colleague), assigned_at = \(bind: now)
            WHERE id = \(bind: id) AND operator_id = \(bind: user) AND state = 'active' RETURNING id
            """).all()
        guard !moved.isEmpty else { throw AppError.conflict("The chat is no longer yours to transfer") }
        if let organisation = target.organisationID {
            try await AssignmentService.countContact(colleague, organisation: organisation, at: now, calendar: app.productionCalendar, on: app.db)
        }
        try await ChatStore.append(
            to: id, author: .init(kind: .system, id: nil, name: ChatStrings.systemName), text: ChatStrings.transferred(target.firstName),
            meta: .init(state: ConsultationState.active.rawValue, operatorName: target.firstName), app: app, now: now)
        try await ChatStore.append(
            to: id, author: .init(kind: .operator, id: colleague, name: target.firstName), text: ChatStrings.greeting(target.firstName),
            app: app, now: now)
    }

    /// Closes the chat. `by`: the operator on it (or nil: the citizen or the system).
    /// `sphere`: the operator's word on what it was about; a chat answered or referred counts as a
    /// contact in that sphere (issue 8).
    static func close(_ id: UUID, outcome: ConsultationOutcome, sphere: String? = nil, by user: UUID?, app: Application, now: Date) async throws {
        guard let record = try await ConsultationRecord.find(id, on: app.db) else { throw AppError.notFound }
        do {
            _ = try record.domain.applying(.close(outcome), by: user)
        } catch .notYours {
            throw AppError.forbidden
        } catch {
            throw AppError.conflict("The chat is already closed")
        }
        record.state = .closed
        record.outcome = outcome
        record.closedAt = now
        if let sphere { record.sphere = sphere }
        try await app.db.transaction { db in
            try await record.save(on: db)
            try await ContactService.fromChat(record, on: db)
        }
        try await ChatStore.append(
            to: id, author: .init(kind: .system, id: nil, name: ChatStrings.systemName), text: ChatStrings.closed,
            meta: .init(state: ConsultationState.closed.rawValue), app: app, now: now)
        // The operator has room again.
        if record.operatorID != nil { try await drainQueue(app: app, now: now) }
    }

    /// The citizen asks for a person while the bot answers: into the queue (or straight to someone free).
    static func askForOperator(_ id: UUID, app: Application, now: Date) async throws -> ConsultationState {
        guard let record = try await ConsultationRecord.find(id, on: app.db) else { throw AppError.notFound }
        guard record.state == .bot else { return record.state }
        guard app.officeIsOpen(now) else {
            try await ChatStore.append(
                to: id, author: .init(kind: .bot, id: nil, name: ChatStrings.botName), text: ChatStrings.botGreeting(.afterHours),
                meta: .init(offers: ["appeal"]), app: app, now: now)
            return .bot
        }
        record.state = .waiting
        record.botReason = nil
        try await record.save(on: app.db)
        return try await route(id, app: app, now: now).state
    }

    // MARK: Appeals and transcripts

    /// Links the appeal made from this chat and closes it with that outcome.
    static func appealCreated(_ id: UUID, appeal: Appeal, by user: UUID?, app: Application, now: Date) async throws {
        guard let record = try await ConsultationRecord.find(id, on: app.db) else { return }
        record.appealID = try appeal.requireID()
        try await record.save(on: app.db)
        try await ChatStore.append(
            to: id, author: .init(kind: .system, id: nil, name: ChatStrings.systemName), text: ChatStrings.appealRegistered(appeal.number),
            meta: .init(appealNumber: appeal.number), app: app, now: now)
        if record.state != .closed { try await close(id, outcome: .appealCreated, by: record.state == .active ? record.operatorID : nil, app: app, now: now) }
    }

    /// What the citizen wrote, for an appeal's text.
    static func citizenText(_ id: UUID, on db: any Database) async throws -> String {
        let messages = try await ChatMessageRecord.query(on: db).filter(\.$topicID == id).filter(\.$authorKind == ChatAuthorKind.citizen.rawValue)
            .sort(\.$seq).limit(200).all()
        return messages.map(\.body).joined(separator: "\n\n")
    }

    /// The whole conversation as plain text (the emailed copy).
    static func transcript(_ record: ConsultationRecord, on db: any Database, timeZone: TimeZone) async throws -> String {
        let messages = try await ChatMessageRecord.query(on: db).filter(\.$topicID == record.requireID()).sort(\.$seq).all()
        return ChatStrings.transcript(
            started: record.createdAt, lines: messages.map { ($0.createdAt, $0.authorName, $0.body) }, timeZone: timeZone)
    }

    static func mailTranscript(_ record: ConsultationRecord, to raw: String?, app: Application, now: Date) async throws {
        guard let email = raw?.nonBlank.flatMap(EmailAddress.init) ?? record.citizenEmail.flatMap(EmailAddress.init) else {
            throw ValidationFailure([FieldError("email", raw?.nonBlank == nil ? .required : .invalidValue)])
        }
        let body = try await transcript(record, on: app.db, timeZone: app.config.timeZone)
        try await MailOutbox.enqueue(to: email.value, subject: ChatStrings.transcriptSubject, body: body, on: app.db, now: now)
        app.mailWorker?.wake()
    }
}

extension ConsultationService.Operator {
    var candidate: LoadCandidate {
        LoadCandidate(
            userID: userID, present: status == .online, open: active, capacity: capacity, contactsToday: contactsToday,
            lastAssignedAt: lastAssignedAt)
    }
}

extension Application {
    func officeIsOpen(_ now: Date) -> Bool { config.chatHours.isOpen(at: now, calendar: productionCalendar) }
}
