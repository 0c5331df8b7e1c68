/// What a moderator can do with a new appeal (product.md §4, issue «Appeals intake» item 6).
public enum ModerationAction: String, Sendable, Codable, CaseIterable, Hashable {
    /// Category and executor are right: the appeal goes to the executor organisation's coordinator.
    case accept
    /// Another subcategory; routing runs again.
    case recategorise
    /// Another executor organisation.
    case reassign
    /// The same question is already being handled: closed with a link to the earlier appeal.
    case duplicate
    /// Not answered in substance, on a lawful ground of 59-ФЗ ст. 11.
    case reject

    /// The status the appeal is in afterwards.
    public var resultingStatus: AppealStatus {
        switch self {
        case .accept: .coordination
        case .recategorise, .reassign: .moderation
        case .duplicate, .reject: .rejected
        }
    }

    /// Moderation happens only while the appeal is in moderation; anything else is refused.
    public func isAllowed(from status: AppealStatus) -> Bool { status == .moderation }

    /// Whether the citizen is told by mail.
    public var notifiesCitizen: Bool { self == .accept || self == .duplicate || self == .reject }
}
