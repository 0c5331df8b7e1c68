import Domain
import Fluent
import Vapor

/// `/admin/widget`: the sites allowed to embed the submission widget, and the code each organisation
/// puts on its site.
struct WidgetSitesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let sites = routes.grouped("admin", "widget")
        sites.get(use: list)
        sites.post(use: add)
        sites.post(":id", "delete", use: remove)
    }

    struct Row: Encodable {
        var id: UUID
        var origin: String
        var organisation: String
    }

    struct Snippet: Encodable {
        var organisation: String
        var code: String
    }

    struct Page: Encodable {
        var layout: Layout
        var rows: [Row]
        var organisations: [Choice]
        var snippets: [Snippet]
        var values: [String: String]
        var errors: [String: String]
        var hasErrors: Bool
    }

    struct Input: Content {
        var origin: String?
        var organisationId: String?
    }

    private func authorize(_ request: Request) async throws {
        _ = try request.requireUser()
        try await request.authorize(.manageReferenceData, in: .platform)
    }

    private func page(_ request: Request, input: Input? = nil, failure: ValidationFailure? = nil) async throws -> Page {
        let organisations = try await Organisation.query(on: request.db).filter(\.$isActive == true).sort(\.$name).all()
        let names = Dictionary(uniqueKeysWithValues: organisations.compactMap { o in o.id.map { ($0, o.name) } })
        let sites = try await WidgetSite.query(on: request.db).sort(\.$origin).all()
        let chosen = input?.organisationId ?? ""
        let base = request.application.config.publicURL
        return Page(
            layout: await Layout.make(for: request, title: "Виджет для сайтов"),
            rows: sites.compactMap { site in
                site.id.map { Row(id: $0, origin: site.origin, organisation: site.$organisation.id.flatMap { names[$0] } ?? "любая организация") }
            },
            organisations: [Choice(value: "", label: "— любая организация —", selected: chosen.isEmpty)]
                + organisations.compactMap { o in
                    o.id.map { Choice(value: $0.uuidString, label: o.name, selected: $0.uuidString == chosen) }
                },
            snippets: organisations.compactMap { o in
                o.id.map { Snippet(organisation: o.name, code: "<script src=\"\(base)/widget.js\" data-org=\"\($0.uuidString)\" async></script>") }
            },
            values: ["origin": input?.origin ?? ""], errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil)
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        try await authorize(request)
        return try await request.render("admin/widget", try await page(request))
    }

    @Sendable
    func add(request: Request) async throws -> Response {
        try await authorize(request)
        let input = try request.content.decode(Input.self)
        return try await request.submitForm("admin/widget") {
            var errors = FieldErrors()
            let origin = input.origin?.nonBlank.flatMap(WidgetRules.origin)
            if input.origin?.nonBlank == nil { errors.add("origin", .required) } else if origin == nil { errors.add("origin", .invalidValue) }
            var organisation: UUID?
            if let raw = input.organisationId?.nonBlank {
                organisation = UUID(uuidString: raw)
                let found = try await Organisation.find(organisation, on: request.db)
                if found == nil { errors.add("organisationId", .notFound) }
            }
            if let origin, try await WidgetSite.query(on: request.db).filter(\.$origin == origin).first() != nil {
                errors.add("origin", .taken)
            }
            try errors.throwIfAny()
            let site = WidgetSite()
            site.origin = origin!
            site.$organisation.id = organisation
            site.createdAt = request.now
            site.createdBy = try request.requireUser().id
            try await site.create(on: request.db)
            return request.seeOther("/admin/widget", flash: "Сайт \(origin!) может встраивать форму.")
        } onInvalid: { failure in
            try await page(request, input: input, failure: failure)
        }
    }

    @Sendable
    func remove(request: Request) async throws -> Response {
        try await authorize(request)
        let site = try await request.model(WidgetSite.self, "id")
        try await site.delete(on: request.db)
        return request.seeOther("/admin/widget", flash: "Сайт \(site.origin) больше не может встраивать форму.")
    }
}
