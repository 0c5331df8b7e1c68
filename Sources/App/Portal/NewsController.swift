import Domain
import Fluent
import Vapor

/// A news item (see M0031).
final class NewsItem: Model, @unchecked Sendable {
    static let schema = "news_items"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    /// A sphere's code, or nil for news of the whole service.
    @OptionalField(key: "sphere") var sphere: String?
    @Field(key: "title") var title: String
    @Field(key: "summary") var summary: String
    @Field(key: "body") var body: String
    @Field(key: "published") var published: Bool
    @Field(key: "publish_at") var publishAt: Date
    @OptionalField(key: "author_id") var authorID: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    func visible(at now: Date) -> Bool { published && publishAt <= now }
}

enum NewsQueries {
    static let pageSize = 20
    static let feedSize = 30

    /// Published and due, newest first; `before` pages on after the last item shown (its time and id, so
    /// items published at the same minute are neither skipped nor repeated).
    static func visible(
        sphere: String?, before: (Date, UUID)?, limit: Int, now: Date, on db: any Database
    ) async throws -> [NewsItem] {
        var query = NewsItem.query(on: db).filter(\.$published == true).filter(\.$publishAt <= now)
        if let sphere { query = query.filter(\.$sphere == sphere) }
        if let (at, id) = before {
            query = query.group(.or) { group in
                group.filter(\.$publishAt < at).group(.and) { $0.filter(\.$publishAt == at).filter(\.$id < id) }
            }
        }
        return try await query.sort(\.$publishAt, .descending).sort(\.$id, .descending).limit(limit).all()
    }

    /// `2026-02-01T07:00:00Z_<uuid>`: the cursor of `/news?before=`.
    static func cursor(_ item: NewsItem) -> String? {
        item.id.map { Feeds.rfc3339(item.publishAt) + "_" + $0.uuidString }
    }

    static func cursor(_ text: String) -> (Date, UUID)? {
        let parts = text.split(separator: "_")
        guard parts.count == 2, let at = ISO8601DateFormatter().date(from: String(parts[0])), let id = UUID(uuidString: String(parts[1]))
        else { return nil }
        return (at, id)
    }
}

/// `/news`: the list (all or one sphere), an item with Open Graph tags and share links, and RSS 2.0 and
/// Atom feeds (all and per sphere). Editors write news at `/editor/news`.
struct NewsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let news = routes.grouped("news")
        news.get(use: list)
        news.get(":slug", use: show)
        let editor = routes.grouped("editor", "news")
        editor.get(use: editorList)
        editor.get("new", use: newForm)
        editor.post(use: create)
        editor.get(":id", use: editForm)
        editor.post(":id", use: update)
    }

    /// The feeds: outside the pages' session and CSRF middleware, so a cached copy carries no cookie.
    struct FeedRoutes: RouteCollection {
        func boot(routes: any RoutesBuilder) throws {
            routes.get("news", "rss.xml") { try await NewsController.feed($0, atom: false) }
            routes.get("news", "atom.xml") { try await NewsController.feed($0, atom: true) }
        }
    }

    // MARK: Public

    struct Row: Encodable {
        var title: String
        var summary: String
        var url: String
        var date: String
        var sphere: String?
    }

    struct ListPage: Encodable {
        var layout: Layout
        var rows: [Row]
        var spheres: [Choice]
        var sphere: String?
        var nextURL: String?
        var rssURL: String
        var atomURL: String
    }

    private static func sphere(_ request: Request) throws -> SphereCode? {
        guard let raw = (try? request.query.get(String.self, at: "sphere"))?.nonBlank else { return nil }
        guard let code = SphereCode(rawValue: raw) else { throw AppError.notFound }
        return code
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        let sphere = try Self.sphere(request)
        let before = (try? request.query.get(String.self, at: "before")).flatMap(NewsQueries.cursor)
        let names = try await Self.sphereNames(request.db)
        let items = try await NewsQueries.visible(
            sphere: sphere?.rawValue, before: before, limit: NewsQueries.pageSize + 1, now: request.now, on: request.db)
        let page = Array(items.prefix(NewsQueries.pageSize))
        let suffix = sphere.map { "?sphere=\($0.rawValue)" } ?? ""
        var next: String?
        if items.count > NewsQueries.pageSize, let last = page.last, let cursor = NewsQueries.cursor(last) {
            next = "/news?" + (sphere.map { "sphere=\($0.rawValue)&" } ?? "") + "before=" + Self.encode(cursor)
        }
        var layout = await Layout.make(for: request, title: sphere.flatMap { names[$0.rawValue] }.map { "Новости: \($0)" } ?? "Новости")
        layout.meta = .init(
            description: "Новости защиты прав потребителей: семинары, изменения законодательства, советы.",
            url: request.application.config.publicURL + "/news" + suffix, type: "website")
        return try await request.render(
            "portal/news-list",
            ListPage(
                layout: layout, rows: page.map { Self.row($0, names: names) },
                spheres: [Choice(value: "", label: "Все", selected: sphere == nil)]
                    + SphereCode.allCases.map { Choice(value: $0.rawValue, label: names[$0.rawValue] ?? $0.rawValue, selected: $0 == sphere) },
                sphere: sphere.flatMap { names[$0.rawValue] }, nextURL: next, rssURL: "/news/rss.xml" + suffix,
                atomURL: "/news/atom.xml" + suffix))
    }

    static func row(_ item: NewsItem, names: [String: String]) -> Row {
        Row(
            title: item.title, summary: item.summary, url: "/news/\(item.slug)", date: Strings.date(item.publishAt),
            sphere: item.sphere.flatMap { names[$0] })
    }

    static func sphereNames(_ db: any Database) async throws -> [String: String] {
        Dictionary(try await OrganisationQueries.spheres(on: db).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    struct Share: Encodable {
        var name: String
        var url: String
    }

    struct ItemPage: Encodable {
        var layout: Layout
        var title: String
        var date: String
        var sphere: String?
        var sphereURL: String?
        var html: String
        var shares: [Share]
        var editURL: String?
        var isDraft: Bool
    }

    @Sendable
    func show(request: Request) async throws -> Response {
        guard let slug = request.parameters.get("slug"),
            let item = try await NewsItem.query(on: request.db).filter(\.$slug == slug).first()
        else { throw AppError.notFound }
        // Drafts and items not yet due: editors only (they preview them here).
        let visible = item.visible(at: request.now)
        if !visible { guard (try? await EditorController.requireEditor(request)) != nil else { throw AppError.notFound } }
        let layoutUser = request.currentUser != nil
        let names = try await Self.sphereNames(request.db)
        let url = request.application.config.publicURL + "/news/" + item.slug
        var layout = await Layout.make(for: request, title: item.title)
        layout.meta = .init(
            description: item.summary.isEmpty ? String(Markdown.plainText(item.body).prefix(200)) : item.summary, url: url,
            publishedTime: Feeds.rfc3339(item.publishAt))
        let editor = layoutUser && (layout.user?.edits ?? false)
        return try await request.render(
            "portal/news-item",
            ItemPage(
                layout: layout, title: item.title, date: Strings.date(item.publishAt), sphere: item.sphere.flatMap { names[$0] },
                sphereURL: item.sphere.map { "/news?sphere=\($0)" },
                html: RenderedMarkdown.html(item.body, key: "news:\(item.id?.uuidString ?? ""):\(item.updatedAt.timeIntervalSince1970)"),
                shares: Self.shares(url: url, title: item.title), editURL: editor ? "/editor/news/\(item.id?.uuidString ?? "")" : nil,
                isDraft: !visible))
    }

    /// Share links of the networks and messengers people use here; each opens the network's own form.
    static func shares(url: String, title: String) -> [Share] {
        let (u, t) = (encode(url), encode(title))
        return [
            Share(name: "ВКонтакте", url: "https://vk.com/share.php?url=\(u)&title=\(t)"),
            Share(name: "Одноклассники", url: "https://connect.ok.ru/offer?url=\(u)&title=\(t)"),
            Share(name: "Telegram", url: "https://t.me/share/url?url=\(u)&text=\(t)"),
            Share(name: "WhatsApp", url: "https://wa.me/?text=\(t)%20\(u)"),
        ]
    }

    /// Percent-encoding for a query value: only the URI's unreserved ASCII stays as it is.
    static func encode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func feed(_ request: Request, atom: Bool) async throws -> Response {
        let sphere = try Self.sphere(request)
        let names = try await Self.sphereNames(request.db)
        let base = request.application.config.publicURL
        let items = try await NewsQueries.visible(
            sphere: sphere?.rawValue, before: nil, limit: NewsQueries.feedSize, now: request.now, on: request.db)
        let suffix = sphere.map { "?sphere=\($0.rawValue)" } ?? ""
        let channel = FeedChannel(
            title: "Новости" + (sphere.flatMap { names[$0.rawValue] }.map { ": \($0)" } ?? "") + " — ConsumerDesk",
            description: "Новости защиты прав потребителей", link: base + "/news" + suffix,
            selfLink: base + (atom ? "/news/atom.xml" : "/news/rss.xml") + suffix)
        let entries = items.map {
            FeedEntry(
                id: "urn:uuid:" + ($0.id?.uuidString.lowercased() ?? ""), link: base + "/news/" + $0.slug, title: $0.title,
                summary: $0.summary.isEmpty ? String(Markdown.plainText($0.body).prefix(300)) : $0.summary,
                published: $0.publishAt, updated: max($0.publishAt, $0.updatedAt), category: $0.sphere.flatMap { names[$0] })
        }
        let text = atom ? Feeds.atom(channel, entries: entries, now: request.now) : Feeds.rss(channel, entries: entries, now: request.now)
        var headers = HTTPHeaders()
        headers.replaceOrAdd(
            name: .contentType, value: atom ? "application/atom+xml; charset=utf-8" : "application/rss+xml; charset=utf-8")
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }

    // MARK: Editor

    struct EditorRow: Encodable {
        var id: UUID
        var title: String
        var date: String
        var state: String
        var url: String
    }

    struct EditorListPage: Encodable {
        var layout: Layout
        var rows: [EditorRow]
    }

    @Sendable
    func editorList(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        let items = try await NewsItem.query(on: request.db).sort(\.$publishAt, .descending).limit(200).all()
        let now = request.now
        return try await request.render(
            "editor/news-list",
            EditorListPage(
                layout: await Layout.make(for: request, title: "Новости"),
                rows: items.compactMap { item in
                    item.id.map {
                        EditorRow(
                            id: $0, title: item.title, date: Strings.dateTime(item.publishAt),
                            state: !item.published ? "черновик" : item.publishAt > now ? "запланирована" : "опубликована",
                            url: "/news/\(item.slug)")
                    }
                }))
    }

    struct Input: Content {
        var title: String?
        var slug: String?
        var sphere: String?
        var summary: String?
        var body: String?
        /// `2026-12-01T10:00` in the region's time zone (an HTML datetime-local field).
        var publishAt: String?
        var published: String?
    }

    struct FormPage: Encodable {
        var layout: Layout
        var isNew: Bool
        var action: String
        var input: [String: String]
        var published: Bool
        var spheres: [Choice]
        var errors: [String: String]
        var hasErrors: Bool
        var viewURL: String?
    }

    private func form(
        _ request: Request, item: NewsItem?, input: Input?, failure: ValidationFailure?
    ) async throws -> FormPage {
        let names = try await Self.sphereNames(request.db)
        let calendar = request.application.productionCalendar
        let sphere = input?.sphere ?? item?.sphere ?? ""
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = calendar.timeZone
        local.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return FormPage(
            layout: await Layout.make(for: request, title: item == nil ? "Новая новость" : "Редактирование новости"),
            isNew: item == nil, action: item?.id.map { "/editor/news/\($0.uuidString)" } ?? "/editor/news",
            input: [
                "title": input?.title ?? item?.title ?? "", "slug": input?.slug ?? item?.slug ?? "",
                "summary": input?.summary ?? item?.summary ?? "", "body": input?.body ?? item?.body ?? "",
                "publishAt": input?.publishAt ?? local.string(from: item?.publishAt ?? request.now),
            ],
            published: input.map { $0.published != nil } ?? item?.published ?? false,
            spheres: [Choice(value: "", label: "Общая новость", selected: sphere.isEmpty)]
                + SphereCode.allCases.map { Choice(value: $0.rawValue, label: names[$0.rawValue] ?? $0.rawValue, selected: $0.rawValue == sphere) },
            errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            viewURL: item.map { "/news/\($0.slug)" })
    }

    @Sendable
    func newForm(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        return try await request.render("editor/news-form", try await form(request, item: nil, input: nil, failure: nil))
    }

    @Sendable
    func editForm(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        let item = try await request.model(NewsItem.self, "id")
        return try await request.render("editor/news-form", try await form(request, item: item, input: nil, failure: nil))
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        let editor = try await EditorController.requireEditor(request)
        let input = try request.content.decode(Input.self)
        return try await request.submitForm("editor/news-form") {
            let item = NewsItem()
            item.createdAt = request.now
            item.authorID = editor
            try await save(item, input, request)
            return request.seeOther("/editor/news/\(try item.requireID())", flash: "Новость сохранена.")
        } onInvalid: { failure in
            try await form(request, item: nil, input: input, failure: failure)
        }
    }

    @Sendable
    func update(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        let item = try await request.model(NewsItem.self, "id")
        let input = try request.content.decode(Input.self)
        return try await request.submitForm("editor/news-form") {
            try await save(item, input, request)
            return request.seeOther("/editor/news/\(try item.requireID())", flash: "Новость сохранена.")
        } onInvalid: { failure in
            try await form(request, item: item, input: input, failure: failure)
        }
    }

    private func save(_ item: NewsItem, _ input: Input, _ request: Request) async throws {
        let calendar = request.application.productionCalendar
        let draft = NewsDraft(
            title: input.title ?? "", slug: input.slug ?? "", sphere: input.sphere ?? "", summary: input.summary ?? "",
            body: input.body ?? "", publishAt: input.publishAt ?? "")
        let valid = try NewsDraft.validate(draft, timeZone: calendar.timeZone)
        var errors = FieldErrors()
        if let taken = try await NewsItem.query(on: request.db).filter(\.$slug == valid.slug).first(), taken.id != item.id {
            errors.add("slug", .taken)
        }
        try errors.throwIfAny()
        item.title = valid.title
        item.slug = valid.slug
        item.sphere = valid.sphere
        item.summary = valid.summary
        item.body = valid.body
        item.publishAt = valid.publishAt
        item.published = input.published != nil
        item.updatedAt = request.now
        do {
            try await item.save(on: request.db)
        } catch where error.isUniqueViolation {
            // Another editor took the address between the check and the save.
            throw ValidationFailure([FieldError("slug", .taken)])
        }
    }
}
