import Domain
import Fluent
import Foundation
import Vapor

/// The public knowledge base and FAQ: `/kb`, `/kb/:sphere`, `/kb/:sphere/:slug`, `/faq`, `/faq/:slug`
/// with «Помог ли ответ?» votes; and the same for programs under `/api/v1/kb` and `/api/v1/faq`.
struct PortalController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("kb", use: index)
        routes.get("kb", ":sphere", use: sphere)
        routes.get("kb", ":sphere", ":slug", use: article)
        routes.get("faq", use: faq)
        routes.get("faq", ":slug", use: faqEntry)
        routes.post("faq", ":slug", "vote", use: vote)
    }

    func bootAPI(_ api: any RoutesBuilder) {
        let spheres = SphereCode.allCases.map(\.rawValue)
        api.get("kb", "articles", use: apiArticles).document(.init(
            "Статьи базы знаний", description: "Опубликованные статьи; сотрудникам видны и статьи для специалистов.",
            access: .optionalToken,
            query: [
                .oneOf("sphere", spheres, "Сфера"),
                .oneOf("kind", ArticleKind.allCases.map(\.rawValue), "Вид материала"),
                .string("tag", "Метка"),
            ]))
        api.get("kb", "articles", ":slug", use: apiArticle).document(.init(
            "Статья целиком (Markdown и HTML)", access: .optionalToken))
        api.get("faq", use: apiFAQ).document(.init(
            "Часто задаваемые вопросы", access: .open, query: [.oneOf("sphere", spheres, "Сфера")]))
        api.post("faq", ":slug", "vote", use: apiVote).document(.init(
            "Оценить ответ: помог или нет (один голос от человека)", body: APIVoteInput.self))
    }

    // MARK: Names

    static func kindName(_ kind: ArticleKind) -> String {
        switch kind {
        case .legal: "Нормативно-правовая информация"
        case .interview: "Экспертные интервью"
        case .court: "Анализ судебной практики"
        case .choosing: "Правила выбора товаров и услуг"
        }
    }

    struct SphereLink: Encodable {
        var code: String
        var name: String
        var url: String
        var count: Int
        var current: Bool
    }

    struct KindLink: Encodable {
        var code: String
        var name: String
        var count: Int
        var current: Bool
    }

    struct ArticleRow: Encodable {
        var title: String
        var url: String
        var summary: String
        var kind: String
        var sphere: String
        var date: String
        var isInternal: Bool
        var isDraft: Bool
    }

    static func row(_ article: Article, spheres: [String: String]) -> ArticleRow {
        ArticleRow(
            title: article.title, url: article.url, summary: article.summary,
            kind: ArticleKind(rawValue: article.kind).map(kindName) ?? article.kind, sphere: spheres[article.sphere] ?? article.sphere,
            date: article.publishedAt.map { Strings.date($0) } ?? "", isInternal: article.articleVisibility == .internal,
            isDraft: article.articleStatus == .draft)
    }

    static func sphereNames(on db: any Database) async throws -> [(code: String, name: String)] {
        try await OrganisationQueries.spheres(on: db).map { ($0.code, $0.name) }
    }

    // MARK: Pages

    struct IndexPage: Encodable {
        var layout: Layout
        var spheres: [SphereLink]
        var kinds: [KindLink]
        var articles: [ArticleRow]
        var kindTitle: String?
    }

    @Sendable
    func index(request: Request) async throws -> Response {
        let audience = await KnowledgeBaseService.audience(of: request)
        let kind = (try? request.query.get(String.self, at: "kind")).flatMap(ArticleKind.init(rawValue:))
        let counts = try await KnowledgeBaseService.counts(audience: audience, on: request.db)
        let names = try await Self.sphereNames(on: request.db)
        let nameMap = Dictionary(names, uniquingKeysWith: { a, _ in a })
        let articles = try await KnowledgeBaseService.articles(.init(kind: kind), audience: audience, limit: kind == nil ? 10 : 200, on: request.db)
        var kindTotals: [String: Int] = [:]
        for perKind in counts.values { for (k, n) in perKind { kindTotals[k, default: 0] += n } }
        return try await request.render(
            "portal/index",
            IndexPage(
                layout: await Layout.make(for: request, title: "База знаний"),
                spheres: names.map { SphereLink(code: $0.code, name: $0.name, url: "/kb/\($0.code)", count: counts[$0.code]?.values.reduce(0, +) ?? 0, current: false) },
                kinds: ArticleKind.allCases.map { KindLink(code: $0.rawValue, name: Self.kindName($0), count: kindTotals[$0.rawValue] ?? 0, current: $0 == kind) },
                articles: articles.map { Self.row($0, spheres: nameMap) }, kindTitle: kind.map(Self.kindName)))
    }

    struct SpherePage: Encodable {
        struct Group: Encodable {
            var name: String
            var articles: [ArticleRow]
        }

        var layout: Layout
        var sphere: SphereLink
        var spheres: [SphereLink]
        var kinds: [KindLink]
        var groups: [Group]
        var tag: String?
        var faq: [FAQRow]
    }

    @Sendable
    func sphere(request: Request) async throws -> Response {
        guard let code = request.parameters.get("sphere").flatMap(SphereCode.init(rawValue:)) else { throw AppError.notFound }
        let audience = await KnowledgeBaseService.audience(of: request)
        let kind = (try? request.query.get(String.self, at: "kind")).flatMap(ArticleKind.init(rawValue:))
        let tag = (try? request.query.get(String.self, at: "tag"))?.trimmingCharacters(in: .whitespaces).prefix(60).lowercased()
        let names = try await Self.sphereNames(on: request.db)
        let nameMap = Dictionary(names, uniquingKeysWith: { a, _ in a })
        let counts = try await KnowledgeBaseService.counts(audience: audience, on: request.db)
        let articles = try await KnowledgeBaseService.articles(.init(sphere: code, kind: kind, tag: tag), audience: audience, on: request.db)
        let faq = try await KnowledgeBaseService.faq(sphere: code, includeDrafts: false, limit: 5, on: request.db)
        let current = SphereLink(
            code: code.rawValue, name: nameMap[code.rawValue] ?? code.rawValue, url: "/kb/\(code.rawValue)",
            count: counts[code.rawValue]?.values.reduce(0, +) ?? 0, current: true)
        return try await request.render(
            "portal/sphere",
            SpherePage(
                layout: await Layout.make(for: request, title: current.name),
                sphere: current,
                spheres: names.map { SphereLink(code: $0.code, name: $0.name, url: "/kb/\($0.code)", count: counts[$0.code]?.values.reduce(0, +) ?? 0, current: $0.code == code.rawValue) },
                kinds: ArticleKind.allCases.map { KindLink(code: $0.rawValue, name: Self.kindName($0), count: counts[code.rawValue]?[$0.rawValue] ?? 0, current: $0 == kind) },
                groups: ArticleKind.allCases.compactMap { k in
                    let list = articles.filter { $0.kind == k.rawValue }
                    return list.isEmpty ? nil : SpherePage.Group(name: Self.kindName(k), articles: list.map { Self.row($0, spheres: nameMap) })
                },
                tag: tag.map { String($0) }, faq: faq.map { FAQRow($0) }))
    }

    struct TagLink: Encodable {
        var name: String
        var url: String
    }

    struct ArticlePage: Encodable {
        var layout: Layout
        var title: String
        var summary: String
        var html: String
        var sphere: SphereLink
        var kind: String
        var date: String
        var updated: String
        var tags: [TagLink]
        var isInternal: Bool
        var isDraft: Bool
        var editURL: String?
        var related: [ArticleRow]
        var faq: [FAQRow]
    }

    @Sendable
    func article(request: Request) async throws -> Response {
        guard let code = request.parameters.get("sphere"), let slug = request.parameters.get("slug") else { throw AppError.notFound }
        let audience = await KnowledgeBaseService.audience(of: request)
        guard let article = try await KnowledgeBaseService.article(slug: slug, audience: audience, on: request.db) else {
            throw AppError.notFound
        }
        // One address per article: a wrong sphere in the path leads to the right one.
        if article.sphere != code { return request.redirect(to: article.url, redirectType: .permanent) }
        try KnowledgeBaseService.countView(of: article, on: request)
        let names = Dictionary(try await Self.sphereNames(on: request.db), uniquingKeysWith: { a, _ in a })
        let sphere = SphereCode(rawValue: article.sphere)
        let related = try await KnowledgeBaseService.articles(.init(sphere: sphere), audience: audience, limit: 6, on: request.db)
            .filter { $0.id != article.id }.prefix(5)
        let faq = try await KnowledgeBaseService.faq(sphere: sphere, includeDrafts: false, limit: 3, on: request.db)
        return try await request.render(
            "portal/article",
            ArticlePage(
                layout: await Layout.make(for: request, title: article.title), title: article.title, summary: article.summary,
                html: RenderedMarkdown.html(article.body, key: "article:\(try article.requireID().uuidString):\(article.revision)"),
                sphere: SphereLink(code: article.sphere, name: names[article.sphere] ?? article.sphere, url: "/kb/\(article.sphere)", count: 0, current: true),
                kind: ArticleKind(rawValue: article.kind).map(Self.kindName) ?? article.kind,
                date: article.publishedAt.map { Strings.date($0) } ?? "", updated: Strings.date(article.updatedAt),
                tags: article.tags.map { TagLink(name: $0, url: "/kb/\(article.sphere)?tag=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) },
                isInternal: article.articleVisibility == .internal, isDraft: article.articleStatus == .draft,
                editURL: audience == .editor ? "/editor/articles/\(try article.requireID().uuidString)" : nil,
                related: related.map { Self.row($0, spheres: names) }, faq: faq.map { FAQRow($0) }))
    }

    // MARK: FAQ

    struct FAQRow: Encodable {
        var slug: String
        var question: String
        var url: String
        /// The rendered answer: only for the entry's own page (lists show questions).
        var html: String?
        var references: [String]
        var views: Int
        var helpful: Int
        var unhelpful: Int

        init(_ entry: FAQEntry, withAnswer: Bool = false) {
            slug = entry.slug
            question = entry.question
            url = entry.url
            html = withAnswer ? RenderedMarkdown.html(entry.answer, key: "faq:\(entry.id?.uuidString ?? ""):\(entry.updatedAt.timeIntervalSince1970)") : nil
            references = entry.references
            views = entry.views
            helpful = entry.helpful
            unhelpful = entry.unhelpful
        }
    }

    struct FAQPage: Encodable {
        var layout: Layout
        var spheres: [SphereLink]
        var entries: [FAQRow]
        var sphereName: String?
    }

    @Sendable
    func faq(request: Request) async throws -> Response {
        let sphere = (try? request.query.get(String.self, at: "sphere")).flatMap(SphereCode.init(rawValue:))
        let names = try await Self.sphereNames(on: request.db)
        let entries = try await KnowledgeBaseService.faq(sphere: sphere, includeDrafts: false, on: request.db)
        return try await request.render(
            "portal/faq",
            FAQPage(
                layout: await Layout.make(for: request, title: "Часто задаваемые вопросы"),
                spheres: names.map { SphereLink(code: $0.code, name: $0.name, url: "/faq?sphere=\($0.code)", count: 0, current: $0.code == sphere?.rawValue) },
                entries: entries.map { FAQRow($0) }, sphereName: sphere.flatMap { s in names.first { $0.code == s.rawValue }?.name }))
    }

    struct FAQEntryPage: Encodable {
        var layout: Layout
        var entry: FAQRow
        var sphere: SphereLink
        var voted: String?
        var others: [FAQRow]
    }

    @Sendable
    func faqEntry(request: Request) async throws -> Response {
        guard let slug = request.parameters.get("slug"),
            let entry = try await KnowledgeBaseService.faqEntry(slug: slug, includeDrafts: false, on: request.db)
        else { throw AppError.notFound }
        try KnowledgeBaseService.countView(of: entry, on: request)
        let names = Dictionary(try await Self.sphereNames(on: request.db), uniquingKeysWith: { a, _ in a })
        let others = try await KnowledgeBaseService.faq(sphere: SphereCode(rawValue: entry.sphere), includeDrafts: false, limit: 6, on: request.db)
            .filter { $0.id != entry.id }.prefix(5)
        return try await request.render(
            "portal/faq-entry",
            FAQEntryPage(
                layout: await Layout.make(for: request, title: entry.question), entry: FAQRow(entry, withAnswer: true),
                sphere: SphereLink(code: entry.sphere, name: names[entry.sphere] ?? entry.sphere, url: "/kb/\(entry.sphere)", count: 0, current: true),
                voted: try? request.query.get(String.self, at: "voted"), others: others.map { FAQRow($0) }))
    }

    struct VoteInput: Content {
        var helpful: String?
    }

    /// The vote's key: the account when signed in, else the client's address (hashed, so no personal
    /// data is kept). A cookie would be free to renew, and the votes order the answers everyone sees.
    static func voter(_ request: Request) -> String? {
        if let id = request.currentUser?.id { return "u:" + id.uuidString }
        return "ip:" + Secrets.hash(request.clientAddress)
    }

    static func helpful(_ raw: String?) throws -> Bool {
        switch raw {
        case "yes", "true", "1": return true
        case "no", "false", "0": return false
        default: throw ValidationFailure([FieldError("helpful", raw?.isEmpty ?? true ? .required : .invalidValue)])
        }
    }

    @Sendable
    func vote(request: Request) async throws -> Response {
        guard let slug = request.parameters.get("slug"),
            let entry = try await KnowledgeBaseService.faqEntry(slug: slug, includeDrafts: false, on: request.db)
        else { throw AppError.notFound }
        let input = try request.content.decode(VoteInput.self)
        guard let helpful = try? Self.helpful(input.helpful) else { throw AppError.badRequest("Выберите «Да» или «Нет».") }
        guard let voter = Self.voter(request) else { throw AppError.csrf }
        _ = try await KnowledgeBaseService.vote(entry, voter: voter, helpful: helpful, now: request.now, on: request.db)
        return request.seeOther(entry.url + "?voted=" + (helpful ? "yes" : "no") + "#vote", flash: "Спасибо! Ваша оценка учтена.")
    }

    // MARK: API

    struct ArticleDTO: Content {
        var slug: String
        var title: String
        var summary: String
        var sphere: String
        var kind: String
        var tags: [String]
        var visibility: String
        var status: String
        var url: String
        var publishedAt: Date?
        var updatedAt: Date
        var revision: Int
        var views: Int
        var markdown: String?
        var html: String?

        init(_ article: Article, full: Bool) {
            slug = article.slug
            title = article.title
            summary = article.summary
            sphere = article.sphere
            kind = article.kind
            tags = article.tags
            visibility = article.visibility
            status = article.status
            url = article.url
            publishedAt = article.publishedAt
            updatedAt = article.updatedAt
            revision = article.revision
            views = article.views
            markdown = full ? article.body : nil
            html = full ? Markdown.html(article.body) : nil
        }
    }

    struct ArticleList: Content {
        var items: [ArticleDTO]
    }

    @Sendable
    func apiArticles(request: Request) async throws -> ArticleList {
        let audience = await KnowledgeBaseService.audience(of: request)
        var filter = KnowledgeBaseService.ArticleFilter()
        if let raw = try? request.query.get(String.self, at: "sphere") {
            guard let sphere = SphereCode(rawValue: raw) else { throw AppError.badRequest("sphere: unknown sphere code") }
            filter.sphere = sphere
        }
        if let raw = try? request.query.get(String.self, at: "kind") {
            guard let kind = ArticleKind(rawValue: raw) else { throw AppError.badRequest("kind: one of legal, interview, court, choosing") }
            filter.kind = kind
        }
        filter.tag = try? request.query.get(String.self, at: "tag")
        let articles = try await KnowledgeBaseService.articles(filter, audience: audience, on: request.db)
        return ArticleList(items: articles.map { ArticleDTO($0, full: false) })
    }

    @Sendable
    func apiArticle(request: Request) async throws -> ArticleDTO {
        let audience = await KnowledgeBaseService.audience(of: request)
        guard let slug = request.parameters.get("slug"),
            let article = try await KnowledgeBaseService.article(slug: slug, audience: audience, on: request.db)
        else { throw AppError.notFound }
        return ArticleDTO(article, full: true)
    }

    struct FAQDTO: Content {
        var slug: String
        var question: String
        var sphere: String
        var answerMarkdown: String
        var answerHtml: String
        var references: [String]
        var views: Int
        var helpful: Int
        var unhelpful: Int
        var url: String
    }

    struct FAQList: Content {
        var items: [FAQDTO]
    }

    @Sendable
    func apiFAQ(request: Request) async throws -> FAQList {
        var sphere: SphereCode?
        if let raw = try? request.query.get(String.self, at: "sphere") {
            guard let code = SphereCode(rawValue: raw) else { throw AppError.badRequest("sphere: unknown sphere code") }
            sphere = code
        }
        let entries = try await KnowledgeBaseService.faq(sphere: sphere, includeDrafts: false, on: request.db)
        return FAQList(items: entries.map {
            FAQDTO(
                slug: $0.slug, question: $0.question, sphere: $0.sphere, answerMarkdown: $0.answer,
                answerHtml: RenderedMarkdown.html($0.answer, key: "faq:\($0.id?.uuidString ?? ""):\($0.updatedAt.timeIntervalSince1970)"),
                references: $0.references, views: $0.views, helpful: $0.helpful, unhelpful: $0.unhelpful, url: $0.url)
        })
    }

    struct APIVoteInput: Content {
        var helpful: Bool?
    }

    struct APIVoteResult: Content {
        var result: KnowledgeBaseService.VoteResult
        var helpful: Int
        var unhelpful: Int
    }

    /// Programs vote for a signed-in person (bearer token); anonymous API votes would be one click per
    /// request, with nothing to tell two people apart.
    @Sendable
    func apiVote(request: Request) async throws -> APIVoteResult {
        let user = try request.requireUser()
        guard let slug = request.parameters.get("slug"),
            let entry = try await KnowledgeBaseService.faqEntry(slug: slug, includeDrafts: false, on: request.db)
        else { throw AppError.notFound }
        guard let helpful = try request.content.decode(APIVoteInput.self).helpful else {
            throw ValidationFailure([FieldError("helpful", .required)])
        }
        let result = try await KnowledgeBaseService.vote(entry, voter: "u:" + (try user.requireID().uuidString), helpful: helpful, now: request.now, on: request.db)
        guard let fresh = try await FAQEntry.find(entry.id, on: request.db) else { throw AppError.notFound }
        return APIVoteResult(result: result, helpful: fresh.helpful, unhelpful: fresh.unhelpful)
    }
}
