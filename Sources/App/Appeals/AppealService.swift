import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Intake: one way in for every channel. Validates the card against the subcategory it is filed
/// under, routes it, and hands the appeal with its first history entry, files and the citizen's
/// confirmation mail to the `AppealWriter`, which numbers and commits them together — an
/// acknowledged appeal is whole.
enum AppealService {
    struct Submission {
        var draft: AppealDraft
        var channel: IntakeChannel
        /// The citizen's account the appeal belongs to (nil for a hotline caller without one).
        var ownerID: UUID?
        /// The operator who registered it on the citizen's behalf.
        var registeredBy: UUID?
        var idempotencyKey: String?
        var requestHash: String?
        var attachments: [IncomingFile] = []
        /// The partner application or embedding site it came through.
        var source: String? = nil
        var partnerAppID: UUID? = nil
        var latitude: Double? = nil
        var longitude: Double? = nil
        /// Whether an appeal without an account joins the confirmed citizen account with its e-mail.
        /// Not for appeals from outside (Open311, the widget): anyone can type anyone's address there.
        var joinsAccountByEmail = true
    }

    struct IncomingFile: Sendable {
        var fileName: String
        var data: ByteBuffer
        /// Set for a document the portal generated (a claim), whose kind needs no sniffing.
        var madeHere: AttachmentKind? = nil
    }

    struct Outcome {
        var appeal: Appeal
        /// True when an earlier identical request (same Idempotency-Key) already created it.
        var replayed: Bool
    }

    static let duplicateWindow: TimeInterval = 30 * 24 * 3600

    static func submit(_ submission: Submission, on request: Request) async throws -> Outcome {
        let db = request.db
        let now = request.now
        if let replay = try await replayed(submission, on: db) { return replay }

        var errors = FieldErrors()
        let code = submission.draft.subcategoryCode?.nonBlank
        var subcategory: Subcategory?
        if let code {
            subcategory = try await Subcategory.query(on: db).filter(\.$code == code).with(\.$category).first()
            if subcategory == nil { errors.add("subcategoryCode", .notFound) }
            else if subcategory!.isRetired { errors.add("subcategoryCode", .retired) }
        }
        if let territoryID = submission.draft.territoryID, try await Territory.find(territoryID, on: db) == nil {
            errors.add("territoryId", .notFound)
        }
        var valid: ValidAppeal?
        do {
            valid = try AppealRules.validate(submission.draft, questions: subcategory?.questions ?? [], today: now)
        } catch {
            for item in error.errors where !errors.has(item.field) { errors.add(item.field, item.code) }
        }
        var accepted: [AttachmentRules.Accepted] = []
        do {
            accepted = try AttachmentRules.validate(
                submission.attachments.map {
                    .init(
                        fileName: $0.fileName, size: $0.data.readableBytes, head: Array($0.data.readableBytesView.prefix(8)),
                        madeHere: $0.madeHere)
                })
        } catch {
            for item in error.errors { errors.add(item.field, item.code) }
        }
        try errors.throwIfAny()
        guard let valid, let subcategory else { throw ValidationFailure(errors.errors) }

        let executor: UUID?
        switch try await RoutingService.resolve(subcategory, territoryID: valid.territoryID, on: request) {
        case .organisation(let id): executor = id
        case .none, .ambiguous: executor = nil  // the moderator chooses
        }
        let ownerID = try await owner(of: valid, submission: submission, on: db)
        let duplicate = try await possibleDuplicate(of: valid, ownerID: ownerID, now: now, on: db)
        let config = request.application.config
        let deadline = request.application.productionCalendar

        let appeal = Appeal()
        appeal.id = UUID()
        appeal.channel = submission.channel
        appeal.status = .moderation
        try appeal.file(under: subcategory)
        appeal.userID = ownerID
        appeal.surname = valid.applicant.surname
        appeal.name = valid.applicant.name
        appeal.patronymic = valid.applicant.patronymic
        appeal.birthDate = valid.birthDate
        appeal.sex = valid.sex
        appeal.phone = valid.phone?.value
        appeal.email = valid.email?.value
        appeal.locality = valid.locality
        appeal.conflictName = valid.conflictName
        appeal.conflictINN = valid.conflictINN
        appeal.conflictAddress = valid.conflictAddress
        appeal.subject = valid.subject
        appeal.actionsTaken = valid.actionsTaken
        appeal.desiredResult = valid.desiredResult
        appeal.text = valid.text
        appeal.problemAddress = valid.problemAddress
        appeal.$territory.id = valid.territoryID
        appeal.answersJSON = String(decoding: try JSONEncoder().encode(valid.answers), as: UTF8.self)
        appeal.$executorOrganisation.id = executor
        appeal.registeredBy = submission.registeredBy
        appeal.possibleDuplicateOf = duplicate
        appeal.registeredAt = now
        appeal.moderationDueAt = deadline.due(from: now, days: subcategory.moderationDays, type: .working)
        appeal.answerDueAt = deadline.due(from: now, days: subcategory.answerDays, type: subcategory.dayType)
        appeal.consentAt = now
        appeal.lockVersion = 1
        appeal.delegatedByRule = false
        appeal.awaitingCitizen = false
        appeal.curatorAttention = false
        appeal.postponements = 0
        // Always set, even when empty: the writer inserts a batch with one column list.
        appeal.source = submission.source
        appeal.partnerAppID = submission.partnerAppID
        appeal.latitude = submission.latitude
        appeal.longitude = submission.longitude

        appeal.year = deadline.year(of: now)
        let event = AppealEvent(
            appealID: appeal.id!, at: now, actorID: submission.registeredBy ?? submission.ownerID, action: .submitted,
            from: nil, to: .moderation, details: "channel=\(submission.channel.rawValue)")
        var record = AppealWriter.Record(appeal: appeal, event: event)
        if let key = submission.idempotencyKey, let requester = submission.registeredBy ?? submission.ownerID {
            let row = IdempotencyKey()
            row.userID = requester
            row.key = key
            row.requestHash = submission.requestHash ?? ""
            record.idempotencyKey = row
        }
        if let email = appeal.email {
            let publicURL = config.publicURL
            record.mail = { appeal in
                MailOutbox.message(
                    to: email, subject: Strings.appealRegisteredSubject(appeal.number),
                    body: Strings.appealRegisteredBody(
                        name: appeal.applicantName.short, number: appeal.number, subcategory: appeal.subcategoryName,
                        due: Strings.date(appeal.answerDueAt), link: "\(publicURL)/my/appeals/\(appeal.number)"),
                    now: now)
            }
        }

        // Files go to disk (flushed) before the row that names them commits; if the appeal is not
        // saved after all, they are taken back, so a refused or failed submission leaves nothing.
        let store = request.application.fileStore
        var stored: [FileStore.Stored] = []
        do {
            for file in submission.attachments { stored.append(try await store.store(file.data, now: now)) }
            record.attachments = zip(stored, accepted).enumerated().map { position, pair in
                let row = AppealAttachment()
                row.position = position
                row.fileName = pair.1.fileName
                row.kind = pair.1.kind
                row.size = pair.0.size
                row.sha256 = pair.0.sha256
                row.storageKey = pair.0.key
                row.createdAt = now
                return row
            }
            try await request.application.appealWriter.write(record)
            appeal.$attachments.value = record.attachments
        } catch {
            await store.remove(stored.map(\.key))
            // A parallel retry with the same key won: answer with its appeal.
            if error.isUniqueViolation, submission.idempotencyKey != nil, let replay = try await replayed(submission, on: db) {
                return replay
            }
            throw error
        }
        request.application.mailWorker?.wake()
        return Outcome(appeal: appeal, replayed: false)
    }

    /// The appeal an earlier request with the same Idempotency-Key created; a different body under the
    /// same key is refused rather than silently answered with the first appeal.
    private static func replayed(_ submission: Submission, on db: any Database) async throws -> Outcome? {
        guard let key = submission.idempotencyKey, let requester = submission.registeredBy ?? submission.ownerID,
            let row = try await IdempotencyKey.query(on: db).filter(\.$userID == requester).filter(\.$key == key)
                .with(\.$appeal).first()
        else { return nil }
        guard row.requestHash == (submission.requestHash ?? "") else {
            throw ValidationFailure([FieldError("Idempotency-Key", .idempotencyMismatch)])
        }
        return Outcome(appeal: row.appeal, replayed: true)
    }

    /// Whose appeal it is: the signed-in citizen's; for one registered on someone's behalf, the
    /// citizen account that has proven the applicant's email address, if any — so a caller who has
    /// an account follows the appeal under «Мои обращения». Unconfirmed addresses, phone numbers and
    /// staff accounts link nothing, and appeals registered earlier are never handed to an account
    /// later (a mailbox may have changed hands since).
    private static func owner(of appeal: ValidAppeal, submission: Submission, on db: any Database) async throws -> UUID? {
        if let owner = submission.ownerID { return owner }
        guard submission.joinsAccountByEmail, let email = appeal.email?.value,
            let user = try await User.query(on: db).filter(\.$email == email).filter(\.$emailConfirmedAt != nil)
                .filter(\.$isActive == true).with(\.$grants).first(),
            user.grants.contains(where: { $0.role == .citizen })
        else { return nil }
        return user.id
    }

    /// Same applicant, same organisation in conflict, similar text, within 30 days.
    static func possibleDuplicate(of appeal: ValidAppeal, ownerID: UUID?, now: Date, on db: any Database) async throws -> UUID? {
        let since = now.addingTimeInterval(-duplicateWindow)
        var query = Appeal.query(on: db).filter(\.$registeredAt >= since)
        if let ownerID {
            query = query.filter(\.$userID == ownerID)
        } else if let email = appeal.email?.value {
            query = query.filter(\.$email == email)
        } else if let phone = appeal.phone?.value {
            query = query.filter(\.$phone == phone)
        } else {
            return nil
        }
        // Same company (as typed; a missing one matches a missing one), and only the columns compared.
        query = appeal.conflictName.map { query.filter(\.$conflictName == $0) } ?? query.filter(\.$conflictName == nil)
        let recent = try await query.field(\.$id).field(\.$text).sort(\.$registeredAt, .descending).limit(20).all()
        return recent.first { TextSimilarity.jaccard($0.text, appeal.text) >= TextSimilarity.duplicateThreshold }?.id
    }
}
