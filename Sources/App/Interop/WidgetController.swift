import Domain
import Fluent
import Foundation
import Vapor

/// A site allowed to embed the widget.
final class WidgetSite: Model, @unchecked Sendable {
    static let schema = "widget_sites"

    @ID(key: .id) var id: UUID?
    @Field(key: "origin") var origin: String
    @OptionalParent(key: "organisation_id") var organisation: Organisation?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "created_by") var createdBy: UUID?

    init() {}
}

/// The submission form inside the widget's frame (`/widget.js` draws the button and opens it; issue 9
/// item 2). No account and no session: the applicant gives a name and an e-mail as 59-ФЗ asks, the card
/// is preset to the organisation's territories, and the appeal records channel «виджет» and the site
/// it was filed on. Only sites the admin allowed may frame it (CSP `frame-ancestors`); a form post must
/// come from the frame itself (its `Origin` is this server), which is the CSRF defence without cookies a
/// third-party frame would not get.
struct WidgetController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("widget", "form", use: form)
        routes.grouped(RateLimitMiddleware(.submissions)).on(.POST, "widget", "form", body: .collect(maxSize: "64kb"), use: submit)
    }

    struct Question: Encodable {
        var code: String
        var label: String
        var required: Bool
        var value: String
        var error: String?
        var isText: Bool
        var isNumber: Bool
        var isDate: Bool
        var options: [Choice]
    }

    struct Group: Encodable {
        var name: String
        var items: [Choice]
    }

    struct Page: Encodable {
        var title: String
        var organisation: String?
        var org: String
        var site: String
        /// One of: choose, card, done, refused.
        var step: String
        var message: String?
        var groups: [Group]
        var subcategoryCode: String
        var subcategoryName: String
        var term: String
        var territories: [Choice]
        /// The organisation serves one territory: it is the appeal's, with nothing to choose.
        var presetTerritory: String?
        var questions: [Question]
        var values: [String: String]
        var errors: [String: String]
        var hasErrors: Bool
        var consent: Bool
        var number: String?
        var due: String?
    }

    /// What a request to the frame is about: the organisation and the embedding site, both checked.
    private struct Context {
        var organisation: Organisation
        var site: String
        var allowed: [String]
    }

    private enum Refusal: Error {
        case unknownOrganisation
        case siteNotAllowed
    }

    /// The sites allowed to frame the organisation's widget: its own and those serving everyone.
    private static func allowedOrigins(for organisation: UUID, on db: any Database) async throws -> [String] {
        try await WidgetSite.query(on: db)
            .group(.or) { $0.filter(\.$organisation.$id == organisation).filter(\.$organisation.$id == nil) }
            .all().map(\.origin)
    }

    private static func context(_ request: Request, org: String?, site: String?) async throws -> Context {
        guard let org, let id = UUID(uuidString: org), let organisation = try await Organisation.query(on: request.db)
            .filter(\.$id == id).filter(\.$isActive == true).with(\.$territories).first()
        else { throw Refusal.unknownOrganisation }
        let allowed = try await allowedOrigins(for: id, on: request.db)
        guard let site = site.flatMap(WidgetRules.origin), allowed.contains(site) else { throw Refusal.siteNotAllowed }
        return Context(organisation: organisation, site: site, allowed: allowed)
    }

    /// The frame's page with the policy that lets the allowed sites (and only they) frame it.
    private static func render(_ request: Request, _ page: Page, allowed: [String], status: HTTPResponseStatus = .ok) async throws -> Response {
        let response = try await request.view.render("widget/form", page).encodeResponse(status: status, for: request)
        response.headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: SecurityHeadersMiddleware.contentSecurityPolicy(frameAncestors: WidgetRules.frameAncestors(allowed)))
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        // Under «no-referrer» browsers send `Origin: null` with a form post; the frame's own posts must
        // carry their origin for the check in `submit`, and nothing leaves for other sites.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        return response
    }

    private static func empty(step: String, org: String, site: String) -> Page {
        Page(
            title: "Сообщить о проблеме", organisation: nil, org: org, site: site, step: step, message: nil, groups: [],
            subcategoryCode: "", subcategoryName: "", term: "", territories: [], presetTerritory: nil, questions: [], values: [:], errors: [:],
            hasErrors: false, consent: false, number: nil, due: nil)
    }

    /// A refusal shown inside the frame: the unknown organisation is said plainly (the frame may show
    /// it anywhere, it carries nothing), a site that may not embed the form is told so.
    private static func refused(_ request: Request, _ refusal: Refusal, org: String, site: String) async throws -> Response {
        var page = empty(step: "refused", org: org, site: site)
        switch refusal {
        case .unknownOrganisation:
            page.message = "Организация не найдена: проверьте атрибут data-org в коде виджета на сайте."
            return try await render(request, page, allowed: ["*"], status: .notFound)
        case .siteNotAllowed:
            page.message = "Этому сайту не разрешено встраивать форму обращения. Администратор ConsumerDesk добавляет сайты в список разрешённых."
            return try await render(request, page, allowed: [], status: .forbidden)
        }
    }

    @Sendable
    func form(request: Request) async throws -> Response {
        let org = (try? request.query.get(String.self, at: "org")) ?? ""
        let site = (try? request.query.get(String.self, at: "site")) ?? ""
        let context: Context
        do {
            context = try await Self.context(request, org: org, site: site)
        } catch let refusal as Refusal {
            return try await Self.refused(request, refusal, org: org, site: site)
        }
        let code = (try? request.query.get(String.self, at: "subcategory"))?.nonBlank
        if let code, let subcategory = try await ClassifierService.openSubcategory(code, on: request.db) {
            return try await Self.render(
                request,
                try await Self.card(request, context, subcategory: subcategory, values: [:], answers: [:], failure: nil, consent: false),
                allowed: context.allowed)
        }
        var page = Self.empty(step: "choose", org: org, site: context.site)
        page.organisation = context.organisation.name
        let spec = try await ClassifierService.current(on: request.db)
        page.groups = spec.categories.map { category in
            Group(name: category.name, items: category.subcategories.map { Choice(value: $0.code, label: $0.name, selected: false) })
        }
        return try await Self.render(request, page, allowed: context.allowed)
    }

    /// The territories the organisation serves (all of the region's for one that names none).
    private static func territories(_ context: Context, on db: any Database) async throws -> [Territory] {
        let own = context.organisation.territories.filter { $0.kind != .region }
        if !own.isEmpty { return own.sorted { $0.name < $1.name } }
        return try await OrganisationQueries.territories(on: db).filter { $0.kind != .region }
    }

    private static func card(
        _ request: Request, _ context: Context, subcategory: Subcategory, values: [String: String], answers: [String: String],
        failure: ValidationFailure?, consent: Bool
    ) async throws -> Page {
        let errors = failure.map(FormErrors.russian) ?? [:]
        let territories = try await territories(context, on: request.db)
        let chosen = values["territoryId"] ?? (territories.count == 1 ? territories[0].id?.uuidString ?? "" : "")
        var page = empty(step: "card", org: context.organisation.id?.uuidString ?? "", site: context.site)
        page.organisation = context.organisation.name
        page.subcategoryCode = subcategory.code
        page.subcategoryName = subcategory.name
        page.term = Strings.term(subcategory.answerDays, subcategory.dayType)
        if territories.count == 1 {
            page.presetTerritory = chosen
        } else {
            page.territories = [Choice(value: "", label: "— выберите —", selected: chosen.isEmpty)]
                + territories.map { Choice(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == chosen) }
        }
        page.questions = subcategory.questions.map { question in
            let value = answers[question.code] ?? ""
            var options = question.options ?? []
            if question.type == .yesno { options = ["да", "нет"] }
            return Question(
                code: question.code, label: question.label, required: question.required, value: value,
                error: errors["answers.\(question.code)"], isText: question.type == .text, isNumber: question.type == .number,
                isDate: question.type == .date,
                options: options.isEmpty
                    ? [] : [Choice(value: "", label: "—", selected: value.isEmpty)] + options.map { Choice(value: $0, label: $0, selected: $0 == value) })
        }
        page.values = values
        page.errors = errors
        page.hasErrors = failure != nil
        page.consent = consent
        return page
    }

    struct Form: Content {
        var org: String?
        var site: String?
        var subcategory: String?
        var surname: String?
        var name: String?
        var patronymic: String?
        var email: String?
        var phone: String?
        var territoryId: String?
        var text: String?
        var consent: String?
        var answers: [String: String]?
    }

    @Sendable
    func submit(request: Request) async throws -> Response {
        // The frame posts to its own origin; a form on another site posting here is refused.
        guard let origin = request.headers.first(name: .origin), Self.isOwnOrigin(origin, request) else {
            throw AppError.forbidden
        }
        let form = try request.content.decode(Form.self)
        let org = form.org ?? ""
        let site = form.site ?? ""
        let context: Context
        do {
            context = try await Self.context(request, org: org, site: site)
        } catch let refusal as Refusal {
            return try await Self.refused(request, refusal, org: org, site: site)
        }
        guard let code = form.subcategory?.nonBlank, let subcategory = try await ClassifierService.openSubcategory(code, on: request.db) else {
            throw AppError.notFound
        }
        let territories = try await Self.territories(context, on: request.db)
        var territoryID = form.territoryId.flatMap(UUID.init(uuidString:))
        if territories.count == 1 { territoryID = territoryID ?? territories[0].id }
        let values = [
            "surname": form.surname ?? "", "name": form.name ?? "", "patronymic": form.patronymic ?? "", "email": form.email ?? "",
            "phone": form.phone ?? "", "territoryId": territoryID?.uuidString ?? "", "text": form.text ?? "",
        ]
        let answers = form.answers ?? [:]
        let consent = form.consent == "on" || form.consent == "1"
        do {
            // Only the organisation's territories are offered; another one is refused like a missing one.
            if let territoryID, !territories.contains(where: { $0.id == territoryID }) {
                throw ValidationFailure([FieldError("territoryId", .notFound)])
            }
            let draft = AppealDraft(
                subcategoryCode: subcategory.code, surname: form.surname, name: form.name, patronymic: form.patronymic,
                phone: form.phone, email: form.email, text: form.text, territoryID: territoryID, answers: answers, consent: consent)
            if draft.email?.nonBlank == nil { throw ValidationFailure([FieldError("email", .required)]) }
            var submission = AppealService.Submission(draft: draft, channel: .widget, ownerID: nil, registeredBy: nil)
            submission.source = context.site
            submission.joinsAccountByEmail = false
            let appeal = try await AppealService.submit(submission, on: request).appeal
            var page = Self.empty(step: "done", org: org, site: context.site)
            page.organisation = context.organisation.name
            page.number = appeal.number
            page.due = Strings.date(appeal.answerDueAt)
            return try await Self.render(request, page, allowed: context.allowed, status: .created)
        } catch let failure as ValidationFailure {
            return try await Self.render(
                request,
                try await Self.card(request, context, subcategory: subcategory, values: values, answers: answers, failure: failure, consent: consent),
                allowed: context.allowed, status: .unprocessableEntity)
        }
    }

    /// This server's origin: the public URL's, or the one the request was addressed to.
    private static func isOwnOrigin(_ origin: String, _ request: Request) -> Bool {
        guard let given = WidgetRules.origin(origin) else { return false }
        if let own = WidgetRules.origin(request.application.config.publicURL), own == given { return true }
        guard let host = request.headers.first(name: .host) else { return false }
        return given == "http://\(host.lowercased())" || given == "https://\(host.lowercased())"
    }
}
