import Domain
import Fluent
import Foundation
import Vapor

/// A partner application allowed to file appeals over Open311 (a city's app, an NGO's site). Admins
/// issue its API key, shown once, and may revoke it; only the key's SHA-256 is kept.
final class PartnerApp: Model, @unchecked Sendable {
    static let schema = "partner_apps"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @OptionalField(key: "contact") var contact: String?
    @Field(key: "key_hash") var keyHash: String
    @Field(key: "key_hint") var keyHint: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "created_by") var createdBy: UUID?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

enum PartnerApps {
    static let maximumName = 200

    /// Issues a new application and its key; the key is returned once and never stored.
    static func issue(name: String?, contact: String?, by user: UUID?, now: Date, on db: any Database) async throws -> (PartnerApp, String) {
        var errors = FieldErrors()
        let name = name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if name.isEmpty { errors.add("name", .required) } else if name.count > maximumName { errors.add("name", .tooLong) }
        let contact = contact?.trimmingCharacters(in: .whitespacesAndNewlines).nonBlank
        if let contact, contact.count > maximumName { errors.add("contact", .tooLong) }
        try errors.throwIfAny()
        let key = "o311_" + Secrets.randomToken()
        let app = PartnerApp()
        app.id = UUID()
        app.name = name
        app.contact = contact
        app.keyHash = Secrets.hash(key)
        app.keyHint = String(key.prefix(9))
        app.createdAt = now
        app.createdBy = user
        app.revokedAt = nil
        try await app.create(on: db)
        return (app, key)
    }

    static func revoke(_ id: UUID, now: Date, on db: any Database) async throws {
        guard let app = try await PartnerApp.find(id, on: db) else { throw Abort(.notFound) }
        guard app.revokedAt == nil else { return }
        app.revokedAt = now
        try await app.save(on: db)
    }

    /// The live application a key belongs to; nil for an unknown or revoked key.
    static func authenticate(_ key: String?, on db: any Database) async throws -> PartnerApp? {
        guard let key, !key.isEmpty else { return nil }
        return try await PartnerApp.query(on: db).filter(\.$keyHash == Secrets.hash(key)).filter(\.$revokedAt == nil).first()
    }
}
