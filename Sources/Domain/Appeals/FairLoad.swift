import Foundation

/// One specialist who might get new work (product.md §4 «Fair load»).
public struct LoadCandidate: Sendable, Hashable {
    public var userID: UserID
    /// Away (leave, sick, off shift): gets nothing.
    public var present: Bool
    /// Open work in hand and the most they take at once (`nil`: no limit).
    public var open: Int
    public var capacity: Int?
    /// Appeals and chats given to them today (region's day).
    public var contactsToday: Int
    /// When they last got work; `nil` if never — the longest idle of all.
    public var lastAssignedAt: Date?
    /// Sphere codes they handle (empty: all) and territories they cover (empty: all).
    public var spheres: Set<String>
    public var territories: Set<TerritoryID>

    public init(
        userID: UserID, present: Bool = true, open: Int = 0, capacity: Int? = nil, contactsToday: Int = 0,
        lastAssignedAt: Date? = nil, spheres: Set<String> = [], territories: Set<TerritoryID> = []
    ) {
        self.userID = userID
        self.present = present
        self.open = open
        self.capacity = capacity
        self.contactsToday = contactsToday
        self.lastAssignedAt = lastAssignedAt
        self.spheres = spheres
        self.territories = territories
    }
}

public enum FairLoad {
    /// Is the candidate eligible for work in `sphere` on a territory whose lineage (itself and its
    /// ancestors) is `territoryLineage`?
    public static func isEligible(_ candidate: LoadCandidate, sphere: String?, territoryLineage: [TerritoryID]) -> Bool {
        guard candidate.present else { return false }
        if let capacity = candidate.capacity, candidate.open >= capacity { return false }
        if !candidate.spheres.isEmpty {
            guard let sphere, candidate.spheres.contains(sphere) else { return false }
        }
        if !candidate.territories.isEmpty, candidate.territories.isDisjoint(with: territoryLineage) { return false }
        return true
    }

    /// The eligible candidate with the fewest contacts today; ties go to the one idle longest, then to
    /// the smaller id so that the choice is the same on every node.
    public static func pick(
        _ candidates: [LoadCandidate], sphere: String?, territoryLineage: [TerritoryID]
    ) -> LoadCandidate? {
        candidates.filter { isEligible($0, sphere: sphere, territoryLineage: territoryLineage) }.min { a, b in
            if a.contactsToday != b.contactsToday { return a.contactsToday < b.contactsToday }
            switch (a.lastAssignedAt, b.lastAssignedAt) {
            case (nil, .some): return true
            case (.some, nil): return false
            case (.some(let x), .some(let y)) where x != y: return x < y
            default: return a.userID.uuidString < b.userID.uuidString
            }
        }
    }
}

/// A coordinator's auto-rule: appeals of a category/subcategory and territory go to one person or to
/// the organisation's pool (fair load among the eligible). product.md §4.
public struct AssignmentRule: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        case person(UserID)
        case pool
    }

    public var categoryCode: String?
    public var subcategoryCode: String?
    public var territoryID: TerritoryID?
    public var target: Target

    public init(categoryCode: String? = nil, subcategoryCode: String? = nil, territoryID: TerritoryID? = nil, target: Target) {
        self.categoryCode = categoryCode
        self.subcategoryCode = subcategoryCode
        self.territoryID = territoryID
        self.target = target
    }

    /// The most specific matching rule (the same order as routing); among equally specific ones, a
    /// person before the pool, then the smaller id, so every node decides alike.
    public static func match(
        _ rules: [AssignmentRule], subcategory: String, category: String, territoryLineage: [TerritoryID]
    ) -> AssignmentRule? {
        var best: (score: Int, rule: AssignmentRule)?
        for rule in rules {
            guard let score = Routing.specificity(
                of: (rule.subcategoryCode, rule.categoryCode, rule.territoryID), subcategory: subcategory,
                category: category, territoryLineage: territoryLineage)
            else { continue }
            if let current = best, current.score > score || (current.score == score && !rule.target.sortsBefore(current.rule.target)) {
                continue
            }
            best = (score, rule)
        }
        return best?.rule
    }
}

extension AssignmentRule.Target {
    fileprivate func sortsBefore(_ other: Self) -> Bool {
        switch (self, other) {
        case (.person(let a), .person(let b)): a.uuidString < b.uuidString
        case (.person, .pool): true
        default: false
        }
    }
}
