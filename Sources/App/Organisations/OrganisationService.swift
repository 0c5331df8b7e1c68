import Domain
import Fluent
import Vapor

/// What the admin form and the API send to create or change an organisation.
struct OrganisationInput: Content {
    var name: String?
    var shortName: String?
    var kind: String?
    var parentId: String?
    var inn: String?
    var email: String?
    var phone: String?
    var address: String?
    var territoryIds: [String]?
    var sphereCodes: [String]?
    var isActive: Bool?
}

/// Creating and changing organisations: validation by the domain rules, authorisation by the policy,
/// the organisation row and its territory and sphere links saved in one transaction.
enum OrganisationService {
    static func save(_ input: OrganisationInput, existing: Organisation?, on request: Request) async throws
        -> Organisation
    {
        let db = request.db
        let tree = try await OrganisationQueries.tree(on: db)
        let kinds = try await OrganisationQueries.kinds(on: db)
        var errors = FieldErrors()
        var parentID: UUID?
        if let raw = input.parentId?.nonBlank {
            parentID = UUID(uuidString: raw)
            if parentID == nil { errors.add("parentId", .notFound) }
        }
        let draft = OrganisationDraft(
            name: input.name, shortName: input.shortName, kind: input.kind, parentID: parentID, inn: input.inn,
            email: input.email, phone: input.phone, address: input.address)

        // Authorise before revealing anything about validity: the new parent (or the platform for a
        // root) and, for a change, the organisation itself.
        if let existing {
            try await request.authorize(.manageOrganisation, in: .organisation(existing.requireID()))
        }
        if parentID != existing?.$parent.id || existing == nil {
            try await request.authorize(.manageOrganisation, in: parentID.map { .organisation($0) } ?? .platform)
        }
        // What an organisation is (a regional office sees the whole region's statistics) is decided above
        // it: its own admin cannot change its kind, only whoever manages its parent (the platform for a root).
        if let existing, let kind = input.kind?.nonBlank, kind != existing.kind.rawValue {
            try await request.authorize(.manageOrganisation, in: existing.$parent.id.map { .organisation($0) } ?? .platform)
        }

        var valid: ValidOrganisation?
        do {
            let childKinds = existing?.id.map { id in
                kinds.filter { tree.parent(of: $0.key) == id }.map(\.value)
            } ?? []
            valid = try OrganisationRules.validate(
                draft, id: existing?.id, tree: tree, kindOf: { kinds[$0] }, childKinds: childKinds)
        } catch {
            for item in error.errors { errors.add(item.field, item.code) }
        }

        let territoryIDs = (input.territoryIds ?? []).compactMap { $0.nonBlank }
        let parsedTerritories = territoryIDs.compactMap(UUID.init(uuidString:))
        let territories = try await Territory.query(on: db).filter(\.$id ~~ parsedTerritories).all()
        if territories.count != territoryIDs.count { errors.add("territoryIds", .notFound) }
        let sphereCodes = Set((input.sphereCodes ?? []).compactMap { $0.nonBlank })
        let spheres = try await Sphere.query(on: db).filter(\.$code ~~ Array(sphereCodes)).all()
        if spheres.count != sphereCodes.count { errors.add("sphereCodes", .invalidValue) }
        if let name = valid?.name {
            var sameName = Organisation.query(on: db).filter(\.$name == name)
            if let id = existing?.id { sameName = sameName.filter(\.$id != id) }
            if try await sameName.count() > 0 { errors.add("name", .taken) }
        }
        try errors.throwIfAny()
        guard let valid else { throw ValidationFailure(errors.errors) }

        let organisation = existing ?? Organisation()
        organisation.name = valid.name
        organisation.shortName = valid.shortName
        organisation.kind = valid.kind
        organisation.$parent.id = valid.parentID
        organisation.inn = valid.inn
        organisation.email = valid.email?.value
        organisation.phone = valid.phone?.value
        organisation.address = valid.address
        organisation.isActive = input.isActive ?? existing?.isActive ?? true
        do {
            try await persist(organisation, territories: territories, spheres: spheres, on: db)
        } catch where error.isUniqueViolation {
            // Only a real clash on the name is the person's to fix; anything else stays a server error.
            var clash = Organisation.query(on: db).filter(\.$name == valid.name)
            if let id = existing?.id { clash = clash.filter(\.$id != id) }
            if try await clash.count() > 0 {
                throw ValidationFailure([FieldError("name", .taken)])
            }
            throw error
        }
        return try await OrganisationQueries.find(organisation.requireID(), on: db)
    }

    private static func persist(
        _ organisation: Organisation, territories: [Territory], spheres: [Sphere], on db: any Database
    ) async throws {
        try await db.transaction { db in
            try await organisation.save(on: db)
            let id = try organisation.requireID()
            try await OrganisationTerritory.query(on: db).filter(\.$organisation.$id == id).delete()
            try await OrganisationSphere.query(on: db).filter(\.$organisation.$id == id).delete()
            try await organisation.$territories.attach(territories, on: db)
            try await organisation.$spheres.attach(spheres, on: db)
        }
    }
}
