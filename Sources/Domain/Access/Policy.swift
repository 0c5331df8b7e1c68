/// Everything a person can try to do that the policy rules on. Later capabilities add cases here,
/// so there stays one table of who may do what.
public enum Action: String, Sendable, Hashable, CaseIterable {
    /// Read the organisation directory (names, kinds, territories, spheres). Not personal data.
    case viewOrganisations
    /// Create, edit, move or deactivate an organisation (the scope is the organisation, or for a
    /// new one its parent; a new root needs platform scope).
    case manageOrganisation
    /// Territories and spheres of responsibility: region-wide reference data.
    case manageReferenceData
    /// See the people of an organisation: names, contacts, roles (personal data).
    case viewStaff
    /// Create staff accounts in an organisation, grant and revoke roles there, block accounts.
    case manageStaff
    /// See citizens' accounts (personal data of the public); platform-wide only.
    case viewCitizens
}

/// Where an action applies: the whole platform, or one organisation.
public enum Scope: Sendable, Hashable {
    case platform
    case organisation(OrganisationID)
}

/// The person acting, as the policy sees them: who they are and which roles they hold where.
public struct Actor: Sendable, Hashable {
    public var userID: UserID
    public var grants: [Grant]

    public init(userID: UserID, grants: [Grant]) {
        self.userID = userID
        self.grants = grants
    }

    public func holds(_ role: Role) -> Bool { grants.contains { $0.role == role } }
    public var isStaff: Bool { grants.contains { $0.role.isStaff } }
}

/// The one authorisation policy: role × organisation scope × action. Every route asks it; nothing
/// else decides access.
public enum Policy {
    /// How far a role's grant reaches from the organisation it was granted in.
    public enum Reach: Sendable {
        /// The organisation and everything below it in the tree.
        case subtree
        /// That organisation only.
        case ownOrganisation
    }

    /// Which roles may perform an action, and how far their grant reaches. A platform-wide grant
    /// (no organisation) of a listed role reaches everything.
    public static let rules: [Action: [Role: Reach]] = [
        .viewOrganisations: Dictionary(uniqueKeysWithValues: Role.allCases.filter(\.isStaff).map { ($0, .subtree) }),
        .manageOrganisation: [.admin: .subtree],
        .manageReferenceData: [.admin: .subtree],
        .viewStaff: [.admin: .subtree, .manager: .subtree, .coordinator: .ownOrganisation, .curator: .subtree],
        .manageStaff: [.admin: .subtree],
        .viewCitizens: [.admin: .subtree],
    ]

    public static func permits(
        _ actor: Actor, _ action: Action, in scope: Scope, tree: OrganisationTree
    ) -> Bool {
        guard let allowed = rules[action] else { return false }
        return actor.grants.contains { grant in
            guard let reach = allowed[grant.role] else { return false }
            guard let grantOrg = grant.organisationID else {
                // Platform-wide grants only exist for roles that may hold them.
                return grant.role.mayBePlatformWide
            }
            switch scope {
            case .platform:
                return false
            case .organisation(let target):
                switch reach {
                case .ownOrganisation: return target == grantOrg
                case .subtree: return tree.isWithin(target, subtreeOf: grantOrg)
                }
            }
        }
    }

    /// For actions not tied to one organisation (reading the directory): does any grant's role allow it?
    public static func permitsAnywhere(_ actor: Actor, _ action: Action) -> Bool {
        guard let allowed = rules[action] else { return false }
        return actor.grants.contains { allowed[$0.role] != nil }
    }

    /// May the actor grant `grant` to someone? Only an admin whose reach covers the grant's organisation;
    /// platform-wide grants only by a platform-wide admin.
    public static func mayAssign(_ grant: Grant, actor: Actor, tree: OrganisationTree) -> Bool {
        if let org = grant.organisationID {
            if !grant.role.isStaff { return false }
            return permits(actor, .manageStaff, in: .organisation(org), tree: tree)
        }
        guard grant.role.mayBePlatformWide else { return false }
        return actor.grants.contains { $0.role == .admin && $0.organisationID == nil }
    }
}
