import Foundation

/// One entry of a news feed.
public struct FeedEntry: Sendable, Hashable {
    /// Never changes nor is re-used (`urn:uuid:…`), though the address may (an edited slug).
    public var id: String
    public var link: String
    public var title: String
    public var summary: String
    public var published: Date
    public var updated: Date
    public var category: String?

    public init(id: String, link: String, title: String, summary: String, published: Date, updated: Date, category: String? = nil) {
        self.id = id
        self.link = link
        self.title = title
        self.summary = summary
        self.published = published
        self.updated = updated
        self.category = category
    }
}

/// The feed as a whole: where it lives and what it is about.
public struct FeedChannel: Sendable, Hashable {
    public var title: String
    public var description: String
    /// The page the feed mirrors (`/news`).
    public var link: String
    /// The feed's own address (Atom `rel="self"`, RSS `atom:link`).
    public var selfLink: String

    public init(title: String, description: String, link: String, selfLink: String) {
        self.title = title
        self.description = description
        self.link = link
        self.selfLink = selfLink
    }
}

/// RSS 2.0 and Atom 1.0 written by hand (they are small, and the exact text is what readers check):
/// escaped text, RFC 822 dates for RSS, RFC 3339 for Atom, `ru` as the language.
public enum Feeds {
    public static func rss(_ channel: FeedChannel, entries: [FeedEntry], now: Date) -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
            <channel>
            <title>\(escape(channel.title))</title>
            <link>\(escape(channel.link))</link>
            <description>\(escape(channel.description))</description>
            <language>ru</language>
            <lastBuildDate>\(rfc822(entries.map(\.updated).max() ?? now))</lastBuildDate>
            <atom:link href="\(escape(channel.selfLink))" rel="self" type="application/rss+xml"/>

            """
        for entry in entries {
            out += "<item>\n"
            out += "<title>\(escape(entry.title))</title>\n"
            out += "<link>\(escape(entry.link))</link>\n"
            out += "<guid isPermaLink=\"false\">\(escape(entry.id))</guid>\n"
            out += "<pubDate>\(rfc822(entry.published))</pubDate>\n"
            if let category = entry.category { out += "<category>\(escape(category))</category>\n" }
            out += "<description>\(escape(entry.summary))</description>\n"
            out += "</item>\n"
        }
        out += "</channel>\n</rss>\n"
        return out
    }

    public static func atom(_ channel: FeedChannel, entries: [FeedEntry], now: Date) -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru">
            <title>\(escape(channel.title))</title>
            <subtitle>\(escape(channel.description))</subtitle>
            <id>\(escape(channel.selfLink))</id>
            <link href="\(escape(channel.link))" rel="alternate" type="text/html"/>
            <link href="\(escape(channel.selfLink))" rel="self" type="application/atom+xml"/>
            <updated>\(rfc3339(entries.map(\.updated).max() ?? now))</updated>
            <author><name>\(escape(channel.title))</name></author>

            """
        for entry in entries {
            out += "<entry>\n"
            out += "<title>\(escape(entry.title))</title>\n"
            out += "<id>\(escape(entry.id))</id>\n"
            out += "<link href=\"\(escape(entry.link))\" rel=\"alternate\" type=\"text/html\"/>\n"
            out += "<published>\(rfc3339(entry.published))</published>\n"
            out += "<updated>\(rfc3339(entry.updated))</updated>\n"
            if let category = entry.category { out += "<category term=\"\(escape(category))\"/>\n" }
            out += "<summary type=\"text\">\(escape(entry.summary))</summary>\n"
            out += "</entry>\n"
        }
        out += "</feed>\n"
        return out
    }

    /// Text for XML: the five entities, and characters XML 1.0 forbids dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `Tue, 24 Nov 2026 09:30:00 +0000`, from the date's UTC parts (no formatter per call: feeds are polled).
    public static func rfc822(_ date: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day ?? 1)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour ?? 0)):\(two(c.minute ?? 0)):\(two(c.second ?? 0)) +0000"
    }

    /// `2026-11-24T09:30:00Z`.
    public static func rfc3339(_ date: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return "\(c.year ?? 1970)-\(two(c.month ?? 1))-\(two(c.day ?? 1))T\(two(c.hour ?? 0)):\(two(c.minute ?? 0)):\(two(c.second ?? 0))Z"
    }
}
