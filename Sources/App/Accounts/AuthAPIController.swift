import Domain
import Fluent
import Vapor

/// `/api/v1/auth`: citizen registration and bearer tokens for apps.
struct AuthAPIController: RouteCollection {
    struct RegisterBody: Content {
        var surname: String?
        var name: String?
        var patronymic: String?
        var email: String?
        var phone: String?
        var password: String?
        var consent: Bool?
    }

    struct TokenBody: Content {
        var login: String?
        var password: String?
    }

    struct TokenResponse: Content {
        var token: String
        var tokenType = "Bearer"
        var expiresAt: Date
        var user: UserDTO
    }

    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("auth")
        auth.grouped(RateLimitMiddleware(.registration)).post("register", use: register).document(.init(
            "Регистрация гражданина", description: "Создаёт учётную запись гражданина (согласие на обработку персональных данных обязательно).",
            access: .open, body: RegisterBody.self, status: 201, response: UserDTO.self))
        auth.post("token", use: token).idempotency(.none).document(.init(
            "Вход: выдать токен", description: "Логин — адрес почты или телефон. Токен передаётся в заголовке Authorization: Bearer.",
            access: .open, body: TokenBody.self))
        auth.delete("token", use: revoke).document(.init("Выход: отозвать токен, с которым сделан запрос", status: 204))
        routes.get("me", use: me).document(.init("Текущий пользователь и его роли"))
    }

    @Sendable
    func register(request: Request) async throws -> Response {
        let body = try request.content.decode(RegisterBody.self)
        let input = RegistrationInput(
            surname: body.surname, name: body.name, patronymic: body.patronymic, email: body.email, phone: body.phone,
            password: body.password, passwordConfirm: nil, consent: body.consent ?? false)
        let user = try await AccountService.registerCitizen(input, requireConfirmation: false, on: request)
        let grants = try await user.$grants.get(on: request.db)
        let response = try await UserDTO(user, grants: grants).encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/me")
        return response
    }

    @Sendable
    func token(request: Request) async throws -> TokenResponse {
        let body = try request.content.decode(TokenBody.self)
        var errors = FieldErrors()
        if body.login?.nonBlank == nil { errors.add("login", .required) }
        if (body.password ?? "").isEmpty { errors.add("password", .required) }
        try errors.throwIfAny()
        let user = try await AccountService.authenticate(login: body.login!, password: body.password!, on: request)
        let issued = try await AccountService.issueToken(for: user, on: request)
        let grants = try await user.$grants.get(on: request.db)
        return TokenResponse(token: issued.token, expiresAt: issued.expiresAt, user: try UserDTO(user, grants: grants))
    }

    /// Revokes the token the request was made with.
    @Sendable
    func revoke(request: Request) async throws -> HTTPStatus {
        _ = try request.requireUser()
        guard let token = request.storage[CurrentTokenKey.self] else { throw AppError.unauthenticated }
        token.revokedAt = request.now
        try await token.update(on: request.db)
        return .noContent
    }

    @Sendable
    func me(request: Request) async throws -> UserDTO {
        let user = try request.requireUser()
        return try UserDTO(user, grants: try await user.$grants.get(on: request.db))
    }
}

/// `/api/v1/organisations`, `/territories`, `/spheres`, `/users`: the directory and staff management.
struct DirectoryAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("organisations", use: listOrganisations).document(.init("Справочник организаций (для сотрудников)"))
        routes.post("organisations", use: createOrganisation).document(.init(
            "Создать организацию", body: OrganisationInput.self, status: 201, response: OrganisationDTO.self))
        routes.get("organisations", ":id", use: showOrganisation).document(.init("Организация", uuid: ["id"]))
        routes.patch("organisations", ":id", use: updateOrganisation).document(.init(
            "Изменить организацию (пропущенные поля не меняются)", body: OrganisationInput.self, uuid: ["id"]))
        routes.get("organisations", ":id", "staff", use: listStaff).document(.init("Сотрудники организации", uuid: ["id"]))
        routes.get("territories", use: listTerritories).document(.init("Справочник территорий"))
        routes.post("territories", use: createTerritory).document(.init(
            "Создать территорию", body: TerritoryInput.self, status: 201, response: TerritoryDTO.self))
        routes.patch("territories", ":id", use: updateTerritory).document(.init(
            "Изменить территорию", body: TerritoryInput.self, uuid: ["id"]))
        routes.get("spheres", use: listSpheres).document(.init("Сферы защиты прав потребителей", access: .open))
        routes.post("staff", use: createStaff).document(.init(
            "Создать учётную запись сотрудника", body: StaffInput.self, status: 201, response: UserDTO.self))
        routes.get("users", ":id", use: showUser).document(.init("Пользователь", uuid: ["id"]))
        routes.patch("users", ":id", use: updateUser).document(.init(
            "Изменить пользователя (блокировка, контакты)", body: UserPatch.self, uuid: ["id"]))
        routes.post("users", ":id", "grants", use: addGrant).document(.init(
            "Выдать роль в организации", body: GrantInput.self, status: 201, response: UserDTO.GrantDTO.self, uuid: ["id"]))
        routes.delete("users", ":id", "grants", ":grantId", use: removeGrant).document(.init(
            "Отозвать роль", status: 204, uuid: ["id", "grantId"]))
    }

    @Sendable
    func listOrganisations(request: Request) async throws -> [OrganisationDTO] {
        try await request.authorizeDirectory()
        return try await OrganisationQueries.directory(on: request.db).map(OrganisationDTO.init)
    }

    @Sendable
    func showOrganisation(request: Request) async throws -> OrganisationDTO {
        try await request.authorizeDirectory()
        return try OrganisationDTO(try await OrganisationQueries.find(request.uuidParameter("id"), on: request.db))
    }

    @Sendable
    func createOrganisation(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try request.content.decode(OrganisationInput.self)
        let organisation = try await OrganisationService.save(input, existing: nil, on: request)
        let response = try await OrganisationDTO(organisation).encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/organisations/\(try organisation.requireID())")
        return response
    }

    @Sendable
    func updateOrganisation(request: Request) async throws -> OrganisationDTO {
        _ = try request.requireUser()
        let existing = try await OrganisationQueries.find(request.uuidParameter("id"), on: request.db)
        var input = try request.content.decode(OrganisationInput.self)
        // PATCH: fields left out keep their values.
        input.name = input.name ?? existing.name
        input.shortName = input.shortName ?? existing.shortName
        input.kind = input.kind ?? existing.kind.rawValue
        input.parentId = input.parentId ?? existing.$parent.id?.uuidString
        input.inn = input.inn ?? existing.inn
        input.email = input.email ?? existing.email
        input.phone = input.phone ?? existing.phone
        input.address = input.address ?? existing.address
        input.territoryIds = try input.territoryIds ?? existing.territories.map { try $0.requireID().uuidString }
        input.sphereCodes = input.sphereCodes ?? existing.spheres.map(\.code)
        return try OrganisationDTO(try await OrganisationService.save(input, existing: existing, on: request))
    }

    @Sendable
    func listStaff(request: Request) async throws -> [UserDTO] {
        let id = try request.uuidParameter("id")
        try await request.authorize(.viewStaff, in: .organisation(id))
        return try await StaffQueries.staff(of: id, on: request.db).map { try UserDTO($0.user, grants: $0.grants) }
    }

    @Sendable
    func listTerritories(request: Request) async throws -> [TerritoryDTO] {
        try await request.authorizeDirectory()
        return try await OrganisationQueries.territories(on: request.db).map(TerritoryDTO.init)
    }

    @Sendable
    func createTerritory(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let territory = try await TerritoryService.save(
            try request.content.decode(TerritoryInput.self), existing: nil, on: request)
        return try await TerritoryDTO(territory).encodeResponse(status: .created, for: request)
    }

    @Sendable
    func updateTerritory(request: Request) async throws -> TerritoryDTO {
        _ = try request.requireUser()
        let existing = try await request.model(Territory.self, "id")
        var input = try request.content.decode(TerritoryInput.self)
        input.code = input.code ?? existing.code
        input.name = input.name ?? existing.name
        input.kind = input.kind ?? existing.kind.rawValue
        input.parentId = input.parentId ?? existing.$parent.id?.uuidString
        return try TerritoryDTO(try await TerritoryService.save(input, existing: existing, on: request))
    }

    @Sendable
    func listSpheres(request: Request) async throws -> [SphereDTO] {
        try await OrganisationQueries.spheres(on: request.db).map { SphereDTO(code: $0.code, name: $0.name) }
    }

    @Sendable
    func createStaff(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let user = try await StaffService.create(try request.content.decode(StaffInput.self), on: request)
        let grants = try await user.$grants.get(on: request.db)
        return try await UserDTO(user, grants: grants).encodeResponse(status: .created, for: request)
    }

    @Sendable
    func showUser(request: Request) async throws -> UserDTO {
        let user = try await request.findUser()
        try await StaffService.authorizeView(user, on: request)
        return try UserDTO(user, grants: try await user.$grants.get(on: request.db))
    }

    struct UserPatch: Content {
        var isActive: Bool?
    }

    @Sendable
    func updateUser(request: Request) async throws -> UserDTO {
        let user = try await request.findUser()
        let patch = try request.content.decode(UserPatch.self)
        if let active = patch.isActive { try await StaffService.setActive(user, active: active, on: request) }
        else { try await StaffService.authorizeView(user, on: request) }
        return try UserDTO(user, grants: try await user.$grants.get(on: request.db))
    }

    @Sendable
    func addGrant(request: Request) async throws -> Response {
        let user = try await request.findUser()
        let grant = try await StaffService.addGrant(try request.content.decode(GrantInput.self), to: user, on: request)
        return try await UserDTO.GrantDTO(id: try grant.requireID(), role: grant.role, organisationId: grant.$organisation.id)
            .encodeResponse(status: .created, for: request)
    }

    @Sendable
    func removeGrant(request: Request) async throws -> HTTPStatus {
        let user = try await request.findUser()
        try await StaffService.removeGrant(try request.uuidParameter("grantId"), from: user, on: request)
        return .noContent
    }
}

extension Request {
    func uuidParameter(_ name: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else { throw AppError.notFound }
        return id
    }

    /// The model named by a UUID path parameter, or 404.
    func model<M: Model>(_ type: M.Type, _ parameter: String) async throws -> M where M.IDValue == UUID {
        guard let found = try await M.find(try uuidParameter(parameter), on: db) else { throw AppError.notFound }
        return found
    }

    /// The user named by the `:id` path parameter; 401 before 404 so strangers learn nothing.
    func findUser() async throws -> User {
        _ = try requireUser()
        return try await model(User.self, "id")
    }

    /// The directory is for staff: the policy lets any staff role anywhere read it.
    func authorizeDirectory() async throws {
        let actor = try await requireActor()
        let tree = try await OrganisationQueries.tree(on: db)
        guard Policy.permitsAnywhere(actor, .viewOrganisations, tree: tree) else { throw AppError.forbidden }
    }
}
