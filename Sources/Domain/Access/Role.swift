/// The roles of product.md §2. A role is always granted within an organisation
/// (or platform-wide, for admins and curators who work across organisations).
public enum Role: String, Codable, Sendable, CaseIterable, Hashable, Comparable {
    case citizen
    case `operator`
    case moderator
    case coordinator
    case executor
    case manager
    case curator
    case editor
    case admin

    /// Roles that belong to staff. A citizen account never holds one of these
    /// unless an administrator grants it explicitly.
    public var isStaff: Bool { self != .citizen }

    /// Roles that may be granted without an organisation: they act across the whole platform.
    public var mayBePlatformWide: Bool {
        switch self {
        case .admin, .curator, .editor, .citizen, .moderator: true
        default: false
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One role held by one person, in one organisation (`nil` means platform-wide).
public struct Grant: Hashable, Sendable, Codable {
    public var role: Role
    public var organisationID: OrganisationID?

    public init(role: Role, organisationID: OrganisationID?) {
        self.role = role
        self.organisationID = organisationID
    }
}
