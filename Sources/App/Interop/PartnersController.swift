import Domain
import Fluent
import SQLKit
import Vapor

/// `/admin/partners`: the applications allowed to file appeals over Open311. The admin issues a key
/// (shown once, on the page that answers the form) and revokes it; the list shows each key's first
/// characters, when it was issued and whether it still works.
struct PartnersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let partners = routes.grouped("admin", "partners")
        partners.get(use: list)
        partners.post(use: issue)
        partners.post(":id", "revoke", use: revoke)
    }

    struct Row: Encodable {
        var id: UUID
        var name: String
        var contact: String
        var hint: String
        var issued: String
        var revoked: String?
        var appeals: Int
    }

    struct Page: Encodable {
        var layout: Layout
        var rows: [Row]
        var values: [String: String]
        var errors: [String: String]
        var hasErrors: Bool
        /// The key just issued: shown this once.
        var issuedKey: String?
        var issuedName: String?
        var endpoint: String
    }

    private func authorize(_ request: Request) async throws {
        _ = try request.requireUser()
        try await request.authorize(.manageReferenceData, in: .platform)
    }

    private func page(
        _ request: Request, values: [String: String] = [:], failure: ValidationFailure? = nil, issued: (String, String)? = nil
    ) async throws -> Page {
        let apps = try await PartnerApp.query(on: request.db).sort(\.$createdAt, .descending).all()
        var counts: [UUID: Int] = [:]
        if let sql = request.db as? any SQLDatabase {
            let rows = try await sql.raw(
                "SELECT partner_app_id, COUNT(*) AS n FROM appeals WHERE partner_app_id IS NOT NULL GROUP BY partner_app_id").all()
            for row in rows { counts[try row.decode(column: "partner_app_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self) }
        }
        return Page(
            layout: await Layout.make(for: request, title: "Партнёрские приложения (Open311)"),
            rows: apps.compactMap { app in
                guard let id = app.id else { return nil }
                return Row(
                    id: id, name: app.name, contact: app.contact ?? "", hint: app.keyHint + "…",
                    issued: Strings.dateTime(app.createdAt), revoked: app.revokedAt.map(Strings.dateTime),
                    appeals: counts[id] ?? 0)
            },
            values: values, errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            issuedKey: issued?.1, issuedName: issued?.0, endpoint: request.application.config.publicURL + "/open311/v2/discovery.xml")
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        try await authorize(request)
        return try await request.render("admin/partners", try await page(request))
    }

    struct Input: Content {
        var name: String?
        var contact: String?
    }

    @Sendable
    func issue(request: Request) async throws -> Response {
        try await authorize(request)
        let input = try request.content.decode(Input.self)
        let values = ["name": input.name ?? "", "contact": input.contact ?? ""]
        return try await request.submitForm("admin/partners") {
            let (app, key) = try await PartnerApps.issue(
                name: input.name, contact: input.contact, by: try request.requireUser().id, now: request.now, on: request.db)
            // Not a redirect: the key must not travel in a URL or a cookie, and is shown only here.
            let response = try await request.render("admin/partners", try await page(request, issued: (app.name, key)), status: .created)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        } onInvalid: { failure in
            try await page(request, values: values, failure: failure)
        }
    }

    @Sendable
    func revoke(request: Request) async throws -> Response {
        try await authorize(request)
        guard let id = request.parameters.get("id", as: UUID.self) else { throw Abort(.notFound) }
        try await PartnerApps.revoke(id, now: request.now, on: request.db)
        return request.seeOther("/admin/partners", flash: "Ключ отозван: приложение больше не может подавать обращения.")
    }
}
