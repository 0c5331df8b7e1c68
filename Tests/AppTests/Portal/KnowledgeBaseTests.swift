import Fluent
import Foundation
import Testing
import Vapor

@testable import App
@testable import Domain

@Suite("Knowledge base", .serialized)
struct KnowledgeBaseTests {
    static func articleForm(_ title: String, body: String, published: Bool, staffOnly: Bool = false, action: String = "save", revision: Int? = nil)
        -> [(String, String)]
    {
        var form: [(String, String)] = [
            ("title", title), ("slug", ""), ("sphere", "trade"), ("kind", "legal"), ("summary", "Кратко"), ("tags", "телефон, возврат"),
            ("body", body), ("action", action), ("note", "правка"),
        ]
        if published { form.append(("status", "published")) }
        if staffOnly { form.append(("visibility", "internal")) }
        if let revision { form.append(("revision", String(revision))) }
        return form
    }

    static func article(_ slug: String, on app: Application) async throws -> Article? {
        try await Article.query(on: app.db).filter(\.$slug == slug).first()
    }

    @Test func editorPreviewsSavesPublishesAndRestoresRevisions() async throws {
        try await withApp(demo: true) { app in
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            let visitor = try Browser(app)
            let title = "Как вернуть смартфон с браком"

            // Preview renders, saves nothing.
            let preview = try await editor.post("/editor/articles", form: Self.articleForm(title, body: "## Шаги\n\n**Срок** — 15 дней.", published: true, action: "preview"))
            #expect(preview.status == .ok)
            #expect(preview.body.string.contains("<h2>Шаги</h2>") && preview.body.string.contains("<strong>Срок</strong>"))
            #expect(try await Self.article("kak-vernut-smartfon-s-brakom", on: app) == nil)

            // A draft is the editor's only.
            let saved = try await editor.post("/editor/articles", form: Self.articleForm(title, body: "Первая версия: смартфон.", published: false))
            #expect(saved.status == .seeOther)
            let draft = try #require(try await Self.article("kak-vernut-smartfon-s-brakom", on: app))
            #expect(draft.revision == 1 && draft.status == "draft")
            let id = try draft.requireID().uuidString
            #expect(try await visitor.get(draft.url).status == .notFound)
            let own = try await editor.get(draft.url)
            #expect(own.status == .ok && own.body.string.contains("draft-mark"))
            #expect(!(try await SearchIndex.search("смартфон с браком", kinds: ["article"], on: app.db).map(\.url).contains(draft.url)))

            // Published: everyone reads it, search finds it by an inflected query.
            #expect(try await editor.post("/editor/articles/\(id)", form: Self.articleForm(title, body: "Вторая версия: смартфоны и телефоны.", published: true, revision: 1)).status == .seeOther)
            let page = try await visitor.get(draft.url)
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Вторая версия"))
            let hits = try await SearchIndex.search("вернуть смартфоны", kinds: ["article"], on: app.db)
            #expect(hits.map(\.url).contains(draft.url), "\(hits.map(\.url))")

            // Someone saved in between: the stale form is refused, nothing changes.
            let stale = try await editor.post("/editor/articles/\(id)", form: Self.articleForm(title, body: "Чужая правка", published: true, revision: 1))
            #expect(stale.status == .conflict)
            #expect(try await Self.article(draft.slug, on: app)?.body == "Вторая версия: смартфоны и телефоны.")

            // History, and restoring version 1 makes version 3 with the old text.
            let history = try await editor.get("/editor/articles/\(id)/revisions")
            #expect(history.status == .ok && history.body.string.contains("/revisions/1") && history.body.string.contains("/revisions/2"))
            #expect(try await editor.get("/editor/articles/\(id)/revisions/1").body.string.contains("Первая версия"))
            #expect(try await editor.post("/editor/articles/\(id)/revisions/1/restore", form: []).status == .seeOther)
            let restored = try #require(try await Self.article(draft.slug, on: app))
            #expect(restored.revision == 3 && restored.body == "Первая версия: смартфон.")
            #expect(restored.status == "published", "restoring brings back words, not the draft status version 1 had")
            #expect(try await KnowledgeBaseService.revisions(of: restored.requireID(), on: app.db).map(\.revision) == [3, 2, 1])
            #expect(try await visitor.get(draft.url).body.string.contains("Первая версия"))

            // Unpublished and made internal: restoring old text does not show it to the public again.
            #expect(try await editor.post("/editor/articles/\(id)", form: Self.articleForm(title, body: "Для сотрудников.", published: true, staffOnly: true, revision: 3)).status == .seeOther)
            #expect(try await editor.post("/editor/articles/\(id)/revisions/2/restore", form: []).status == .seeOther)
            #expect(try await visitor.get(draft.url).status == .notFound)
            #expect(!(try await SearchIndex.search("смартфоны", kinds: ["article"], on: app.db).map(\.url).contains(draft.url)), "nor to search")
        }
    }

    @Test func internalArticlesAreForStaffOnly() async throws {
        try await withApp(demo: true) { app in
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            #expect(try await editor.post("/editor/articles", form: Self.articleForm("Изменения в правилах продажи", body: "Обзор изменений для специалистов.", published: true, staffOnly: true)).status == .seeOther)
            let article = try #require(try await Self.article("izmeneniia-v-pravilakh-prodazhi", on: app))
            let visitor = try Browser(app)
            #expect(try await visitor.get(article.url).status == .notFound)
            #expect(!(try await visitor.get("/kb/trade").body.string.contains(article.title)))
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get(article.url).status == .notFound)
            let coordinator = try Browser(app)
            try await coordinator.signIn("coordinator@consumerdesk.test")
            let page = try await coordinator.get(article.url)
            #expect(page.status == .ok && page.body.string.contains("internal-mark"))
            #expect(try await coordinator.get("/kb/trade").body.string.contains(article.title))
            #expect(!(try await SearchIndex.search("изменения правил продажи", kinds: ["article"], on: app.db).map(\.url).contains(article.url)), "the public search never shows it")
            let api = try API(app)
            #expect(try await api.send(.GET, "/api/v1/kb/articles/\(article.slug)").status == .notFound)
        }
    }

    @Test func onlyEditorsEditAndBadInputIsRefusedPerField() async throws {
        try await withApp(demo: true) { app in
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/editor").status == .forbidden)
            #expect(try await citizen.post("/editor/articles", form: Self.articleForm("Взлом", body: "x", published: true)).status == .forbidden)
            let before = try await Article.query(on: app.db).count()

            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            let bad = try await editor.post("/editor/articles", form: [("title", ""), ("sphere", "space"), ("kind", "legal"), ("body", "")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("title-error") && bad.body.string.contains("sphere-error") && bad.body.string.contains("body-error"))
            #expect(try await Article.query(on: app.db).count() == before, "nothing saved")

            // Markdown with scripts renders harmless on the portal.
            let evil = "<script>alert('x')</script>\n\n[клик](javascript:alert(1)) <img src=x onerror=alert(1)>"
            #expect(try await editor.post("/editor/articles", form: Self.articleForm("Проверка разметки", body: evil, published: true)).status == .seeOther)
            let page = try await Browser(app).get("/kb/trade/proverka-razmetki")
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(!html.contains("<script>alert") && !html.contains("javascript:") && !html.contains("<img src=x"))
            #expect(html.contains("&lt;script&gt;"))
            // A taken address is refused on the field.
            let clash = try await editor.post("/editor/articles", form: Self.articleForm("Проверка разметки", body: "ещё", published: false))
            #expect(clash.status == .unprocessableEntity && clash.body.string.contains("slug-error"))
            // The wrong sphere in the address leads to the article's own.
            let moved = try await Browser(app).get("/kb/housing/proverka-razmetki")
            #expect(moved.status == .movedPermanently && moved.headers.first(name: .location) == "/kb/trade/proverka-razmetki")
        }
    }

    @Test func faqVotesAndViewsOrderTheAnswers() async throws {
        try await withApp(demo: true) { app in
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            for (question, slug) in [("Первый вопрос о ремонте?", "q-one"), ("Второй вопрос о ремонте?", "q-two")] {
                let saved = try await editor.post("/editor/faq", form: [
                    ("question", question), ("slug", slug), ("sphere", "household_services"), ("answer", "Ответ **важный**."),
                    ("references", "ст. 29 Закона № 2300-1\nПП РФ № 1514"), ("status", "published"),
                ])
                #expect(saved.status == .seeOther)
            }
            let visitor = try Browser(app)
            let entry = try await visitor.get("/faq/q-two")
            #expect(entry.status == .ok && entry.body.string.contains("Помог ли ответ?") && entry.body.string.contains("ПП РФ № 1514"))
            #expect(try await visitor.post("/faq/q-two/vote", form: [("helpful", "yes")]).status == .seeOther)
            #expect(try await visitor.post("/faq/q-two/vote", form: [("helpful", "yes")]).status == .seeOther, "a repeat is not counted")
            try await app.viewCounter.flush(on: app.db)
            var two = try #require(try await FAQEntry.query(on: app.db).filter(\.$slug == "q-two").first())
            #expect(two.helpful == 1 && two.unhelpful == 0 && two.views == 1)
            #expect(try await visitor.post("/faq/q-two/vote", form: [("helpful", "no")]).status == .seeOther, "changing one's mind moves the vote")
            two = try #require(try await FAQEntry.query(on: app.db).filter(\.$slug == "q-two").first())
            #expect(two.helpful == 0 && two.unhelpful == 1)
            #expect(try await visitor.post("/faq/q-two/vote", form: [("helpful", "maybe")]).status == .badRequest)

            let another = try Browser(app)
            _ = try await another.get("/faq")
            #expect(try await another.post("/faq/q-one/vote", form: [("helpful", "yes")]).status == .seeOther)
            let order = try await KnowledgeBaseService.faq(sphere: .householdServices, includeDrafts: false, on: app.db).map(\.slug)
            #expect(order.firstIndex(of: "q-one")! < order.firstIndex(of: "q-two")!, "helpful answers first: \(order)")

            // The API: reading is open, voting needs an account.
            let api = try API(app)
            let list = try await api.send(.GET, "/api/v1/faq?sphere=household_services").content.decode(PortalController.FAQList.self)
            #expect(list.items.contains { $0.slug == "q-one" && $0.answerHtml.contains("<strong>важный</strong>") })
            #expect(try await api.send(.GET, "/api/v1/faq?sphere=space").status == .badRequest)
            #expect(try await api.send(.POST, "/api/v1/faq/q-one/vote", json: ["helpful": true]).status == .unauthorized)
            let citizen = try await API.signedIn(app, "citizen@consumerdesk.test")
            let voted = try await citizen.send(.POST, "/api/v1/faq/q-one/vote", json: ["helpful": true]).content.decode(PortalController.APIVoteResult.self)
            #expect(voted.result == .counted && voted.helpful == 2)
        }
    }
}
