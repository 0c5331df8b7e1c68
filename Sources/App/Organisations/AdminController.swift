import Domain
import Fluent
import Vapor

/// The administration pages: organisations (tree, create, edit), their staff, people and roles.
/// Every handler asks the policy; templates only show what the handler decided.
struct AdminController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let admin = routes.grouped("admin")
        admin.get { request in request.seeOther("/admin/organisations") }
        admin.get("organisations", use: list)
        admin.get("organisations", "new", use: newForm)
        admin.post("organisations", use: create)
        admin.get("organisations", ":id", use: show)
        admin.post("organisations", ":id", use: update)
        admin.get("organisations", ":id", "staff", "new", use: newStaffForm)
        admin.post("organisations", ":id", "staff", use: createStaff)
        admin.get("territories", use: territories)
        admin.post("territories", use: createTerritory)
        admin.get("territories", ":id", use: territories)
        admin.post("territories", ":id", use: updateTerritory)
        admin.get("users", ":id", use: showUser)
        admin.post("users", ":id", "grants", use: addGrant)
        admin.post("users", ":id", "grants", ":grantId", "delete", use: removeGrant)
        admin.post("users", ":id", "active", use: setActive)
    }

    // MARK: Organisations

    struct Row: Encodable {
        var id: UUID
        var name: String
        var kind: String
        var depth: Int
        var isActive: Bool
        var territories: String
        var spheres: String
    }

    struct ListPage: Encodable {
        var layout: Layout
        var rows: [Row]
        var canCreate: Bool
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await request.authorizeDirectory()
        let organisations = try await OrganisationQueries.directory(on: request.db)
        let depths = OrganisationQueries.depths(organisations)
        let rows = try organisations.map { organisation in
            let id = try organisation.requireID()
            return Row(
                id: id, name: organisation.name, kind: Strings.title(organisation.kind), depth: depths[id] ?? 0,
                isActive: organisation.isActive,
                territories: organisation.territories.map(\.name).sorted().joined(separator: ", "),
                spheres: organisation.spheres.sorted { $0.position < $1.position }.map(\.name).joined(separator: ", "))
        }
        let actor = try await request.requireActor()
        return try await request.render(
            "admin/organisations",
            ListPage(
                layout: await Layout.make(for: request, title: "Организации"), rows: rows,
                canCreate: Policy.permitsAnywhere(
                    actor, .manageOrganisation, tree: try await OrganisationQueries.tree(on: request.db))))
    }

    struct FormPage: Encodable {
        var layout: Layout
        var id: UUID?
        var values: [String: String]
        var errors: [String: String]
        var kinds: [Choice]
        var parents: [Choice]
        var territories: [Choice]
        var spheres: [Choice]
        var isActive: Bool
        var canEdit: Bool
        var canViewStaff: Bool
        var canManageStaff: Bool
        var staff: [StaffRow]
        var hasErrors: Bool
        var hasStaff: Bool { !staff.isEmpty }

        enum CodingKeys: String, CodingKey {
            case layout, id, values, errors, kinds, parents, territories, spheres, isActive, canEdit, canViewStaff,
                canManageStaff, staff, hasErrors, hasStaff
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(layout, forKey: .layout)
            try container.encodeIfPresent(id, forKey: .id)
            try container.encode(values, forKey: .values)
            try container.encode(errors, forKey: .errors)
            try container.encode(kinds, forKey: .kinds)
            try container.encode(parents, forKey: .parents)
            try container.encode(territories, forKey: .territories)
            try container.encode(spheres, forKey: .spheres)
            try container.encode(isActive, forKey: .isActive)
            try container.encode(canEdit, forKey: .canEdit)
            try container.encode(canViewStaff, forKey: .canViewStaff)
            try container.encode(canManageStaff, forKey: .canManageStaff)
            try container.encode(staff, forKey: .staff)
            try container.encode(hasErrors, forKey: .hasErrors)
            try container.encode(hasStaff, forKey: .hasStaff)
        }
    }

    struct StaffRow: Encodable {
        var id: UUID
        var fullName: String
        var email: String?
        var roles: String
        var isActive: Bool
    }

    /// Builds the organisation form: choices limited to parents the actor may manage.
    private func formPage(
        _ request: Request, organisation: Organisation?, input: OrganisationInput?, failure: ValidationFailure?
    ) async throws -> FormPage {
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        let all = try await OrganisationQueries.directory(on: request.db)
        let depths = OrganisationQueries.depths(all)
        let id = organisation?.id
        let excluded = id.map { tree.descendants(of: $0).union([$0]) } ?? []
        let parentValue = input?.parentId ?? organisation?.$parent.id?.uuidString ?? ""
        var parents = [Choice(value: "", label: "— верхний уровень —", selected: parentValue.isEmpty)]
        for candidate in all {
            guard let candidateID = candidate.id, !excluded.contains(candidateID),
                Policy.permits(actor, .manageOrganisation, in: .organisation(candidateID), tree: tree)
                    || candidateID.uuidString == parentValue
            else { continue }
            parents.append(
                Choice(
                    value: candidateID.uuidString, label: candidate.name, selected: candidateID.uuidString == parentValue,
                    depth: depths[candidateID] ?? 0))
        }
        let kindValue = input?.kind ?? organisation?.kind.rawValue ?? ""
        let kinds = OrganisationKind.allCases.map {
            Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == kindValue)
        }
        let selectedTerritories = Set(input?.territoryIds ?? organisation?.territories.compactMap { $0.id?.uuidString } ?? [])
        let territories = try await OrganisationQueries.territories(on: request.db).map {
            Choice(
                value: $0.id?.uuidString ?? "", label: "\($0.name) (\(Strings.title($0.kind)))",
                selected: selectedTerritories.contains($0.id?.uuidString ?? ""))
        }
        let selectedSpheres = Set(input?.sphereCodes ?? organisation?.spheres.map(\.code) ?? [])
        let spheres = try await OrganisationQueries.spheres(on: request.db).map {
            Choice(value: $0.code, label: $0.name, selected: selectedSpheres.contains($0.code))
        }
        let values: [String: String] = [
            "name": input?.name ?? organisation?.name ?? "",
            "shortName": input?.shortName ?? organisation?.shortName ?? "",
            "inn": input?.inn ?? organisation?.inn ?? "",
            "email": input?.email ?? organisation?.email ?? "",
            "phone": input?.phone ?? organisation?.phone ?? "",
            "address": input?.address ?? organisation?.address ?? "",
        ]
        var canEdit = true
        var canViewStaff = false
        var canManageStaff = false
        var staff: [StaffRow] = []
        if let id {
            canEdit = Policy.permits(actor, .manageOrganisation, in: .organisation(id), tree: tree)
            canViewStaff = Policy.permits(actor, .viewStaff, in: .organisation(id), tree: tree)
            canManageStaff = Policy.permits(actor, .manageStaff, in: .organisation(id), tree: tree)
            if canViewStaff {
                staff = try await StaffQueries.staff(of: id, on: request.db).map {
                    StaffRow(
                        id: try $0.user.requireID(), fullName: $0.user.personName.full, email: $0.user.email,
                        roles: $0.grants.map { Strings.title($0.role) }.joined(separator: ", "),
                        isActive: $0.user.isActive)
                }
            }
        }
        return FormPage(
            layout: await Layout.make(for: request, title: organisation?.name ?? "Новая организация"), id: id,
            values: values, errors: failure.map(FormErrors.russian) ?? [:], kinds: kinds, parents: parents,
            territories: territories, spheres: spheres, isActive: input?.isActive ?? organisation?.isActive ?? true,
            canEdit: canEdit, canViewStaff: canViewStaff, canManageStaff: canManageStaff, staff: staff,
            hasErrors: failure != nil)
    }

    @Sendable
    func newForm(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        guard Policy.permitsAnywhere(actor, .manageOrganisation, tree: tree) else { throw AppError.forbidden }
        var input = OrganisationInput()
        input.parentId = try? request.query.get(String.self, at: "parent")
        return try await request.render(
            "admin/organisation", try await formPage(request, organisation: nil, input: input, failure: nil))
    }

    /// Checkboxes that are unticked are absent from a form, so "active" is read as presence.
    private func decodeForm(_ request: Request) throws -> OrganisationInput {
        var input = try request.content.decode(OrganisationInput.self)
        struct Flags: Content { var isActive: String? }
        input.isActive = (try? request.content.decode(Flags.self))?.isActive != nil
        input.territoryIds = input.territoryIds ?? []
        input.sphereCodes = input.sphereCodes ?? []
        return input
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try decodeForm(request)
        return try await request.submitForm("admin/organisation") {
            let organisation = try await OrganisationService.save(input, existing: nil, on: request)
            return request.seeOther("/admin/organisations/\(try organisation.requireID())", flash: Strings.saved)
        } onInvalid: { failure in
            try await formPage(request, organisation: nil, input: input, failure: failure)
        }
    }

    @Sendable
    func show(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await request.authorizeDirectory()
        let organisation = try await OrganisationQueries.find(request.uuidParameter("id"), on: request.db)
        return try await request.render(
            "admin/organisation", try await formPage(request, organisation: organisation, input: nil, failure: nil))
    }

    @Sendable
    func update(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let organisation = try await OrganisationQueries.find(request.uuidParameter("id"), on: request.db)
        let input = try decodeForm(request)
        return try await request.submitForm("admin/organisation") {
            let saved = try await OrganisationService.save(input, existing: organisation, on: request)
            return request.seeOther("/admin/organisations/\(try saved.requireID())", flash: Strings.saved)
        } onInvalid: { failure in
            try await formPage(request, organisation: organisation, input: input, failure: failure)
        }
    }

    // MARK: Staff

    struct StaffFormPage: Encodable {
        var layout: Layout
        var organisationID: UUID
        var organisationName: String
        var values: [String: String]
        var errors: [String: String]
        var roles: [Choice]
    }

    private func staffForm(
        _ request: Request, organisation: Organisation, input: StaffInput?, failure: ValidationFailure?
    ) async throws -> StaffFormPage {
        let selected = Set(input?.roles ?? [])
        return StaffFormPage(
            layout: await Layout.make(for: request, title: "Новый сотрудник"), organisationID: try organisation.requireID(),
            organisationName: organisation.name,
            values: [
                "surname": input?.surname ?? "", "name": input?.name ?? "", "patronymic": input?.patronymic ?? "",
                "email": input?.email ?? "", "phone": input?.phone ?? "",
            ],
            errors: failure.map(FormErrors.russian) ?? [:],
            roles: Role.allCases.filter(\.isStaff).map {
                Choice(value: $0.rawValue, label: Strings.title($0), selected: selected.contains($0.rawValue))
            })
    }

    @Sendable
    func newStaffForm(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let organisation = try await OrganisationQueries.find(request.uuidParameter("id"), on: request.db)
        try await request.authorize(.manageStaff, in: .organisation(organisation.requireID()))
        return try await request.render(
            "admin/staff-new", try await staffForm(request, organisation: organisation, input: nil, failure: nil))
    }

    @Sendable
    func createStaff(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let organisation = try await OrganisationQueries.find(request.uuidParameter("id"), on: request.db)
        var input = try request.content.decode(StaffInput.self)
        input.organisationId = try organisation.requireID().uuidString
        input.roles = input.roles ?? []
        return try await request.submitForm("admin/staff-new") {
            let user = try await StaffService.create(input, on: request)
            return request.seeOther("/admin/users/\(try user.requireID())", flash: Strings.saved)
        } onInvalid: { failure in
            try await staffForm(request, organisation: organisation, input: input, failure: failure)
        }
    }

    // MARK: Territories

    struct TerritoriesPage: Encodable {
        struct Row: Encodable {
            var id: UUID
            var code: String
            var name: String
            var kind: String
            var parent: String?
        }

        var layout: Layout
        var rows: [Row]
        var editing: UUID?
        var values: [String: String]
        var errors: [String: String]
        var kinds: [Choice]
        var parents: [Choice]
        var canEdit: Bool
        var hasErrors: Bool
    }

    private func territoriesPage(
        _ request: Request, editing: Territory?, input: TerritoryInput?, failure: ValidationFailure?
    ) async throws -> TerritoriesPage {
        try await request.authorizeDirectory()
        let all = try await OrganisationQueries.territories(on: request.db)
        let names = Dictionary(uniqueKeysWithValues: all.compactMap { item in item.id.map { ($0, item.name) } })
        let rows = try all.map {
            TerritoriesPage.Row(
                id: try $0.requireID(), code: $0.code, name: $0.name, kind: Strings.title($0.kind),
                parent: $0.$parent.id.flatMap { names[$0] })
        }
        let kindValue = input?.kind ?? editing?.kind.rawValue ?? TerritoryKind.settlement.rawValue
        let parentValue = input?.parentId ?? editing?.$parent.id?.uuidString ?? ""
        var parents = [Choice(value: "", label: "— нет —", selected: parentValue.isEmpty)]
        for territory in all where territory.kind != .settlement && territory.id != editing?.id {
            let value = territory.id?.uuidString ?? ""
            parents.append(Choice(value: value, label: territory.name, selected: value == parentValue))
        }
        return TerritoriesPage(
            layout: await Layout.make(for: request, title: "Территории"), rows: rows, editing: editing?.id,
            values: [
                "code": input?.code ?? editing?.code ?? "", "name": input?.name ?? editing?.name ?? "",
            ],
            errors: failure.map(FormErrors.russian) ?? [:],
            kinds: TerritoryKind.allCases.map {
                Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == kindValue)
            },
            parents: parents, canEdit: try await request.permits(.manageReferenceData, in: .platform),
            hasErrors: failure != nil)
    }

    /// The list of territories with a form: empty for a new one, or filled for `/admin/territories/:id`.
    @Sendable
    func territories(request: Request) async throws -> Response {
        _ = try request.requireUser()
        var editing: Territory?
        if request.parameters.get("id") != nil {
            let found = try await request.model(Territory.self, "id")
            editing = found
        }
        return try await request.render(
            "admin/territories", try await territoriesPage(request, editing: editing, input: nil, failure: nil))
    }

    @Sendable
    func createTerritory(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try request.content.decode(TerritoryInput.self)
        return try await request.submitForm("admin/territories") {
            _ = try await TerritoryService.save(input, existing: nil, on: request)
            return request.seeOther("/admin/territories", flash: Strings.saved)
        } onInvalid: { failure in
            try await territoriesPage(request, editing: nil, input: input, failure: failure)
        }
    }

    @Sendable
    func updateTerritory(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let existing = try await request.model(Territory.self, "id")
        let input = try request.content.decode(TerritoryInput.self)
        return try await request.submitForm("admin/territories") {
            _ = try await TerritoryService.save(input, existing: existing, on: request)
            return request.seeOther("/admin/territories", flash: Strings.saved)
        } onInvalid: { failure in
            try await territoriesPage(request, editing: existing, input: input, failure: failure)
        }
    }

    // MARK: People

    struct UserPage: Encodable {
        struct GrantRow: Encodable {
            var id: UUID
            var role: String
            var organisation: String
            var canRevoke: Bool
        }

        var layout: Layout
        var id: UUID
        var fullName: String
        var email: String?
        var phone: String?
        var emailConfirmed: Bool
        var isActive: Bool
        var grants: [GrantRow]
        var roles: [Choice]
        var organisations: [Choice]
        var canGrant: Bool
        var canBlock: Bool
        var errors: [String: String]
    }

    private func userPage(_ request: Request, user: User, failure: ValidationFailure? = nil) async throws -> UserPage {
        try await StaffService.authorizeView(user, on: request)
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        let grants = try await RoleGrant.query(on: request.db)
            .filter(\.$user.$id == user.requireID()).with(\.$organisation).all()
        let current = grants.map(\.grant)
        let rows = try grants.sorted { $0.role < $1.role }.map {
            UserPage.GrantRow(
                id: try $0.requireID(), role: Strings.title($0.role),
                organisation: $0.organisation?.name ?? "вся платформа",
                canRevoke: Policy.mayAssign($0.grant, to: current, actor: actor, tree: tree))
        }
        let all = try await OrganisationQueries.directory(on: request.db)
        let depths = OrganisationQueries.depths(all)
        var organisations: [Choice] = []
        if Policy.isPlatformAdmin(actor) {
            organisations.append(Choice(value: "", label: "— вся платформа —", selected: false))
        }
        for organisation in all {
            guard let id = organisation.id,
                Policy.mayAssign(Grant(role: .executor, organisationID: id), to: current, actor: actor, tree: tree)
            else { continue }
            organisations.append(Choice(value: id.uuidString, label: organisation.name, selected: false, depth: depths[id] ?? 0))
        }
        let canBlock = StaffService.mayBlock(actor: actor, target: try user.requireID(), grants: current, tree: tree)
        return UserPage(
            layout: await Layout.make(for: request, title: user.personName.full), id: try user.requireID(),
            fullName: user.personName.full, email: user.email, phone: user.phone,
            emailConfirmed: user.emailConfirmedAt != nil, isActive: user.isActive, grants: rows,
            roles: Role.allCases.filter(\.isStaff).map { Choice(value: $0.rawValue, label: Strings.title($0), selected: false) },
            organisations: organisations, canGrant: !organisations.isEmpty, canBlock: canBlock,
            errors: failure.map(FormErrors.russian) ?? [:])
    }

    @Sendable
    func showUser(request: Request) async throws -> Response {
        let user = try await request.findUser()
        return try await request.render("admin/user", try await userPage(request, user: user))
    }

    @Sendable
    func addGrant(request: Request) async throws -> Response {
        let user = try await request.findUser()
        return try await request.submitForm("admin/user") {
            _ = try await StaffService.addGrant(try request.content.decode(GrantInput.self), to: user, on: request)
            return request.seeOther("/admin/users/\(try user.requireID())", flash: Strings.saved)
        } onInvalid: { failure in
            try await userPage(request, user: user, failure: failure)
        }
    }

    @Sendable
    func removeGrant(request: Request) async throws -> Response {
        let user = try await request.findUser()
        try await StaffService.removeGrant(try request.uuidParameter("grantId"), from: user, on: request)
        return request.seeOther("/admin/users/\(try user.requireID())", flash: Strings.saved)
    }

    @Sendable
    func setActive(request: Request) async throws -> Response {
        let user = try await request.findUser()
        struct Form: Content { var active: String? }
        let active = (try? request.content.decode(Form.self))?.active == "1"
        try await StaffService.setActive(user, active: active, on: request)
        return request.seeOther("/admin/users/\(try user.requireID())", flash: Strings.saved)
    }
}
