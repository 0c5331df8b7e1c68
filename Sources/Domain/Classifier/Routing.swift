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
            let subject: Int
            if let code = rule.subcategoryCode {
                guard code == subcategory else { continue }
                subject = 2
            } else if let code = rule.categoryCode {
                guard code == category else { continue }
                subject = 1
            } else {
                subject = 0
            }
            let place: Int
            if let territory = rule.territoryID {
                guard let depth = territoryLineage.firstIndex(of: territory) else { continue }
                place = 100 - depth
            } else {
                place = 0
            }
            let score = subject * 1000 + place
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
}
