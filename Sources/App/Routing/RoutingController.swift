import Domain
import Fluent
import Vapor

struct RoutingRuleDTO: Content {
    var id: UUID
    var categoryCode: String?
    var subcategoryCode: String?
    var territoryId: UUID?
    var organisationId: UUID

    init(_ row: RoutingRuleRow) throws {
        id = try row.requireID()
        categoryCode = row.categoryCode
        subcategoryCode = row.subcategoryCode
        territoryId = row.$territory.id
        organisationId = row.$organisation.id
    }
}

/// `/api/v1/routing-rules` (admins) and `/api/v1/routing/resolve` (staff).
struct RoutingAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("routing-rules", use: list).document(.init("Правила маршрутизации обращений"))
        routes.post("routing-rules", use: create).document(.init(
            "Добавить правило маршрутизации", body: RoutingRuleInput.self, status: 201, response: RoutingRuleDTO.self))
        routes.delete("routing-rules", ":id", use: delete).document(.init("Удалить правило", status: 204, uuid: ["id"]))
        routes.get("routing", "resolve", use: resolve).document(.init(
            "Куда направится обращение",
            description: "organisationId — единственный исполнитель; candidates — несколько подходящих правил.",
            query: [
                .init(name: "subcategory", schema: ["type": "string"], description: "Код подкатегории", required: true),
                .init(name: "territory", schema: ["type": "string", "format": "uuid"], description: "Территория", required: true),
            ]))
    }

    @Sendable
    func list(request: Request) async throws -> [RoutingRuleDTO] {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
        return try await RoutingRuleRow.query(on: request.db).all().map(RoutingRuleDTO.init)
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let row = try await RoutingService.create(try request.content.decode(RoutingRuleInput.self), on: request)
        return try await RoutingRuleDTO(row).encodeResponse(status: .created, for: request)
    }

    @Sendable
    func delete(request: Request) async throws -> HTTPStatus {
        _ = try request.requireUser()
        try await RoutingService.delete(try request.uuidParameter("id"), on: request)
        return .noContent
    }

    struct Resolved: Content {
        var organisationId: UUID?
        var candidates: [UUID]?
    }

    @Sendable
    func resolve(request: Request) async throws -> Resolved {
        _ = try request.requireUser()
        try await request.authorizeDirectory()
        var errors = FieldErrors()
        let subcategory = (try? request.query.get(String.self, at: "subcategory"))?.nonBlank
        let territory = (try? request.query.get(String.self, at: "territory")).flatMap(UUID.init(uuidString:))
        if subcategory == nil { errors.add("subcategory", .required) }
        if territory == nil { errors.add("territory", .required) }
        try errors.throwIfAny()
        switch try await RoutingService.resolve(subcategoryCode: subcategory!, territoryID: territory!, on: request) {
        case .organisation(let id): return Resolved(organisationId: id)
        case .none: return Resolved()
        case .ambiguous(let ids): return Resolved(candidates: ids)
        }
    }
}

/// `/admin/routing`: the rules in words, add and remove them, and check where an appeal would go.
struct RoutingAdminController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let admin = routes.grouped("admin", "routing")
        admin.get(use: page)
        admin.post(use: create)
        admin.post(":id", "delete", use: delete)
    }

    struct Page: Encodable {
        struct Row: Encodable {
            var id: UUID
            var subject: String
            var territory: String
            var organisation: String
        }

        struct Group: Encodable {
            var label: String
            var options: [Choice]
        }

        var layout: Layout
        var rows: [Row]
        var categories: [Choice]
        var subcategories: [Group]
        var territories: [Choice]
        var organisations: [Choice]
        var errors: [String: String]
        var hasErrors: Bool
        var check: String?
    }

    private func page(_ request: Request, failure: ValidationFailure? = nil, check: String? = nil) async throws -> Page {
        let db = request.db
        let categories = try await Category.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let subcategories = try await Subcategory.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let territories = try await OrganisationQueries.territories(on: db)
        let organisations = try await OrganisationQueries.directory(on: db)
        let categoryNames = Dictionary(uniqueKeysWithValues: categories.map { ($0.code, $0.name) })
        let subcategoryNames = Dictionary(uniqueKeysWithValues: subcategories.map { ($0.code, $0.name) })
        let territoryNames = Dictionary(uniqueKeysWithValues: territories.compactMap { t in t.id.map { ($0, t.name) } })
        let organisationNames = Dictionary(uniqueKeysWithValues: organisations.compactMap { o in o.id.map { ($0, o.shortName) } })
        let rows = try await RoutingRuleRow.query(on: db).all().map { row in
            let subject =
                row.subcategoryCode.map { "Подкатегория «\(subcategoryNames[$0] ?? $0)»" }
                ?? row.categoryCode.map { "Категория «\(categoryNames[$0] ?? $0)»" } ?? "Любая тема"
            return Page.Row(
                id: try row.requireID(), subject: subject,
                territory: row.$territory.id.flatMap { territoryNames[$0] } ?? "Вся область",
                organisation: organisationNames[row.$organisation.id] ?? "—")
        }.sorted { ($0.subject, $0.territory) < ($1.subject, $1.territory) }
        let byCategory = Dictionary(grouping: subcategories, by: { $0.$category.id })
        return Page(
            layout: await Layout.make(for: request, title: "Маршрутизация"), rows: rows,
            categories: [Choice(value: "", label: "— любая —", selected: true)]
                + categories.map { Choice(value: $0.code, label: $0.name, selected: false) },
            subcategories: categories.map { category in
                Page.Group(
                    label: category.name,
                    options: (category.id.flatMap { byCategory[$0] } ?? []).map {
                        Choice(value: $0.code, label: $0.name, selected: false)
                    })
            },
            territories: [Choice(value: "", label: "— вся область —", selected: true)]
                + territories.map { Choice(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) },
            organisations: organisations.map { Choice(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) },
            errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil, check: check)
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await request.authorize(.manageClassifier, in: .platform)
        var check: String?
        if let sub = (try? request.query.get(String.self, at: "subcategory"))?.nonBlank,
            let territory = (try? request.query.get(String.self, at: "territory")).flatMap(UUID.init(uuidString:))
        {
            switch try await RoutingService.resolve(subcategoryCode: sub, territoryID: territory, on: request) {
            case .organisation(let id): check = "Обращение направится в: " + (try await Organisation.find(id, on: request.db)?.name ?? "—")
            case .none: check = "Ни одно правило не подходит."
            case .ambiguous: check = "Правила противоречат друг другу."
            }
        }
        return try await request.render("admin/routing", try await page(request, check: check))
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try request.content.decode(RoutingRuleInput.self)
        return try await request.submitForm("admin/routing") {
            _ = try await RoutingService.create(input, on: request)
            return request.seeOther("/admin/routing", flash: Strings.saved)
        } onInvalid: { failure in
            try await page(request, failure: failure)
        }
    }

    @Sendable
    func delete(request: Request) async throws -> Response {
        _ = try request.requireUser()
        try await RoutingService.delete(try request.uuidParameter("id"), on: request)
        return request.seeOther("/admin/routing", flash: Strings.saved)
    }
}
