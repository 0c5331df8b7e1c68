import Foundation

public typealias OrganisationID = UUID

/// Kinds of organisation in the region (product.md §2): the regional Rospotrebnadzor office and its
/// territorial departments, the regional government with its municipalities, and partners outside both trees.
public enum OrganisationKind: String, Codable, Sendable, CaseIterable {
    case regionalOffice = "regional_office"
    case territorialDepartment = "territorial_department"
    case regionalGovernment = "regional_government"
    case municipality
    case partner

    /// Which kinds may be the parent of this kind; an empty set means "a root only".
    public var allowedParents: Set<OrganisationKind> {
        switch self {
        case .regionalOffice, .regionalGovernment, .partner: []
        case .territorialDepartment: [.regionalOffice, .territorialDepartment]
        case .municipality: [.regionalGovernment, .municipality]
        }
    }
}

/// The parent links of all organisations: enough to answer "is A inside B's subtree?" without a database.
public struct OrganisationTree: Sendable {
    private var parentOf: [OrganisationID: OrganisationID]
    public private(set) var ids: Set<OrganisationID>
    /// Deactivated organisations: roles held in them grant nothing.
    public private(set) var inactive: Set<OrganisationID>

    public init(parents: [(id: OrganisationID, parent: OrganisationID?)], inactive: Set<OrganisationID> = []) {
        self.inactive = inactive
        var map: [OrganisationID: OrganisationID] = [:]
        var ids: Set<OrganisationID> = []
        for entry in parents {
            ids.insert(entry.id)
            if let parent = entry.parent { map[entry.id] = parent }
        }
        self.parentOf = map
        self.ids = ids
    }

    public func parent(of id: OrganisationID) -> OrganisationID? { parentOf[id] }

    /// The organisation itself followed by its ancestors up to the root. Stops on a cycle
    /// (which `wouldCreateCycle` prevents, but stored data is never trusted blindly).
    public func lineage(of id: OrganisationID) -> [OrganisationID] {
        var result = [id]
        var seen: Set<OrganisationID> = [id]
        var current = id
        while let parent = parentOf[current], !seen.contains(parent) {
            result.append(parent)
            seen.insert(parent)
            current = parent
        }
        return result
    }

    /// True when `id` is `ancestor` or lies below it.
    public func isWithin(_ id: OrganisationID, subtreeOf ancestor: OrganisationID) -> Bool {
        lineage(of: id).contains(ancestor)
    }

    /// Re-parenting `id` under `newParent` must not make an organisation its own ancestor.
    public func wouldCreateCycle(moving id: OrganisationID, under newParent: OrganisationID?) -> Bool {
        guard let newParent else { return false }
        return lineage(of: newParent).contains(id)
    }

    public func descendants(of id: OrganisationID) -> Set<OrganisationID> {
        Set(ids.filter { $0 != id && isWithin($0, subtreeOf: id) })
    }
}
