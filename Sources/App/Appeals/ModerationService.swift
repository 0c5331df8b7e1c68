import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

struct ModerationInput: Content {
    var action: String?
    var subcategoryCode: String?
    var organisationId: String?
    var duplicateOf: String?
    var reason: String?
    var comment: String?

    init(action: String? = nil, subcategoryCode: String? = nil, organisationId: String? = nil, duplicateOf: String? = nil,
         reason: String? = nil, comment: String? = nil) {
        self.action = action
        self.subcategoryCode = subcategoryCode
        self.organisationId = organisationId
        self.duplicateOf = duplicateOf
        self.reason = reason
        self.comment = comment
    }
}

/// The moderator's decisions on a new appeal. Each one is checked against the appeal's current status
/// (two moderators cannot both decide), recorded in the history with before → after, and the citizen
/// is told by mail where the decision concerns them.
enum ModerationService {
    static func decide(_ input: ModerationInput, on appeal: Appeal, request: Request) async throws -> Appeal {
        let scope = appeal.scope
        try await request.authorize(.moderate, in: scope)
        guard let action = input.action.flatMap(ModerationAction.init(rawValue:)) else {
            throw ValidationFailure([FieldError("action", input.action?.nonBlank == nil ? .required : .invalidValue)])
        }
        guard action.isAllowed(from: appeal.status) else { throw AppError.conflict("The appeal is no longer in moderation") }
        let db = request.db
        let now = request.now
        let actor = try await request.requireActor()
        let comment = input.comment?.nonBlank
        if let comment, comment.count > 2000 { throw ValidationFailure([FieldError("comment", .tooLong)]) }
        var details: [String: String] = [:]
        var earlierNumber: String?

        switch action {
        case .accept:
            guard appeal.$executorOrganisation.id != nil else {
                throw ValidationFailure([FieldError("organisationId", .required)])
            }
        case .recategorise:
            guard let code = input.subcategoryCode?.nonBlank else {
                throw ValidationFailure([FieldError("subcategoryCode", .required)])
            }
            guard let sub = try await Subcategory.query(on: db).filter(\.$code == code).with(\.$category).first() else {
                throw ValidationFailure([FieldError("subcategoryCode", .notFound)])
            }
            guard !sub.isRetired else { throw ValidationFailure([FieldError("subcategoryCode", .retired)]) }
            details["subcategory"] = "\(appeal.subcategoryCode) → \(sub.code)"
            let before = appeal.$executorOrganisation.id
            try appeal.file(under: sub)
            appeal.answerDueAt = request.application.productionCalendar.due(from: appeal.registeredAt, days: sub.answerDays, type: sub.dayType)
            if case .organisation(let id) = try await RoutingService.resolve(
                sub, territoryID: appeal.$territory.id, on: request)
            {
                appeal.$executorOrganisation.id = id
            }
            if before != appeal.$executorOrganisation.id {
                details["executor"] = "\(before?.uuidString ?? "—") → \(appeal.$executorOrganisation.id?.uuidString ?? "—")"
            }
        case .reassign:
            guard let id = input.organisationId?.nonBlank.flatMap(UUID.init(uuidString:)),
                let organisation = try await Organisation.find(id, on: db), organisation.isActive
            else { throw ValidationFailure([FieldError("organisationId", input.organisationId?.nonBlank == nil ? .required : .notFound)]) }
            // An organisation's moderator redirects only within their reach; the platform's anywhere.
            try await request.authorize(.moderate, in: .organisation(id))
            details["executor"] = "\(appeal.$executorOrganisation.id?.uuidString ?? "—") → \(id.uuidString)"
            appeal.$executorOrganisation.id = id
        case .duplicate:
            guard let number = input.duplicateOf?.nonBlank else {
                throw ValidationFailure([FieldError("duplicateOf", .required)])
            }
            guard let earlier = try await Appeal.query(on: db).filter(\.$number == number).first(), earlier.id != appeal.id
            else { throw ValidationFailure([FieldError("duplicateOf", .notFound)]) }
            appeal.possibleDuplicateOf = earlier.id
            appeal.rejectReason = .duplicate
            earlierNumber = earlier.number
            details["duplicateOf"] = earlier.number
        case .reject:
            guard let reason = input.reason.flatMap(RejectReason.init(rawValue:)), reason != .duplicate else {
                throw ValidationFailure([FieldError("reason", input.reason?.nonBlank == nil ? .required : .invalidValue)])
            }
            appeal.rejectReason = reason
            details["reason"] = reason.rawValue
        }

        let from = appeal.status
        let to = action.resultingStatus
        appeal.status = to
        if to == .coordination {
            // Into the executor organisation's «Новые», with the coordination term starting now.
            appeal.stage = .afterModeration
            appeal.returned = nil
            try await ProcessingService.restartCoordination(appeal, now: now, on: request)
        }
        appeal.folder = WorkspaceFolder.of(status: to, returned: appeal.returned)
        let eventAction: AppealEvent.Action =
            switch action {
            case .accept: .accepted
            case .recategorise: .recategorised
            case .reassign: .reassigned
            case .duplicate: .markedDuplicate
            case .reject: .rejected
            }
        let organisationName = try await appeal.$executorOrganisation.id.asyncFlatMap { try await Organisation.find($0, on: db) }?.name
        let config = request.application.config
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let detailsText = String(decoding: try encoder.encode(details), as: UTF8.self)
        let earlier = earlierNumber
        let loadedVersion = appeal.lockVersion
        appeal.lockVersion = loadedVersion + 1
        try await db.transaction { db in
            // One conditional statement claims the appeal: a concurrent decision made on the same copy
            // (on any engine, at any isolation level) finds the version moved and gets 409.
            guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
            let claimed = try await sql.raw(
                "UPDATE appeals SET lock_version = \(bind: loadedVersion + 1) WHERE id = \(bind: try appeal.requireID()) AND lock_version = \(bind: loadedVersion) AND status = \(bind: from.rawValue) RETURNING id"
            ).all()
            guard claimed.count == 1 else { throw AppError.conflict("The appeal was changed by someone else; reload it") }
            try await appeal.update(on: db)
            try await FolderCounts.move(from: (nil, nil), to: (appeal.$executorOrganisation.id, appeal.folder), on: sql)
            try await AppealEvent(
                appealID: try appeal.requireID(), at: now, actorID: actor.userID, action: eventAction, from: from, to: to,
                details: detailsText, comment: comment
            ).create(on: db)
            if action.notifiesCitizen, let email = appeal.email {
                try await MailOutbox.enqueue(
                    to: email, subject: Strings.moderationSubject(appeal.number, accepted: action == .accept),
                    body: Strings.moderationBody(
                        name: appeal.applicantName.short, number: appeal.number, accepted: action == .accept,
                        organisation: organisationName, reason: appeal.rejectReason, comment: comment,
                        earlier: earlier, link: "\(config.publicURL)/my/appeals/\(appeal.number)"),
                    on: db, now: now)
            }
        }
        request.application.mailWorker?.wake()
        // The acceptance stands whatever happens next; an auto-rule that cannot apply leaves the appeal in «Новые».
        if to == .coordination, case .some(.some) = try? await AssignmentService.autoAssign(appealID: appeal.requireID(), request: request) {
            return try await Appeal.find(appeal.requireID(), on: db) ?? appeal
        }
        return appeal
    }

    /// The moderation queue: oldest first, keyset-paged by (year, sequence) — the registration order,
    /// exact integers, unlike timestamps whose precision differs between engines. A moderator with a
    /// platform-wide role sees everything; an organisation's moderator sees appeals routed within reach.
    static func queue(after cursor: (year: Int, sequence: Int)?, limit: Int, on request: Request) async throws -> [Appeal] {
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        guard Policy.permitsAnywhere(actor, .moderate, tree: tree) else { throw AppError.forbidden }
        var query = Appeal.query(on: request.db).filter(\.$status == .moderation)
        if !Policy.permits(actor, .moderate, in: .platform, tree: tree) {
            let reach = tree.ids.filter { Policy.permits(actor, .moderate, in: .organisation($0), tree: tree) }
            query = query.filter(\.$executorOrganisation.$id ~~ Array(reach))
        }
        if let cursor {
            query = query.group(.or) { group in
                group.filter(\.$year > cursor.year).group(.and) {
                    $0.filter(\.$year == cursor.year).filter(\.$sequence > cursor.sequence)
                }
            }
        }
        return try await query.sort(\.$year).sort(\.$sequence).limit(limit).all()
    }
}
