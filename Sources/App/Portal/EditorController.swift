import Domain
import Fluent
import Foundation
import Vapor

/// `/editor`: the knowledge-base editor's desk — articles with preview and revision history (restore
/// makes a new revision), and the FAQ. Only the `editContent` action (editors, administrators).
struct EditorController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let editor = routes.grouped("editor")
        editor.get(use: list)
        editor.get("articles", "new", use: newArticle)
        editor.post("articles", use: createArticle)
        editor.get("articles", ":id", use: editArticle)
        editor.post("articles", ":id", use: updateArticle)
        editor.get("articles", ":id", "revisions", use: revisions)
        editor.get("articles", ":id", "revisions", ":number", use: revision)
        editor.post("articles", ":id", "revisions", ":number", "restore", use: restore)
        editor.get("faq", "new", use: newFAQ)
        editor.post("faq", use: createFAQ)
        editor.get("faq", ":id", use: editFAQ)
        editor.post("faq", ":id", use: updateFAQ)
    }

    static func requireEditor(_ request: Request) async throws -> UUID {
        let user = try request.requireUser()
        let actor = try await request.requireActor()
        // The real tree: a grant in a deactivated organisation no longer counts.
        guard Policy.permitsAnywhere(actor, .editContent, tree: try await OrganisationQueries.tree(on: request.db)) else {
            throw AppError.forbidden
        }
        return try user.requireID()
    }

    // MARK: Lists

    struct ListPage: Encodable {
        struct Row: Encodable {
            var title: String
            var editURL: String
            var viewURL: String
            var sphere: String
            var kind: String
            var status: String
            var visibility: String
            var revision: Int
            var updated: String
            var views: Int
        }

        struct FAQRow: Encodable {
            var question: String
            var editURL: String
            var sphere: String
            var status: String
            var views: Int
            var helpful: Int
            var unhelpful: Int
        }

        var layout: Layout
        var articles: [Row]
        var faq: [FAQRow]
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        let names = Dictionary(try await PortalController.sphereNames(on: request.db), uniquingKeysWith: { a, _ in a })
        let articles = try await Article.query(on: request.db).sort(\.$updatedAt, .descending).all()
        let faq = try await KnowledgeBaseService.faq(sphere: nil, includeDrafts: true, on: request.db)
        return try await request.render(
            "editor/list",
            ListPage(
                layout: await Layout.make(for: request, title: "Редактор базы знаний"),
                articles: try articles.map {
                    ListPage.Row(
                        title: $0.title, editURL: "/editor/articles/\(try $0.requireID().uuidString)", viewURL: $0.url,
                        sphere: names[$0.sphere] ?? $0.sphere, kind: ArticleKind(rawValue: $0.kind).map(PortalController.kindName) ?? $0.kind,
                        status: $0.articleStatus == .published ? "Опубликована" : "Черновик",
                        visibility: $0.articleVisibility == .internal ? "Для сотрудников" : "Для всех", revision: $0.revision,
                        updated: Strings.dateTime($0.updatedAt), views: $0.views)
                },
                faq: try faq.map {
                    ListPage.FAQRow(
                        question: $0.question, editURL: "/editor/faq/\(try $0.requireID().uuidString)", sphere: names[$0.sphere] ?? $0.sphere,
                        status: $0.status == ArticleStatus.published.rawValue ? "Опубликован" : "Черновик", views: $0.views,
                        helpful: $0.helpful, unhelpful: $0.unhelpful)
                }))
    }

    // MARK: Articles

    struct ArticleInput: Content {
        var slug: String?
        var title: String?
        var summary: String?
        var sphere: String?
        var kind: String?
        var tags: String?
        var body: String?
        var status: String?
        var visibility: String?
        var note: String?
        var revision: Int?
        /// «preview» shows the rendered article without saving.
        var action: String?

        var draft: ArticleDraft {
            ArticleDraft(slug: slug, title: title, summary: summary, sphere: sphere, kind: kind, tags: tags, body: body, status: status, visibility: visibility)
        }
    }

    struct ArticleForm: Encodable {
        var layout: Layout
        var action: String
        var isNew: Bool
        var input: Values
        var spheres: [Choice]
        var kinds: [Choice]
        var preview: String?
        var errors: [String: String]
        var hasErrors: Bool
        var historyURL: String?
        var viewURL: String?

        struct Values: Encodable {
            var slug: String
            var title: String
            var summary: String
            var tags: String
            var body: String
            var published: Bool
            var isInternal: Bool
            var note: String
            var revision: Int
        }
    }

    static func form(
        _ request: Request, article: Article?, input: ArticleInput?, preview: String? = nil, failure: ValidationFailure? = nil
    ) async throws -> ArticleForm {
        let sphere = input?.sphere ?? article?.sphere ?? ""
        let kind = input?.kind ?? article?.kind ?? ""
        let names = try await PortalController.sphereNames(on: request.db)
        let id = try article?.requireID().uuidString
        let status: String? = input?.status ?? article?.status
        let visibility: String? = input?.visibility ?? article?.visibility
        let published = status == ArticleStatus.published.rawValue
        let isInternal = visibility == ArticleVisibility.internal.rawValue
        let tags: String = input?.tags ?? article?.tags.joined(separator: ", ") ?? ""
        return ArticleForm(
            layout: await Layout.make(for: request, title: article == nil ? "Новая статья" : "Статья: \(article!.title)"),
            action: id.map { "/editor/articles/\($0)" } ?? "/editor/articles", isNew: article == nil,
            input: .init(
                slug: input?.slug ?? article?.slug ?? "", title: input?.title ?? article?.title ?? "",
                summary: input?.summary ?? article?.summary ?? "",
                tags: tags, body: input?.body ?? article?.body ?? "",
                published: published, isInternal: isInternal, note: input?.note ?? "", revision: input?.revision ?? article?.revision ?? 0),
            spheres: names.map { Choice(value: $0.code, label: $0.name, selected: $0.code == sphere) },
            kinds: ArticleKind.allCases.map { Choice(value: $0.rawValue, label: PortalController.kindName($0), selected: $0.rawValue == kind) },
            preview: preview, errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            historyURL: id.map { "/editor/articles/\($0)/revisions" }, viewURL: article?.url)
    }

    @Sendable
    func newArticle(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        return try await request.render("editor/article", try await Self.form(request, article: nil, input: nil))
    }

    @Sendable
    func editArticle(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        let article = try await request.model(Article.self, "id")
        return try await request.render("editor/article", try await Self.form(request, article: article, input: nil))
    }

    @Sendable
    func createArticle(request: Request) async throws -> Response {
        try await save(request, article: nil)
    }

    @Sendable
    func updateArticle(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        let article = try await request.model(Article.self, "id")
        return try await save(request, article: article)
    }

    func save(_ request: Request, article: Article?) async throws -> Response {
        let author = try await Self.requireEditor(request)
        var input = try request.content.decode(ArticleInput.self)
        // Checkboxes: absent means off.
        input.status = input.status == ArticleStatus.published.rawValue ? ArticleStatus.published.rawValue : ArticleStatus.draft.rawValue
        input.visibility = input.visibility == ArticleVisibility.internal.rawValue ? ArticleVisibility.internal.rawValue : ArticleVisibility.public.rawValue
        let snapshot = input
        return try await request.submitForm("editor/article") {
            let checked = try ArticleRules.check(snapshot.draft)
            if snapshot.action == "preview" {
                return try await request.render(
                    "editor/article", try await Self.form(request, article: article, input: snapshot, preview: Markdown.html(checked.body)))
            }
            let saved = try await KnowledgeBaseService.save(
                articleID: article?.id, checked, author: author, note: snapshot.note?.nonBlank, expectedRevision: article == nil ? nil : snapshot.revision,
                now: request.now, on: request.db)
            return request.seeOther("/editor/articles/\(try saved.requireID().uuidString)", flash: "Сохранено: версия \(saved.revision).")
        } onInvalid: { failure in
            try await Self.form(request, article: article, input: snapshot, failure: failure)
        }
    }

    // MARK: Revisions

    struct RevisionsPage: Encodable {
        struct Row: Encodable {
            var number: Int
            var url: String
            var title: String
            var status: String
            var date: String
            var author: String
            var note: String
            var current: Bool
        }

        var layout: Layout
        var title: String
        var editURL: String
        var rows: [Row]
    }

    @Sendable
    func revisions(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        let id = try request.uuidParameter("id")
        guard let article = try await Article.find(id, on: request.db) else { throw AppError.notFound }
        let revisions = try await KnowledgeBaseService.revisions(of: id, on: request.db)
        let authorIDs = Set(revisions.compactMap(\.authorID))
        let authors = try await User.query(on: request.db).filter(\.$id ~~ authorIDs).all()
        let names = Dictionary(authors.compactMap { u in u.id.map { ($0, u.personName.short) } }, uniquingKeysWith: { a, _ in a })
        return try await request.render(
            "editor/revisions",
            RevisionsPage(
                layout: await Layout.make(for: request, title: "История: \(article.title)"), title: article.title,
                editURL: "/editor/articles/\(id.uuidString)",
                rows: revisions.map {
                    RevisionsPage.Row(
                        number: $0.revision, url: "/editor/articles/\(id.uuidString)/revisions/\($0.revision)", title: $0.title,
                        status: $0.status == ArticleStatus.published.rawValue ? "Опубликована" : "Черновик",
                        date: Strings.dateTime($0.createdAt), author: $0.authorID.flatMap { names[$0] } ?? "—", note: $0.note ?? "",
                        current: $0.revision == article.revision)
                }))
    }

    struct RevisionPage: Encodable {
        var layout: Layout
        var number: Int
        var title: String
        var html: String
        var markdown: String
        var restoreAction: String
        var historyURL: String
        var current: Bool
    }

    @Sendable
    func revision(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        let id = try request.uuidParameter("id")
        guard let number = request.parameters.get("number").flatMap(Int.init),
            let article = try await Article.find(id, on: request.db),
            let revision = try await KnowledgeBaseService.revision(number, of: id, on: request.db)
        else { throw AppError.notFound }
        return try await request.render(
            "editor/revision",
            RevisionPage(
                layout: await Layout.make(for: request, title: "Версия \(number): \(revision.title)"), number: number, title: revision.title,
                html: Markdown.html(revision.body), markdown: revision.body,
                restoreAction: "/editor/articles/\(id.uuidString)/revisions/\(number)/restore",
                historyURL: "/editor/articles/\(id.uuidString)/revisions", current: number == article.revision))
    }

    @Sendable
    func restore(request: Request) async throws -> Response {
        let author = try await Self.requireEditor(request)
        let id = try request.uuidParameter("id")
        guard let number = request.parameters.get("number").flatMap(Int.init) else { throw AppError.notFound }
        do {
            let article = try await KnowledgeBaseService.restore(number, of: id, author: author, now: request.now, on: request.db)
            return request.seeOther("/editor/articles/\(id.uuidString)", flash: "Восстановлена версия \(number); сохранена как версия \(article.revision).")
        } catch let failure as ValidationFailure {
            // The old address may be taken by another article since.
            return request.seeOther("/editor/articles/\(id.uuidString)/revisions", flash: "Версию нельзя восстановить: " + FormErrors.russian(failure).values.joined(separator: " "))
        }
    }

    // MARK: FAQ

    struct FAQInput: Content {
        var slug: String?
        var question: String?
        var answer: String?
        var sphere: String?
        var references: String?
        var status: String?
        var action: String?

        var draft: FAQDraft {
            FAQDraft(slug: slug, question: question, answer: answer, sphere: sphere, references: references, status: status)
        }
    }

    struct FAQForm: Encodable {
        var layout: Layout
        var action: String
        var isNew: Bool
        var slug: String
        var question: String
        var answer: String
        var references: String
        var published: Bool
        var spheres: [Choice]
        var preview: String?
        var errors: [String: String]
        var hasErrors: Bool
        var viewURL: String?
    }

    static func faqForm(
        _ request: Request, entry: FAQEntry?, input: FAQInput?, preview: String? = nil, failure: ValidationFailure? = nil
    ) async throws -> FAQForm {
        let sphere = input?.sphere ?? entry?.sphere ?? ""
        let names = try await PortalController.sphereNames(on: request.db)
        let id = try entry?.requireID().uuidString
        return FAQForm(
            layout: await Layout.make(for: request, title: entry == nil ? "Новый вопрос" : "Вопрос: \(entry!.question)"),
            action: id.map { "/editor/faq/\($0)" } ?? "/editor/faq", isNew: entry == nil,
            slug: input?.slug ?? entry?.slug ?? "", question: input?.question ?? entry?.question ?? "",
            answer: input?.answer ?? entry?.answer ?? "",
            references: input?.references ?? entry?.references.joined(separator: "\n") ?? "",
            published: (input?.status ?? entry?.status ?? ArticleStatus.published.rawValue) == ArticleStatus.published.rawValue,
            spheres: names.map { Choice(value: $0.code, label: $0.name, selected: $0.code == sphere) },
            preview: preview, errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            viewURL: entry.map(\.url))
    }

    @Sendable
    func newFAQ(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        return try await request.render("editor/faq", try await Self.faqForm(request, entry: nil, input: nil))
    }

    @Sendable
    func editFAQ(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        let entry = try await request.model(FAQEntry.self, "id")
        return try await request.render("editor/faq", try await Self.faqForm(request, entry: entry, input: nil))
    }

    @Sendable
    func createFAQ(request: Request) async throws -> Response {
        try await saveFAQ(request, entry: nil)
    }

    @Sendable
    func updateFAQ(request: Request) async throws -> Response {
        _ = try await Self.requireEditor(request)
        let entry = try await request.model(FAQEntry.self, "id")
        return try await saveFAQ(request, entry: entry)
    }

    func saveFAQ(_ request: Request, entry: FAQEntry?) async throws -> Response {
        let author = try await Self.requireEditor(request)
        var input = try request.content.decode(FAQInput.self)
        input.status = input.status == ArticleStatus.published.rawValue ? ArticleStatus.published.rawValue : ArticleStatus.draft.rawValue
        let snapshot = input
        return try await request.submitForm("editor/faq") {
            let checked = try FAQRules.check(snapshot.draft)
            if snapshot.action == "preview" {
                return try await request.render(
                    "editor/faq", try await Self.faqForm(request, entry: entry, input: snapshot, preview: Markdown.html(checked.answer)))
            }
            let saved = try await KnowledgeBaseService.saveFAQ(entryID: entry?.id, checked, author: author, now: request.now, on: request.db)
            request.application.botCache.invalidate()
            return request.seeOther("/editor/faq/\(try saved.requireID().uuidString)", flash: "Сохранено.")
        } onInvalid: { failure in
            try await Self.faqForm(request, entry: entry, input: snapshot, failure: failure)
        }
    }
}
