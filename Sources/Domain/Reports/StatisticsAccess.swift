/// Whose figures a person may read (issue 8): an organisation's staff see their organisation and those
/// below it; platform-wide staff (curator, moderator, admin…) and the regional office see the region.
public enum StatisticsAccess {
    public enum Reach: Sendable, Equatable {
        case none
        case region
        case organisations(Set<OrganisationID>)
    }

    /// `regionWide`: organisations whose staff see the whole region (the regional office).
    public static func reach(_ actor: Actor, tree: OrganisationTree, regionWide: Set<OrganisationID>) -> Reach {
        var organisations: Set<OrganisationID> = []
        // The roles the policy lets read statistics (`Action.viewStatistics`).
        let allowed = Policy.rules[.viewStatistics] ?? [:]
        for grant in actor.grants where allowed[grant.role] != nil {
            guard let org = grant.organisationID else {
                if grant.role.mayBePlatformWide { return .region }
                continue
            }
            guard !tree.inactive.contains(org) else { continue }
            if regionWide.contains(org) { return .region }
            organisations.formUnion(tree.ids.filter { tree.isWithin($0, subtreeOf: org) })
        }
        return organisations.isEmpty ? .none : .organisations(organisations)
    }

    /// What to show for a request: everything reachable, or one organisation (with those below it) if
    /// asked and reachable; `nil` when the request asks for what the person may not read.
    public static func scope(
        _ reach: Reach, asking organisation: OrganisationID?, tree: OrganisationTree
    ) -> Reach? {
        switch (reach, organisation) {
        case (.none, _): return nil
        case (_, nil): return reach
        case (.region, let org?):
            guard tree.ids.contains(org) else { return nil }
            return .organisations(tree.ids.filter { tree.isWithin($0, subtreeOf: org) })
        case (.organisations(let mine), let org?):
            guard mine.contains(org) else { return nil }
            return .organisations(mine.filter { tree.isWithin($0, subtreeOf: org) })
        }
    }
}
