import Domain
import Fluent
import Vapor

/// Reads of the organisation directory, shared by the HTML and API controllers.
enum OrganisationQueries {
    /// The parent links of every organisation. The table holds hundreds of rows at most, so reading
    /// two columns per authorised request stays well under a millisecond.
    static func tree(on db: any Database) async throws -> OrganisationTree {
        tree(of: try await Organisation.query(on: db).field(\.$id).field(\.$parent.$id).field(\.$isActive).all())
    }

    /// The tree of organisations already loaded (with at least id, parent and isActive).
    static func tree(of rows: [Organisation]) -> OrganisationTree {
        OrganisationTree(
            parents: rows.compactMap { row in row.id.map { ($0, row.$parent.id) } },
            inactive: Set(rows.filter { !$0.isActive }.compactMap(\.id)))
    }

    static func kinds(on db: any Database) async throws -> [OrganisationID: OrganisationKind] {
        let rows = try await Organisation.query(on: db).field(\.$id).field(\.$kind).all()
        return Dictionary(uniqueKeysWithValues: rows.compactMap { row in row.id.map { ($0, row.kind) } })
    }

    /// Every organisation with its territories and spheres, in tree order (parents before children,
    /// siblings by name). Two eager loads, no N+1.
    static func directory(on db: any Database) async throws -> [Organisation] {
        let all = try await Organisation.query(on: db)
            .with(\.$territories)
            .with(\.$spheres)
            .sort(\.$name)
            .all()
        return treeOrder(all)
    }

    static func find(_ id: UUID, on db: any Database) async throws -> Organisation {
        guard let organisation = try await Organisation.query(on: db)
            .filter(\.$id == id)
            .with(\.$territories)
            .with(\.$spheres)
            .with(\.$parent)
            .first()
        else { throw AppError.notFound }
        return organisation
    }

    /// Depth-first order with depths, for indented lists.
    static func treeOrder(_ organisations: [Organisation]) -> [Organisation] {
        var children: [UUID?: [Organisation]] = [:]
        let ids = Set(organisations.compactMap(\.id))
        for organisation in organisations {
            // An organisation whose parent is missing from the list is shown as a root.
            let parent = organisation.$parent.id.flatMap { ids.contains($0) ? $0 : nil }
            children[parent, default: []].append(organisation)
        }
        var result: [Organisation] = []
        var visited: Set<UUID> = []
        func visit(_ parent: UUID?) {
            for child in children[parent] ?? [] {
                guard let id = child.id, visited.insert(id).inserted else { continue }
                result.append(child)
                visit(id)
            }
        }
        visit(nil)
        return result
    }

    static func depths(_ organisations: [Organisation]) -> [UUID: Int] {
        let tree = OrganisationTree(parents: organisations.compactMap { org in org.id.map { ($0, org.$parent.id) } })
        var result: [UUID: Int] = [:]
        for id in tree.ids { result[id] = tree.lineage(of: id).count - 1 }
        return result
    }

    /// The region first, then urban okrugs, districts and settlements, each by name.
    static func territories(on db: any Database) async throws -> [Territory] {
        let order = Dictionary(uniqueKeysWithValues: TerritoryKind.allCases.enumerated().map { ($1, $0) })
        return try await Territory.query(on: db).all().sorted {
            (order[$0.kind] ?? 0, $0.name) < (order[$1.kind] ?? 0, $1.name)
        }
    }

    static func spheres(on db: any Database) async throws -> [Sphere] {
        try await Sphere.query(on: db).sort(\.$position).all()
    }
}

/// The organisation as the API shows it.
struct OrganisationDTO: Content {
    struct TerritoryRef: Content {
        var id: UUID
        var code: String
        var name: String
    }

    var id: UUID
    var name: String
    var shortName: String
    var kind: OrganisationKind
    var parentId: UUID?
    var inn: String?
    var email: String?
    var phone: String?
    var address: String?
    var isActive: Bool
    var territories: [TerritoryRef]
    var spheres: [String]

    init(_ organisation: Organisation) throws {
        id = try organisation.requireID()
        name = organisation.name
        shortName = organisation.shortName
        kind = organisation.kind
        parentId = organisation.$parent.id
        inn = organisation.inn
        email = organisation.email
        phone = organisation.phone
        address = organisation.address
        isActive = organisation.isActive
        territories = try organisation.territories.map { .init(id: try $0.requireID(), code: $0.code, name: $0.name) }
        spheres = organisation.spheres.sorted { $0.position < $1.position }.map(\.code)
    }
}

struct TerritoryDTO: Content {
    var id: UUID
    var code: String
    var name: String
    var kind: TerritoryKind
    var parentId: UUID?

    init(_ territory: Territory) throws {
        id = try territory.requireID()
        code = territory.code
        name = territory.name
        kind = territory.kind
        parentId = territory.$parent.id
    }
}

struct SphereDTO: Content {
    var code: String
    var name: String
}
