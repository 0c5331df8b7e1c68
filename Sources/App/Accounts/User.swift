import Domain
import Fluent
import Foundation
import Vapor

/// A person: a citizen who registered, or a staff member created by an administrator.
/// `@unchecked Sendable`: Fluent models are mutable reference types owned by one request at a time.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "email") var email: String?
    @OptionalField(key: "phone") var phone: String?
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "surname") var surname: String
    @Field(key: "name") var name: String
    @OptionalField(key: "patronymic") var patronymic: String?
    @OptionalField(key: "email_confirmed_at") var emailConfirmedAt: Date?
    @Field(key: "is_active") var isActive: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Children(for: \.$user) var grants: [RoleGrant]

    init() {}

    init(id: UUID? = nil, name: PersonName, email: String?, phone: String?, passwordHash: String) {
        self.id = id
        self.surname = name.surname
        self.name = name.name
        self.patronymic = name.patronymic
        self.email = email
        self.phone = phone
        self.passwordHash = passwordHash
        self.isActive = true
    }

    var personName: PersonName { PersonName(surname: surname, name: name, patronymic: patronymic) }
}

/// One role of one person in one organisation (`organisation_id` NULL = platform-wide).
final class RoleGrant: Model, @unchecked Sendable {
    static let schema = "role_grants"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "organisation_id") var organisation: Organisation?
    @Field(key: "role") var role: Role
    @OptionalField(key: "granted_by") var grantedBy: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(userID: UUID, grant: Grant, grantedBy: UUID?) {
        self.$user.id = userID
        self.$organisation.id = grant.organisationID
        self.role = grant.role
        self.grantedBy = grantedBy
    }

    var grant: Grant { Grant(role: role, organisationID: $organisation.id) }
}

final class APIToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

final class EmailConfirmation: Model, @unchecked Sendable {
    static let schema = "email_confirmations"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "email") var email: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

final class SignInFailure: Model, @unchecked Sendable {
    static let schema = "sign_in_failures"

    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @Field(key: "at") var at: Date

    init() {}

    init(key: String, at: Date) {
        self.key = key
        self.at = at
    }
}

final class SessionRow: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @Parent(key: "user_id") var user: User
    @OptionalField(key: "ip") var ip: String?
    @Field(key: "expires_at") var expiresAt: Date
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

extension User: Authenticatable {}
