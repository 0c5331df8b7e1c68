import Fluent
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// News: the editor writes and publishes (now or later), the portal lists and shows it with preview tags
/// for social networks, and the RSS and Atom feeds carry it, all and per sphere.
@Suite("News and feeds")
struct NewsTests {
    static func publish(
        _ editor: Browser, title: String, sphere: String = "", at: String, published: Bool = true, summary: String = "Кратко о главном"
    ) async throws -> TestingHTTPResponse {
        var form = [("title", title), ("slug", ""), ("sphere", sphere), ("summary", summary), ("body", "## Подробности\n\nТекст новости."), ("publishAt", at)]
        if published { form.append(("published", "1")) }
        return try await editor.post("/editor/news", form: form)
    }

    /// The texts of every `tag` element (no nesting needed for feeds).
    static func texts(_ xml: String, _ tag: String) -> [String] {
        xml.components(separatedBy: "<\(tag)>").dropFirst().compactMap { $0.components(separatedBy: "</\(tag)>").first }
    }

    static func wellFormed(_ xml: String) -> Bool { XMLParser(data: Data(xml.utf8)).parse() }

    @Test func anEditorPublishesAndTheFeedsCarryIt() async throws {
        try await withApp(demo: true) { app in
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            #expect(try await editor.get("/editor/news").status == .ok)

            // Every bad field named, nothing saved.
            let bad = try await editor.post("/editor/news", form: [("title", ""), ("body", ""), ("publishAt", "когда-нибудь"), ("sphere", "x")])
            #expect(bad.status == .unprocessableEntity)
            for field in ["title", "body", "publishAt", "sphere"] { #expect(bad.body.string.contains("id=\"\(field)-error\""), "\(field)") }
            #expect(try await NewsItem.query(on: app.db).count() == 0)

            let past = "2026-01-15T10:00"
            let saved = try await Self.publish(editor, title: "Семинар «Права потребителей» & новые правила", sphere: "trade", at: past)
            #expect(saved.status == .seeOther)
            _ = try await Self.publish(editor, title: "Общая новость", at: "2026-01-10T09:00")
            _ = try await Self.publish(editor, title: "Черновик", at: past, published: false)
            _ = try await Self.publish(editor, title: "Завтрашняя", at: "2099-01-01T09:00")
            let twin = try await editor.post(
                "/editor/news", form: [("title", "Другая"), ("slug", "obshchaia-novost"), ("body", "x"), ("publishAt", past)])
            #expect(twin.status == .unprocessableEntity && twin.body.string.contains("id=\"slug-error\""))

            let visitor = try Browser(app)
            let list = try await visitor.get("/news")
            #expect(list.status == .ok)
            let html = list.body.string
            #expect(html.contains("Семинар «Права потребителей» &amp; новые правила") && html.contains("Общая новость"))
            #expect(!html.contains("Черновик") && !html.contains("Завтрашняя"))
            let first = try #require(html.range(of: "Семинар")), second = try #require(html.range(of: "Общая новость"))
            #expect(first.lowerBound < second.lowerBound, "newest first")
            let trade = try await visitor.get("/news?sphere=trade")
            #expect(trade.body.string.contains("Семинар") && !trade.body.string.contains("Общая новость"))
            #expect(try await visitor.get("/news?sphere=astrology").status == .notFound)

            // The item: its text, preview tags, share links; drafts and future items only for editors.
            let item = try await visitor.get("/news/seminar-prava-potrebitelei-novye-pravila")
            #expect(item.status == .ok, "\(item.status)")
            let page = item.body.string
            #expect(page.contains("<h2>Подробности</h2>"))
            #expect(page.contains("<meta property=\"og:title\" content=\"Семинар «Права потребителей» &amp; новые правила\">"))
            #expect(page.contains("<meta property=\"og:description\" content=\"Кратко о главном\">"))
            #expect(page.contains("<meta property=\"og:url\" content=\"http://127.0.0.1:8080/news/seminar-prava-potrebitelei-novye-pravila\">"))
            #expect(page.contains("<meta name=\"twitter:card\" content=\"summary\">") && page.contains("vk.com/share.php?url=http%3A%2F%2F127.0.0.1"))
            #expect(try await visitor.get("/news/chernovik").status == .notFound)
            #expect(try await visitor.get("/news/zavtrashniaia").status == .notFound)
            let preview = try await editor.get("/news/chernovik")
            #expect(preview.status == .ok && preview.body.string.contains("id=\"draft-mark\""))

            // The feeds: well-formed, newest first, only what the public sees; per sphere.
            let rss = try await visitor.get("/news/rss.xml")
            #expect(rss.headers.contentType?.description.hasPrefix("application/rss+xml") == true)
            #expect(Self.wellFormed(rss.body.string))
            #expect(Self.texts(rss.body.string, "title").dropFirst() == ["Семинар «Права потребителей» &amp; новые правила", "Общая новость"])
            let seminar = try #require(try await NewsItem.query(on: app.db).filter(\.$slug == "seminar-prava-potrebitelei-novye-pravila").first())
            #expect(rss.body.string.contains("<guid isPermaLink=\"false\">urn:uuid:\(seminar.id!.uuidString.lowercased())</guid>"))
            #expect(rss.body.string.contains("<link>http://127.0.0.1:8080/news/seminar-prava-potrebitelei-novye-pravila</link>"))
            #expect(rss.headers[.setCookie].isEmpty, "a feed sets no cookie, so caches may keep it")
            let atom = try await visitor.get("/news/atom.xml?sphere=trade")
            #expect(atom.headers.contentType?.description.hasPrefix("application/atom+xml") == true)
            #expect(Self.wellFormed(atom.body.string))
            #expect(Self.texts(atom.body.string, "title").count == 2, "the feed's title and one entry")
            #expect(atom.body.string.contains("<id>http://127.0.0.1:8080/news/atom.xml?sphere=trade</id>"))

            // The future item appears when its time comes.
            app.clock = AppClock { Date(timeIntervalSince1970: 4_100_000_000) }
            #expect(try await visitor.get("/news/zavtrashniaia").status == .ok)

            // Only editors write news: every editor page refuses others.
            let anonymous = try Browser(app)
            for path in ["/editor/news", "/editor/news/new", "/editor/news/\(seminar.id!.uuidString)"] {
                #expect(try await anonymous.get(path).status == .seeOther, "\(path) sends a visitor to sign in")
            }
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/editor/news").status == .forbidden)
            #expect(try await Self.publish(citizen, title: "Чужая", at: past).status == .forbidden)
            #expect(try await citizen.get("/editor/news/\(seminar.id!.uuidString)").status == .forbidden)
            #expect(try await citizen.post("/editor/news/\(seminar.id!.uuidString)", form: [("title", "x")]).status == .forbidden)
        }
    }

    /// Items published at the same minute are neither skipped nor repeated across pages.
    @Test func olderPagesFollowOnAfterTiesOfTheSameMinute() async throws {
        try await withApp { app in
            let at = Date(timeIntervalSince1970: 1_790_000_000)
            for index in 0..<(NewsQueries.pageSize + 3) {
                let item = NewsItem()
                item.slug = "n\(index)"
                item.title = "Новость номер \(index)"
                item.summary = ""
                item.body = "Текст"
                item.published = true
                item.publishAt = at
                item.createdAt = at
                item.updatedAt = at
                try await item.create(on: app.db)
            }
            let browser = try Browser(app)
            var seen: [String] = []
            var url: String? = "/news"
            while let next = url {
                let page = try await browser.get(next)
                #expect(page.status == .ok)
                let html = page.body.string
                seen += html.components(separatedBy: "href=\"/news/n").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
                url = html.components(separatedBy: "id=\"older-news\"").first.flatMap { head in
                    head.components(separatedBy: "href=\"").last?.split(separator: "\"").first.map { String($0).replacingOccurrences(of: "&amp;", with: "&") }
                }
                if !html.contains("id=\"older-news\"") { url = nil }
            }
            #expect(seen.count == NewsQueries.pageSize + 3 && Set(seen).count == seen.count, "\(seen)")
        }
    }
}
