import Foundation

/// One entry of a news feed.
public struct FeedEntry: Sendable, Hashable {
    /// The entry's permanent address (also its id).
    public var link: String
    public var title: String
    public var summary: String
    public var published: Date
    public var updated: Date
    public var category: String?

    public init(link: String, title: String, summary: String, published: Date, updated: Date, category: String? = nil) {
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
            out += "<guid isPermaLink=\"true\">\(escape(entry.link))</guid>\n"
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
            out += "<id>\(escape(entry.link))</id>\n"
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

    /// `Tue, 24 Nov 2026 09:30:00 +0000`.
    public static func rfc822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// `2026-11-24T09:30:00Z`.
    public static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
