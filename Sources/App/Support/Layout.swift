import Domain
import Vapor

/// What every page's frame needs: title, CSRF value for forms, the signed-in person, a flash message.
struct Layout: Encodable {
    struct Person: Encodable {
        var shortName: String
        var isStaff: Bool
        var isAdmin: Bool
        /// Shows «Принять обращение»: the link only; the route asks the policy with the full tree.
        var registersOnBehalf: Bool
        var moderates: Bool
        /// Shows «Рабочее место» (coordinators, executors, managers) and «Контроль» (curators).
        var works: Bool
        var supervises: Bool
        /// Shows «Редактор» (knowledge base and FAQ).
        var edits: Bool
        /// Shows «Консультации» (the operator's console).
        var operates: Bool
        /// Shows «Звонки и приём» (contacts that are not appeals).
        var recordsContacts: Bool
    }

    var title: String
    var csrf: String
    var user: Person?
    var flash: String?
    var demo: Bool
    /// The version for the visually impaired, when the person switched it on.
    var a11y: AccessibilitySettings?
    /// The classes on `<html>` for it.
    var a11yClasses: String?
    /// This page's address, percent-encoded, for returning to it after switching the version.
    var here: String
    /// The online-consultation window in the corner: for visitors and citizens, not staff at work.
    var chatWidget: Bool
    /// Open Graph and Twitter-card tags, so a link posted to VK or a messenger shows a proper preview.
    var meta: PageMeta? = nil

    struct PageMeta: Encodable {
        var description: String
        /// The page's absolute address.
        var url: String
        /// `article` for news and articles, `website` otherwise.
        var type = "article"
        var publishedTime: String?
    }

    static func make(for request: Request, title: String) async -> Layout {
        var person: Person?
        if let user = request.currentUser {
            let actor = try? await request.requireActor()
            let links = OrganisationTree(parents: [])
            person = Person(
                shortName: user.personName.short, isStaff: actor?.isStaff ?? false,
                isAdmin: actor?.holds(.admin) ?? false,
                registersOnBehalf: actor.map { Policy.permitsAnywhere($0, .registerOnBehalf, tree: links) } ?? false,
                moderates: actor.map { Policy.permitsAnywhere($0, .moderate, tree: links) } ?? false,
                works: actor.map { a in
                    [Action.coordinate, .execute, .approveAnswers, .superviseQuality].contains { Policy.permitsAnywhere(a, $0, tree: links) }
                } ?? false,
                supervises: actor.map { Policy.permitsAnywhere($0, .superviseQuality, tree: links) } ?? false,
                edits: actor.map { Policy.permitsAnywhere($0, .editContent, tree: links) } ?? false,
                operates: actor.map { Policy.permitsAnywhere($0, .answerConsultations, tree: links) } ?? false,
                recordsContacts: actor.map { Policy.permitsAnywhere($0, .recordContacts, tree: links) } ?? false)
        }
        return Layout(
            title: title, csrf: request.csrfToken, user: person, flash: request.flash,
            demo: request.application.config.demo, a11y: AccessibilitySettings.of(request),
            a11yClasses: AccessibilitySettings.of(request)?.classes,
            here: (request.method == .GET ? (request.safeNext(request.url.string) ?? "/") : "/")
                .addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "%2F",
            chatWidget: !(person?.isStaff ?? false))
    }
}

/// Field errors as the templates use them: field name → Russian message(s).
enum FormErrors {
    static func russian(_ failure: ValidationFailure) -> [String: String] {
        var result: [String: String] = [:]
        for error in failure.errors {
            let message = Strings.ru(error.code)
            if let existing = result[error.field] {
                if !existing.contains(message) { result[error.field] = existing + " " + message }
            } else {
                result[error.field] = message
            }
        }
        return result
    }
}

/// A choice in a select or a checkbox list.
struct Choice: Encodable {
    var value: String
    var label: String
    var selected: Bool

    /// `depth` indents the label, for organisations shown as a tree inside a select.
    init(value: String, label: String, selected: Bool, depth: Int = 0) {
        self.value = value
        self.label = String(repeating: "· ", count: depth) + label
        self.selected = selected
    }
}

extension Request {
    func render(_ template: String, _ context: some Encodable, status: HTTPResponseStatus = .ok) async throws -> Response {
        let response = try await view.render(template, context).encodeResponse(for: self)
        response.status = status
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// The one way a form is handled: run its action (usually ending in a redirect); if the input is
    /// refused, show the same form again with the errors, answering 422 (409 for a pure clash).
    func submitForm<Page: Encodable>(
        _ template: String, action: () async throws -> Response,
        onInvalid page: (ValidationFailure) async throws -> Page
    ) async throws -> Response {
        do {
            return try await action()
        } catch let failure as ValidationFailure {
            return try await render(
                template, try await page(failure), status: failure.isConflictOnly ? .conflict : .unprocessableEntity)
        }
    }

    /// A redirect after a successful POST (303, so the browser follows with GET).
    func seeOther(_ location: String, flash: String? = nil) -> Response {
        let response = redirect(to: location, redirectType: .normal)
        if let flash { setFlash(flash, on: response) }
        return response
    }

    /// Only local paths are followed after sign-in, never another site. Browsers drop tabs and line
    /// breaks from URLs and treat `\` as `/`, so `/\t/evil.example` would become `//evil.example`:
    /// control characters and backslashes are refused outright, and the result must parse as a bare path.
    func safeNext(_ raw: String?) -> String? {
        guard let raw, raw.count <= 2048, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"),
            raw.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }),
            let components = URLComponents(string: raw), components.scheme == nil, components.host == nil,
            components.path.hasPrefix("/"), !components.path.hasPrefix("//")
        else { return nil }
        return raw
    }
}
