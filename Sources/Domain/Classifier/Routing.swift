import Foundation

public typealias TerritoryID = UUID

/// One routing rule: appeals of this subcategory (or category, or any) from this territory (or
/// anywhere in the region) go to this organisation. product.md §3.
public struct RoutingRule: Sendable, Hashable {
    public var categoryCode: String?
    public var subcategoryCode: String?
    public var territoryID: TerritoryID?
    public var organisationID: OrganisationID

    public init(categoryCode: String? = nil, subcategoryCode: String? = nil, territoryID: TerritoryID? = nil,
                organisationID: OrganisationID) {
        self.categoryCode = categoryCode
        self.subcategoryCode = subcategoryCode
        self.territoryID = territoryID
        self.organisationID = organisationID
    }

    /// What the rule is about, without its target: two rules with the same key would contradict.
    public var key: String {
        "s:\(subcategoryCode ?? "*")|c:\(subcategoryCode == nil ? categoryCode ?? "*" : "*")|t:\(territoryID?.uuidString ?? "*")"
    }
}

public enum Routing {
    public enum Resolution: Sendable, Hashable {
        case organisation(OrganisationID)
        case none
        case ambiguous([OrganisationID])
    }

    /// The most specific matching rule wins. The subject counts first (subcategory over category over
    /// any), then the territory: the appeal's own territory over its district over the region-wide rule.
    /// `territoryLineage` is the appeal's territory followed by its ancestors.
    public static func resolve(
        subcategory: String, category: String, territoryLineage: [TerritoryID], rules: [RoutingRule]
    ) -> Resolution {
        var best: (score: Int, organisations: Set<OrganisationID>)? = nil
        for rule in rules {
            guard let score = specificity(
                of: (rule.subcategoryCode, rule.categoryCode, rule.territoryID), subcategory: subcategory, category: category,
                territoryLineage: territoryLineage)
            else { continue }
            if best == nil || score > best!.score {
                best = (score, [rule.organisationID])
            } else if score == best!.score {
                best!.organisations.insert(rule.organisationID)
            }
        }
        guard let best else { return .none }
        if best.organisations.count == 1 { return .organisation(best.organisations.first!) }
        return .ambiguous(best.organisations.sorted { $0.uuidString < $1.uuidString })
    }

    /// How specifically a rule's subject and place match an appeal (`nil`: not at all). The subject
    /// counts first (subcategory over category over any), then the territory: the appeal's own territory
    /// over its district over region-wide. Shared by routing to organisations and assignment auto-rules.
    public static func specificity(
        of rule: (subcategoryCode: String?, categoryCode: String?, territoryID: TerritoryID?), subcategory: String,
        category: String, territoryLineage: [TerritoryID]
    ) -> Int? {
        let subject: Int
        if let code = rule.subcategoryCode {
            guard code == subcategory else { return nil }
            subject = 2
        } else if let code = rule.categoryCode {
            guard code == category else { return nil }
            subject = 1
        } else {
            subject = 0
        }
        var place = 0
        if let territory = rule.territoryID {
            guard let depth = territoryLineage.firstIndex(of: territory) else { return nil }
            place = 100 - depth
        }
        return subject * 1000 + place
    }
}
