import Domain
import Fluent
import Foundation
import Vapor

/// An appeal in the one register. `@unchecked Sendable`: a Fluent model owned by one request at a time.
final class Appeal: Model, @unchecked Sendable {
    static let schema = "appeals"

    @ID(key: .id) var id: UUID?
    @Field(key: "number") var number: String
    @Field(key: "year") var year: Int
    @Field(key: "sequence") var sequence: Int
    @Field(key: "channel") var channel: IntakeChannel
    @Field(key: "status") var status: AppealStatus
    @Parent(key: "subcategory_id") var subcategory: Subcategory
    @Field(key: "subcategory_version") var subcategoryVersion: Int
    @Field(key: "category_code") var categoryCode: String
    @Field(key: "category_name") var categoryName: String
    @Field(key: "subcategory_code") var subcategoryCode: String
    @Field(key: "subcategory_name") var subcategoryName: String
    @Field(key: "kind") var kind: AppealKind
    @Field(key: "fast_track") var fastTrack: Bool
    @Field(key: "answer_days") var answerDays: Int
    @Field(key: "day_type") var dayType: DayType
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "surname") var surname: String
    @Field(key: "name") var name: String
    @OptionalField(key: "patronymic") var patronymic: String?
    @OptionalField(key: "birth_date") var birthDate: Date?
    @OptionalField(key: "sex") var sex: Sex?
    @OptionalField(key: "phone") var phone: String?
    @OptionalField(key: "email") var email: String?
    @OptionalField(key: "locality") var locality: String?
    @OptionalField(key: "conflict_name") var conflictName: String?
    @OptionalField(key: "conflict_inn") var conflictINN: String?
    @OptionalField(key: "conflict_address") var conflictAddress: String?
    @OptionalField(key: "subject") var subject: String?
    @OptionalField(key: "actions_taken") var actionsTaken: String?
    @OptionalField(key: "desired_result") var desiredResult: String?
    @Field(key: "text") var text: String
    @OptionalField(key: "problem_address") var problemAddress: String?
    @Parent(key: "territory_id") var territory: Territory
    @Field(key: "answers") var answersJSON: String
    @OptionalParent(key: "executor_organisation_id") var executorOrganisation: Organisation?
    @OptionalField(key: "registered_by") var registeredBy: UUID?
    @OptionalField(key: "possible_duplicate_of") var possibleDuplicateOf: UUID?
    @OptionalField(key: "reject_reason") var rejectReason: RejectReason?
    @Field(key: "registered_at") var registeredAt: Date
    @Field(key: "moderation_due_at") var moderationDueAt: Date
    @Field(key: "answer_due_at") var answerDueAt: Date
    @Field(key: "consent_at") var consentAt: Date
    @Field(key: "lock_version") var lockVersion: Int
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    // Processing (M0014).
    @OptionalParent(key: "executor_id") var executor: User?
    @OptionalField(key: "assigned_at") var assignedAt: Date?
    @OptionalField(key: "taken_at") var takenAt: Date?
    @Field(key: "delegated_by_rule") var delegatedByRule: Bool
    @OptionalField(key: "stage") var stage: AppealStage?
    @OptionalField(key: "returned") var returned: ReturnKind?
    @OptionalField(key: "folder") var folder: WorkspaceFolder?
    @OptionalField(key: "previous_organisation_id") var previousOrganisationID: UUID?
    @OptionalField(key: "coordination_due_at") var coordinationDueAt: Date?
    @OptionalField(key: "extended_days") var extendedDays: Int?
    @OptionalField(key: "postponed_until") var postponedUntil: String?
    @Field(key: "awaiting_citizen") var awaitingCitizen: Bool
    @OptionalField(key: "outcome") var outcome: AnswerOutcome?
    @OptionalField(key: "answered_at") var answeredAt: Date?
    @OptionalField(key: "rating") var rating: Int?
    @OptionalField(key: "rated_at") var ratedAt: Date?
    @Field(key: "curator_attention") var curatorAttention: Bool
    // Statistics (issue 8): the sphere as filed, the help given and the money returned (kopecks) as
    // the approved answer says, and how many times the work was postponed.
    @OptionalField(key: "sphere") var sphere: String?
    @OptionalField(key: "help_kind") var helpKind: HelpKind?
    @OptionalField(key: "money_returned") var moneyReturned: Int?
    @Field(key: "postponements") var postponements: Int
    /// Where an appeal filed from outside came from: the partner application (Open311) or the site
    /// that embeds the widget.
    @OptionalField(key: "source") var source: String?
    @OptionalField(key: "partner_app_id") var partnerAppID: UUID?
    /// The point it was reported at (Open311's lat/long).
    @OptionalField(key: "latitude") var latitude: Double?
    @OptionalField(key: "longitude") var longitude: Double?
    /// The appeal's own files and its answers' files (`answerID` tells them apart).
    @Children(for: \.$appeal) var attachments: [AppealAttachment]

    init() {}

    var answers: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(answersJSON.utf8))) ?? [:]
    }

    /// Files the appeal under a subcategory, keeping a snapshot of its names and terms as they are
    /// now: a later classifier change does not change what the appeal was filed under.
    /// `subcategory.category` must be loaded.
    func file(under subcategory: Subcategory) throws {
        $subcategory.id = try subcategory.requireID()
        subcategoryVersion = subcategory.version
        categoryCode = subcategory.category.code
        categoryName = subcategory.category.name
        sphere = subcategory.category.sphere
        subcategoryCode = subcategory.code
        subcategoryName = subcategory.name
        kind = subcategory.kind
        fastTrack = subcategory.fastTrack
        answerDays = subcategory.answerDays
        dayType = subcategory.dayType
    }

    var applicantName: PersonName { PersonName(surname: surname, name: name, patronymic: patronymic) }

    /// Where the policy rules on this appeal: its executor organisation, or the platform while it has none.
    var scope: Scope { $executorOrganisation.id.map { .organisation($0) } ?? .platform }
}

/// One entry of an appeal's history: who, when, from → to, what changed, and why.
final class AppealEvent: Model, @unchecked Sendable {
    static let schema = "appeal_events"

    enum Action: String, Codable, Sendable, CaseIterable {
        case submitted, accepted, rejected, recategorised, reassigned, markedDuplicate = "marked_duplicate"
        // Processing: one per `AppealTransition`, plus the citizen's later comment on the rating.
        case assigned, executorChanged = "executor_changed", redirected, sentBack = "sent_back", taken
        case infoRequested = "info_requested", postponed, resumed, extended, answerSubmitted = "answer_submitted"
        case approved, answerReturned = "answer_returned", curatorReturned = "curator_returned", rated
        case ratingCommented = "rating_commented", citizenReplied = "citizen_replied"

        /// Steps the citizen sees on their card; the rest is the organisation's internal work.
        var visibleToCitizen: Bool {
            switch self {
            case .executorChanged, .sentBack, .taken, .resumed, .answerSubmitted, .answerReturned, .ratingCommented: false
            default: true
            }
        }

        /// Comments written for the citizen (moderation, questions, the extension's reason); others stay internal.
        var commentVisibleToCitizen: Bool {
            switch self {
            case .accepted, .rejected, .recategorised, .reassigned, .markedDuplicate, .infoRequested, .extended, .rated, .citizenReplied: true
            default: false
            }
        }

        /// Moderation's details (what changed) are the citizen's too; processing details name staff.
        var detailsVisibleToCitizen: Bool {
            switch self {
            case .submitted, .accepted, .rejected, .recategorised, .reassigned, .markedDuplicate: true
            default: false
            }
        }

        init(_ transition: AppealTransition) {
            self =
                switch transition {
                case .assign: .assigned
                case .reassign: .executorChanged
                case .redirect: .redirected
                case .sendBack: .sentBack
                case .take: .taken
                case .requestInfo: .infoRequested
                case .postpone: .postponed
                case .resume: .resumed
                case .extend: .extended
                case .submitAnswer: .answerSubmitted
                case .approve: .approved
                case .returnAnswer: .answerReturned
                case .curatorReturn: .curatorReturned
                case .rate: .rated
                }
        }
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "appeal_id") var appeal: Appeal
    @Field(key: "at") var at: Date
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "action") var action: Action
    @OptionalField(key: "from_status") var fromStatus: AppealStatus?
    @OptionalField(key: "to_status") var toStatus: AppealStatus?
    @OptionalField(key: "details") var details: String?
    @OptionalField(key: "comment") var comment: String?

    init() {}

    init(appealID: UUID, at: Date, actorID: UUID?, action: Action, from: AppealStatus?, to: AppealStatus?,
         details: String? = nil, comment: String? = nil) {
        self.$appeal.id = appealID
        self.at = at
        self.actorID = actorID
        self.action = action
        self.fromStatus = from
        self.toStatus = to
        self.details = details
        self.comment = comment
    }
}

/// A file attached to an appeal; the bytes are in the `FileStore` under `storageKey`.
final class AppealAttachment: Model, @unchecked Sendable {
    static let schema = "appeal_attachments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "appeal_id") var appeal: Appeal
    @Field(key: "position") var position: Int
    @Field(key: "file_name") var fileName: String
    @Field(key: "kind") var kind: AttachmentKind
    @Field(key: "size") var size: Int
    @Field(key: "sha256") var sha256: String
    @Field(key: "storage_key") var storageKey: String
    @Field(key: "created_at") var createdAt: Date
    /// Set for a file of an answer (the executor's letter, a photo of the result); `nil` for the appeal's own.
    @OptionalField(key: "answer_id") var answerID: UUID?

    init() {}
}

final class IdempotencyKey: Model, @unchecked Sendable {
    static let schema = "idempotency_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "key") var key: String
    @Field(key: "request_hash") var requestHash: String
    @Parent(key: "appeal_id") var appeal: Appeal
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

/// An answer as the executor prepared it and the manager decided on it. Returned answers stay, so the
/// history shows every version.
final class AppealAnswer: Model, @unchecked Sendable {
    static let schema = "appeal_answers"

    enum State: String, Codable, Sendable {
        case draft, submitted, approved, returned
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "appeal_id") var appeal: Appeal
    @OptionalField(key: "author_id") var authorID: UUID?
    @Field(key: "text") var text: String
    @Field(key: "outcome") var outcome: AnswerOutcome
    @OptionalField(key: "help_kind") var helpKind: HelpKind?
    /// Kopecks returned to the consumer, as the answer reports.
    @OptionalField(key: "money_returned") var moneyReturned: Int?
    @Field(key: "state") var state: State
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decision_comment") var decisionComment: String?

    init() {}
}

/// An internal note on an appeal: staff only, never shown to the citizen.
final class AppealNote: Model, @unchecked Sendable {
    static let schema = "appeal_notes"

    @ID(key: .id) var id: UUID?
    @Parent(key: "appeal_id") var appeal: Appeal
    @OptionalField(key: "author_id") var authorID: UUID?
    @Field(key: "text") var text: String
    @Field(key: "at") var at: Date

    init() {}
}

/// A single-use rating link of an answer email; the token itself is only in the email.
final class RatingToken: Model, @unchecked Sendable {
    static let schema = "rating_tokens"

    @ID(key: .id) var id: UUID?
    @Parent(key: "appeal_id") var appeal: Appeal
    @Parent(key: "answer_id") var answer: AppealAnswer
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @OptionalField(key: "score") var score: Int?
    @OptionalField(key: "comment") var comment: String?

    init() {}
}
