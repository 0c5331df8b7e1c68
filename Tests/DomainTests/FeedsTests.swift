import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@testable import Domain

@Suite("News feeds")
struct FeedsTests {
    static let channel = FeedChannel(
        title: "Новости — ConsumerDesk", description: "Новости защиты прав потребителей", link: "https://cd.example/news",
        selfLink: "https://cd.example/news/rss.xml")
    static let entries = [
        FeedEntry(
            id: "urn:uuid:1", link: "https://cd.example/news/seminar", title: "Семинар «Права & обязанности» <для всех>",
            summary: "Приходите 1 декабря.\u{0001}", published: Date(timeIntervalSince1970: 1_795_000_000),
            updated: Date(timeIntervalSince1970: 1_795_100_000), category: "Торговля"),
        FeedEntry(
            id: "urn:uuid:2", link: "https://cd.example/news/first", title: "Первая", summary: "Текст", published: Date(timeIntervalSince1970: 1_794_000_000),
            updated: Date(timeIntervalSince1970: 1_794_000_000)),
    ]

    /// Parses the text with Foundation's XML parser and collects the elements' text.
    final class Collector: NSObject, XMLParserDelegate {
        var texts: [String: [String]] = [:]
        var attributes: [String: [[String: String]]] = [:]
        private var current = ""
        private var stack: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            stack.append(name)
            current = ""
            self.attributes[name, default: []].append(attributes)
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            texts[name, default: []].append(current)
            current = ""
            stack.removeLast()
        }
    }

    static func parse(_ text: String) throws -> Collector {
        let parser = XMLParser(data: Data(text.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map(String.init(describing:)) ?? "")")
        return collector
    }

    @Test func rssIsWellFormedWithEscapedTextAndRFC822Dates() throws {
        let text = Feeds.rss(Self.channel, entries: Self.entries, now: Date())
        let parsed = try Self.parse(text)
        #expect(parsed.texts["title"]?.contains("Семинар «Права & обязанности» <для всех>") == true)
        #expect(parsed.texts["guid"] == ["urn:uuid:1", "urn:uuid:2"])
        #expect(parsed.texts["link"]?.dropFirst() == ["https://cd.example/news/seminar", "https://cd.example/news/first"])
        #expect(parsed.texts["pubDate"]?.first == "Wed, 18 Nov 2026 11:06:40 +0000")
        #expect(Feeds.rfc822(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(parsed.texts["description"]?.contains("Приходите 1 декабря.") == true, "a control character is dropped")
        #expect(parsed.texts["language"] == ["ru"])
        #expect(parsed.texts["category"] == ["Торговля"])
    }

    @Test func atomIsWellFormedWithSelfLinkAndRFC3339Dates() throws {
        let text = Feeds.atom(Self.channel, entries: Self.entries, now: Date())
        let parsed = try Self.parse(text)
        #expect(parsed.texts["id"]?.first == "https://cd.example/news/rss.xml")
        #expect(parsed.texts["updated"]?.first == "2026-11-19T14:53:20Z", "the newest entry's update")
        #expect(parsed.texts["published"] == ["2026-11-18T11:06:40Z", "2026-11-06T21:20:00Z"])
        #expect(parsed.texts["id"]?.dropFirst() == ["urn:uuid:1", "urn:uuid:2"])
        #expect(parsed.attributes["link"]?.contains { $0["rel"] == "self" } == true)
        #expect(parsed.attributes["category"]?.first?["term"] == "Торговля")
        #expect(Feeds.atom(Self.channel, entries: [], now: Date(timeIntervalSince1970: 0)).contains("<updated>1970-01-01T00:00:00Z</updated>"))
    }
}

@Suite("News drafts")
struct NewsDraftTests {
    static let zone = TimeZone(identifier: "Europe/Volgograd")!

    @Test func aGoodDraftGetsASlugFromItsTitleAndALocalTime() throws {
        let valid = try NewsDraft.validate(
            .init(title: "Семинар для потребителей", slug: "", sphere: "trade", summary: " Кратко ", body: "Текст", publishAt: "2026-12-01T10:00"),
            timeZone: Self.zone)
        #expect(valid.slug == "seminar-dlia-potrebitelei" && valid.sphere == "trade" && valid.summary == "Кратко")
        #expect(valid.publishAt == Date(timeIntervalSince1970: 1_796_108_400), "10:00 in Volgograd is 07:00 UTC")
        let general = try NewsDraft.validate(
            .init(title: "Общая", slug: "obshchaia", sphere: "", summary: "", body: "Текст", publishAt: "2026-12-01 10:00"), timeZone: Self.zone)
        #expect(general.sphere == nil)
    }

    @Test func badDraftsNameEveryBadField() {
        do {
            _ = try NewsDraft.validate(
                .init(title: " ", slug: "", sphere: "astrology", summary: String(repeating: "а", count: 501), body: "", publishAt: "завтра"),
                timeZone: Self.zone)
            Issue.record("accepted")
        } catch {
            #expect(Set(error.errors.map(\.field)) == ["title", "sphere", "summary", "body", "publishAt"])
        }
        do {
            _ = try NewsDraft.validate(
                .init(title: "Новость", slug: "Bad Slug!", sphere: "", summary: "", body: "x", publishAt: ""), timeZone: Self.zone)
            Issue.record("accepted")
        } catch {
            #expect(Set(error.errors.map(\.field)) == ["slug", "publishAt"])
        }
    }
}
