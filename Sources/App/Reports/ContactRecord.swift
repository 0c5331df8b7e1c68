import Domain
import Fluent
import Foundation

/// A contact that is not an appeal: a hotline call, a closed chat, a visit to the reception (issue 8:
/// they count by sphere in the statistics and the official report). No personal data: the sphere, the
/// help, the result and who handled it.
final class ContactRecord: Model, @unchecked Sendable {
    static let schema = "contacts"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: ContactKind
    @Field(key: "occurred_at") var occurredAt: Date
    @OptionalField(key: "organisation_id") var organisationID: UUID?
    @OptionalField(key: "operator_id") var operatorID: UUID?
    @OptionalField(key: "sphere") var sphere: String?
    @Field(key: "help_kind") var helpKind: HelpKind
    @Field(key: "result") var result: ReportResult
    /// Kopecks returned to the consumer.
    @OptionalField(key: "money_returned") var moneyReturned: Int?
    @OptionalField(key: "note") var note: String?
    @OptionalField(key: "consultation_id") var consultationID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
