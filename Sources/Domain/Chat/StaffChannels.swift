/// Staff messaging (product.md §6, issue 7): channels between organisations, direct messages, and a
/// thread on each appeal. Only members read a channel; this is where "member" is decided.
public enum ChannelKind: String, Sendable, Codable, CaseIterable {
    /// Between organisations, e.g. Управление Роспотребнадзора ↔ администрация района: every staff member of
    /// a member organisation (or of an organisation below it, when the channel says so) reads it.
    case agencies
    /// Two people.
    case direct
    /// The discussion around one appeal: whoever may see the appeal.
    case appeal
}

public struct StaffChannel: Sendable, Hashable {
    public var kind: ChannelKind
    /// For `agencies`: the organisations taking part.
    public var organisations: Set<OrganisationID>
    /// Whether staff of organisations below a member organisation read it too.
    public var includesSubordinates: Bool
    /// For `direct`: the two people.
    public var people: Set<UserID>
    /// For `appeal`: where the policy rules on the appeal (`Appeal.scope`).
    public var appealScope: Scope?

    public init(
        kind: ChannelKind, organisations: Set<OrganisationID> = [], includesSubordinates: Bool = false, people: Set<UserID> = [],
        appealScope: Scope? = nil
    ) {
        self.kind = kind
        self.organisations = organisations
        self.includesSubordinates = includesSubordinates
        self.people = people
        self.appealScope = appealScope
    }
}

public enum ChannelAccess {
    /// May `actor` read (and so write in, and subscribe to) `channel`? Staff only; citizens never read staff
    /// channels, whatever they are sent.
    public static func mayRead(_ actor: Actor, _ channel: StaffChannel, tree: OrganisationTree) -> Bool {
        // Staff of a deactivated organisation act for it no longer (`Policy.permits`), here too.
        guard Policy.isActiveStaff(actor, tree: tree) else { return false }
        switch channel.kind {
        case .direct:
            return channel.people.contains(actor.userID)
        case .appeal:
            guard let scope = channel.appealScope else { return false }
            return Policy.permits(actor, .viewAppeals, in: scope, tree: tree)
        case .agencies:
            return actor.grants.contains { grant in
                guard grant.role.isStaff, let organisation = grant.organisationID, !tree.inactive.contains(organisation) else { return false }
                if channel.organisations.contains(organisation) { return true }
                return channel.includesSubordinates
                    && channel.organisations.contains { tree.isWithin(organisation, subtreeOf: $0) }
            }
        }
    }

    /// A direct channel's members are fixed; an agencies channel needs two organisations or more.
    public static func check(_ channel: StaffChannel) -> Bool {
        switch channel.kind {
        case .direct: channel.people.count == 2
        case .agencies: channel.organisations.count >= 2
        case .appeal: channel.appealScope != nil
        }
    }
}

/// Unread counts: a member has read everything up to the sequence number they last saw.
public enum Unread {
    public static func count(lastSeq: Int64, lastRead: Int64?) -> Int64 { max(0, lastSeq - (lastRead ?? 0)) }
}
