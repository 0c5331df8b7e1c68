import Domain
import Fluent
import Vapor

struct TerritoryInput: Content {
    var code: String?
    var name: String?
    var kind: String?
    var parentId: String?
}

/// Territories are region-wide reference data: only administrators with platform reach change them.
enum TerritoryService {
    static func save(_ input: TerritoryInput, existing: Territory?, on request: Request) async throws -> Territory {
        try await request.authorize(.manageReferenceData, in: .platform)
        let db = request.db
        var parentKind: TerritoryKind??
        var parentID: UUID?
        if let raw = input.parentId?.nonBlank {
            parentID = UUID(uuidString: raw)
            let parent = try await parentID.asyncFlatMap { try await Territory.find($0, on: db) }
            parentKind = .some(parent?.kind)
            if let parentID, let existingID = existing?.id,
                try await lineage(of: parentID, on: db).contains(existingID)
            {
                // The new parent lies inside this territory: that would be a loop.
                throw ValidationFailure([FieldError("parentId", .cycle)])
            }
        }
        var errors = FieldErrors()
        var valid: ValidTerritory?
        do {
            valid = try TerritoryRules.validate(
                TerritoryDraft(code: input.code, name: input.name, kind: input.kind, parentKind: parentKind))
        } catch {
            for item in error.errors { errors.add(item.field, item.code) }
        }
        if let code = valid?.code {
            var same = Territory.query(on: db).filter(\.$code == code)
            if let id = existing?.id { same = same.filter(\.$id != id) }
            if try await same.count() > 0 { errors.add("code", .taken) }
        }
        try errors.throwIfAny()
        guard let valid else { throw ValidationFailure(errors.errors) }
        let territory = existing ?? Territory()
        territory.code = valid.code
        territory.name = valid.name
        territory.kind = valid.kind
        territory.$parent.id = parentID
        do {
            try await territory.save(on: db)
        } catch where error.isUniqueViolation {
            var clash = Territory.query(on: db).filter(\.$code == valid.code)
            if let id = existing?.id { clash = clash.filter(\.$id != id) }
            if try await clash.count() > 0 {
                throw ValidationFailure([FieldError("code", .taken)])
            }
            throw error
        }
        request.application.routingCache.invalidate()
        return territory
    }
}

extension TerritoryService {
    /// The territory and its ancestors. Territories number in the hundreds, so one read suffices.
    static func lineage(of id: UUID, on db: any Database) async throws -> [UUID] {
        let parents = try await Territory.query(on: db).field(\.$id).field(\.$parent.$id).all()
        let parentOf = Dictionary(uniqueKeysWithValues: parents.compactMap { row in row.id.map { ($0, row.$parent.id) } })
        var result = [id]
        var current = id
        while let next = parentOf[current] ?? nil, !result.contains(next) {
            result.append(next)
            current = next
        }
        return result
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
