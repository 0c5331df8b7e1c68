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
    /// Register an appeal on a citizen's behalf (a hotline call, a visit to the reception office).
    case registerOnBehalf
    /// Moderate new appeals (scope: the executor organisation, or the platform while there is none).
    case moderate
    /// Read an appeal card with the applicant's personal data (scope: the executor organisation).
    case viewAppeals
    /// Import, export and edit the classifier and the routing rules: region-wide reference data.
    case manageClassifier
    /// Send the organisation's appeals to executors, redirect them, keep auto-rules and specialists'
    /// availability (scope: the executor organisation).
    case coordinate
    /// Work an appeal assigned to oneself (scope: the executor organisation).
    case execute
    /// Approve or return answers, extend the term (scope: the executor organisation).
    case approveAnswers
    /// Watch deadlines and answer quality, return answered appeals to rework.
    case superviseQuality
    /// Edit and import the production calendar: region-wide reference data.
    case manageCalendar
    /// Write, publish and revise the knowledge base and the FAQ: region-wide content.
    case editContent
    /// Read the knowledge base's internal articles (law changes, court practice for specialists).
    case readInternalContent
    /// Answer citizens in the online consultation: go online, take chats, read their transcripts.
    case answerConsultations
    /// Read the statistics and the reports of an organisation (scope: the organisation); the region's
    /// figures are for platform-wide staff and the regional office (see `StatisticsAccess`).
    case viewStatistics
    /// Record a hotline call or a visit that did not become an appeal (it counts as a contact).
    case recordContacts
    /// Read the log of who read which appeal card's personal data (platform scope).
    case auditPersonalData
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
        .manageClassifier: [.admin: .subtree],
        .registerOnBehalf: [.operator: .subtree, .admin: .subtree],
        .moderate: [.moderator: .subtree, .admin: .subtree],
        .coordinate: [.coordinator: .subtree, .admin: .subtree],
        .execute: [.executor: .ownOrganisation],
        .approveAnswers: [.manager: .subtree],
        .superviseQuality: [.curator: .subtree],
        .manageCalendar: [.admin: .subtree],
        .auditPersonalData: [.admin: .subtree],
        .editContent: [.editor: .subtree, .admin: .subtree],
        .readInternalContent: Dictionary(uniqueKeysWithValues: Role.allCases.filter(\.isStaff).map { ($0, .subtree) }),
        // Operators only: the console routes chats to operators, so an admin could open it but never take one.
        .answerConsultations: [.operator: .subtree],
        .viewStatistics: Dictionary(uniqueKeysWithValues: Role.allCases.filter(\.isStaff).map { ($0, .subtree) }),
        .recordContacts: [.operator: .ownOrganisation, .executor: .ownOrganisation, .coordinator: .ownOrganisation, .admin: .subtree],
        .viewAppeals: [
            .moderator: .subtree, .coordinator: .subtree, .executor: .ownOrganisation, .manager: .subtree,
            .curator: .subtree, .admin: .subtree,
        ],
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
            // A deactivated organisation's staff keep their accounts but act for it no longer.
            if tree.inactive.contains(grantOrg) { return false }
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
    public static func permitsAnywhere(_ actor: Actor, _ action: Action, tree: OrganisationTree) -> Bool {
        guard let allowed = rules[action] else { return false }
        return actor.grants.contains { grant in
            guard allowed[grant.role] != nil else { return false }
            guard let org = grant.organisationID else { return grant.role.mayBePlatformWide }
            return !tree.inactive.contains(org)
        }
    }

    /// Is the actor a platform-wide administrator?
    public static func isPlatformAdmin(_ actor: Actor) -> Bool {
        actor.grants.contains { $0.role == .admin && $0.organisationID == nil }
    }

    /// May the actor give `grant` to (or take it from) a person who holds `targetGrants`? Only an admin
    /// whose reach covers the grant's organisation; platform-wide grants only by a platform-wide admin.
    /// An organisation's admin may change only people who already work within their reach: otherwise a
    /// grant would pull any citizen or another body's employee into their organisation, and with it
    /// that person's personal data.
    public static func mayAssign(
        _ grant: Grant, to targetGrants: [Grant], actor: Actor, tree: OrganisationTree
    ) -> Bool {
        if isPlatformAdmin(actor) {
            if let org = grant.organisationID { return grant.role.isStaff && tree.ids.contains(org) }
            return grant.role.mayBePlatformWide
        }
        guard let org = grant.organisationID, grant.role.isStaff,
            permits(actor, .manageStaff, in: .organisation(org), tree: tree)
        else { return false }
        return targetGrants.contains { existing in
            guard let existingOrg = existing.organisationID else { return false }
            return permits(actor, .manageStaff, in: .organisation(existingOrg), tree: tree)
        }
    }
}
