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
            if let parentID, let existingID = existing?.id, parentID == existingID { parentKind = .some(nil) }
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
        try await territory.save(on: db)
        return territory
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
