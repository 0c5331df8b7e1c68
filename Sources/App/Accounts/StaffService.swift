import Domain
import Fluent
import Vapor

struct StaffInput: Content {
    var surname: String?
    var name: String?
    var patronymic: String?
    var email: String?
    var phone: String?
    var password: String?
    var organisationId: String?
    var roles: [String]?
}

struct GrantInput: Content {
    var role: String?
    var organisationId: String?
}

/// Staff accounts and roles: created and granted by administrators, within their reach.
enum StaffService {
    static func create(_ input: StaffInput, on request: Request) async throws -> User {
        var errors = FieldErrors()
        guard let organisationID = input.organisationId?.nonBlank.flatMap(UUID.init(uuidString:)) else {
            // Someone who may not create staff anywhere hears only that, not what the form lacks.
            guard Policy.permitsAnywhere(try await request.requireActor(), .manageStaff, tree: try await OrganisationQueries.tree(on: request.db))
            else { throw AppError.forbidden }
            throw ValidationFailure([FieldError("organisationId", .required)])
        }
        try await request.authorize(.manageStaff, in: .organisation(organisationID))
        guard let organisation = try await Organisation.find(organisationID, on: request.db) else {
            throw ValidationFailure([FieldError("organisationId", .notFound)])
        }
        let name = PersonName.validate(
            surname: input.surname, name: input.name, patronymic: input.patronymic, into: &errors)
        let email = input.email?.nonBlank.flatMap(EmailAddress.init)
        if input.email?.nonBlank == nil { errors.add("email", .required) } else if email == nil { errors.add("email", .invalidEmail) }
        var phone: PhoneNumber?
        if let raw = input.phone?.nonBlank {
            phone = PhoneNumber(raw)
            if phone == nil { errors.add("phone", .invalidPhone) }
        }
        let password = input.password ?? ""
        if password.isEmpty {
            errors.add("password", .required)
        } else {
            let logins = [email?.value.split(separator: "@").first.map(String.init), phone?.value].compactMap { $0 }
            for error in PasswordRules.check(password, login: logins) { errors.add(error.field, error.code) }
        }
        let roleNames = (input.roles ?? []).compactMap { $0.nonBlank }
        let roles = roleNames.compactMap(Role.init(rawValue:))
        if roles.isEmpty { errors.add("roles", .required) }
        if roles.count != roleNames.count || roles.contains(.citizen) { errors.add("roles", .invalidValue) }
        try errors.throwIfAny()
        try await AccountService.ensureUnique(email: email, phone: phone, on: request.db)

        let hash = try await request.password.async.hash(password)
        let actor = try await request.requireActor()
        let now = request.now
        let config = request.application.config
        let user = User(name: name!, email: email?.value, phone: phone?.value, passwordHash: hash)
        do {
            try await createInTransaction(
                user, roles: roles, organisation: organisation, actor: actor, email: email, now: now, config: config,
                on: request)
        } catch where error.isUniqueViolation {
            try await AccountService.ensureUnique(email: email, phone: phone, on: request.db)
            throw error
        }
        request.application.mailWorker?.wake()
        return user
    }

    private static func createInTransaction(
        _ user: User, roles: [Role], organisation: Organisation, actor: Actor, email: EmailAddress?, now: Date,
        config: AppConfig, on request: Request
    ) async throws {
        let organisationID = try organisation.requireID()
        let name = user.personName
        try await request.db.transaction { db in
            try await user.create(on: db)
            let userID = try user.requireID()
            for role in Set(roles).sorted() {
                try await RoleGrant(userID: userID, grant: Grant(role: role, organisationID: organisationID), grantedBy: actor.userID)
                    .create(on: db)
            }
            if let email {
                let link = try await AccountService.createConfirmation(
                    for: user, email: email.value, on: db, now: now, config: config)
                try await MailOutbox.enqueue(
                    to: email.value, subject: Strings.staffWelcomeSubject,
                    body: Strings.staffWelcomeBody(name: name.short, organisation: organisation.name, link: link),
                    on: db, now: now)
            }
        }
    }

    /// Who may see a person's account: the person, staff who may view an organisation the person
    /// works in, and platform admins for citizens.
    static func authorizeView(_ user: User, on request: Request) async throws {
        let actor = try await request.requireActor()
        let userID = try user.requireID()
        if actor.userID == userID { return }
        let grants = try await RoleGrant.query(on: request.db).filter(\.$user.$id == userID).all()
        let organisations = Set(grants.compactMap { $0.$organisation.id })
        let tree = try await OrganisationQueries.tree(on: request.db)
        if organisations.contains(where: { Policy.permits(actor, .viewStaff, in: .organisation($0), tree: tree) }) {
            return
        }
        if Policy.permits(actor, .viewCitizens, in: .platform, tree: tree) { return }
        throw AppError.forbidden
    }

    /// Block or unblock: an admin who reaches every organisation the person works in (or a platform
    /// admin for citizens). Blocking ends their sessions and tokens at once.
    static func setActive(_ user: User, active: Bool, on request: Request) async throws {
        let actor = try await request.requireActor()
        let userID = try user.requireID()
        guard actor.userID != userID else { throw AppError.forbidden }
        let grants = try await RoleGrant.query(on: request.db).filter(\.$user.$id == userID).all()
        let tree = try await OrganisationQueries.tree(on: request.db)
        guard StaffService.mayBlock(actor: actor, target: userID, grants: grants.map(\.grant), tree: tree) else {
            throw AppError.forbidden
        }
        try await request.db.transaction { db in
            user.isActive = active
            try await user.update(on: db)
            if !active {
                try await SessionRow.query(on: db).filter(\.$user.$id == userID).delete()
                try await APIToken.query(on: db).filter(\.$user.$id == userID).filter(\.$revokedAt == nil)
                    .set(\.$revokedAt, to: request.now).update()
            }
        }
    }

    /// An admin who reaches every organisation the person works in; a person with no roles at all
    /// only by a platform admin. Nobody blocks themselves.
    static func mayBlock(actor: Actor, target: UUID, grants: [Grant], tree: OrganisationTree) -> Bool {
        guard actor.userID != target else { return false }
        if grants.isEmpty { return Policy.isPlatformAdmin(actor) }
        return grants.allSatisfy { grant in
            Policy.permits(actor, .manageStaff, in: grant.organisationID.map { .organisation($0) } ?? .platform, tree: tree)
        }
    }

    /// Before anything asked is read: may the actor change this person's roles at all? A platform admin,
    /// or an admin who reaches an organisation the person already works in (`Policy.mayAssign`).
    static func requireManages(_ user: User, on request: Request) async throws {
        let actor = try await request.requireActor()
        if Policy.isPlatformAdmin(actor) { return }
        let tree = try await OrganisationQueries.tree(on: request.db)
        let current = try await RoleGrant.query(on: request.db).filter(\.$user.$id == user.requireID()).all()
        guard current.contains(where: { $0.$organisation.id.map { Policy.permits(actor, .manageStaff, in: .organisation($0), tree: tree) } ?? false })
        else { throw AppError.forbidden }
    }

    static func addGrant(_ input: GrantInput, to user: User, on request: Request) async throws -> RoleGrant {
        try await requireManages(user, on: request)
        var errors = FieldErrors()
        let role = input.role.flatMap(Role.init(rawValue:))
        if role == nil { errors.add("role", input.role?.nonBlank == nil ? .required : .invalidValue) }
        var organisationID: UUID?
        if let raw = input.organisationId?.nonBlank {
            organisationID = UUID(uuidString: raw)
            if organisationID == nil { errors.add("organisationId", .notFound) }
        }
        try errors.throwIfAny()
        let grant = Grant(role: role!, organisationID: organisationID)
        if let organisationID, try await Organisation.find(organisationID, on: request.db) == nil {
            throw ValidationFailure([FieldError("organisationId", .notFound)])
        }
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        let userID = try user.requireID()
        let current = try await RoleGrant.query(on: request.db).filter(\.$user.$id == userID).all().map(\.grant)
        guard Policy.mayAssign(grant, to: current, actor: actor, tree: tree) else { throw AppError.forbidden }
        var existing = RoleGrant.query(on: request.db).filter(\.$user.$id == userID).filter(\.$role == grant.role)
        existing = organisationID.map { existing.filter(\.$organisation.$id == $0) } ?? existing.filter(\.$organisation.$id == nil)
        if let found = try await existing.first() { return found }
        let row = RoleGrant(userID: userID, grant: grant, grantedBy: actor.userID)
        do {
            try await row.create(on: request.db)
        } catch where error.isUniqueViolation {
            // The same grant was added by a parallel request: the result is the same.
            if let found = try await existing.first() { return found }
            throw error
        }
        return row
    }

    static func removeGrant(_ grantID: UUID, from user: User, on request: Request) async throws {
        try await requireManages(user, on: request)
        guard let row = try await RoleGrant.query(on: request.db)
            .filter(\.$id == grantID).filter(\.$user.$id == user.requireID()).first()
        else { throw AppError.notFound }
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        let current = try await RoleGrant.query(on: request.db).filter(\.$user.$id == user.requireID()).all().map(\.grant)
        guard Policy.mayAssign(row.grant, to: current, actor: actor, tree: tree) else { throw AppError.forbidden }
        // An admin cannot remove their own last admin grant and lock everyone out by accident.
        if actor.userID == (try user.requireID()), row.role == .admin,
            actor.grants.filter({ $0.role == .admin }).count == 1
        {
            throw AppError.badRequest("You cannot remove your own last admin role")
        }
        try await row.delete(on: request.db)
    }
}

/// A person as the API shows them. Contacts appear only to those the policy lets see the person.
struct UserDTO: Content {
    struct GrantDTO: Content {
        var id: UUID
        var role: Role
        var organisationId: UUID?
    }

    var id: UUID
    var surname: String
    var name: String
    var patronymic: String?
    var email: String?
    var phone: String?
    var emailConfirmed: Bool
    var isActive: Bool
    var grants: [GrantDTO]

    init(_ user: User, grants: [RoleGrant]) throws {
        id = try user.requireID()
        surname = user.surname
        name = user.name
        patronymic = user.patronymic
        email = user.email
        phone = user.phone
        emailConfirmed = user.emailConfirmedAt != nil
        isActive = user.isActive
        self.grants = try grants.map { .init(id: try $0.requireID(), role: $0.role, organisationId: $0.$organisation.id) }
    }
}
