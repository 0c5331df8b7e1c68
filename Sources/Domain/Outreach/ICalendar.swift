import Foundation

/// One VEVENT of an iCalendar file (RFC 5545).
public struct CalendarEvent: Sendable, Hashable {
    /// Never changes for the event (`<uuid>@consumerdesk`), so a calendar app updates rather than duplicates.
    public var uid: String
    /// Grows with each change the attendees should see (time, place, cancellation).
    public var sequence: Int
    public var title: String
    public var description: String
    public var location: String
    public var url: String
    public var start: Date
    public var end: Date
    public var updated: Date
    public var cancelled: Bool
    public var categories: [String]

    public init(
        uid: String, sequence: Int, title: String, description: String, location: String, url: String, start: Date,
        end: Date, updated: Date, cancelled: Bool = false, categories: [String] = []
    ) {
        self.uid = uid
        self.sequence = sequence
        self.title = title
        self.description = description
        self.location = location
        self.url = url
        self.start = start
        self.end = end
        self.updated = updated
        self.cancelled = cancelled
        self.categories = categories
    }
}

/// Writes iCalendar files: one event (a download, a mail attachment) or a feed of many that calendar
/// apps subscribe to. Times are local to the region's zone with its VTIMEZONE, as RFC 5545 asks, so an
/// app shows 10:00 in Volgograd as 10:00 in Volgograd wherever its user is.
public enum ICalendar {
    /// `organizer`: the name and address the events are published from (RFC 5546 asks PUBLISH for one).
    public static func document(
        name: String, events: [CalendarEvent], timeZone: TimeZone, now: Date, organizer: (name: String, email: String)? = nil
    ) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ConsumerDesk//Events//RU", "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH", "X-WR-CALNAME:" + text(name), "X-WR-TIMEZONE:" + timeZone.identifier,
        ]
        let first = events.map(\.start).min() ?? now
        let last = events.map(\.end).max() ?? now
        lines += vtimezone(timeZone, from: first.addingTimeInterval(-366 * 86400), to: last.addingTimeInterval(366 * 86400))
        for event in events {
            lines += [
                "BEGIN:VEVENT", "UID:" + text(event.uid), "SEQUENCE:\(event.sequence)", "DTSTAMP:" + utc(now),
                "LAST-MODIFIED:" + utc(event.updated),
                "DTSTART;TZID=\(timeZone.identifier):" + local(event.start, timeZone),
                "DTEND;TZID=\(timeZone.identifier):" + local(event.end, timeZone), "SUMMARY:" + text(event.title),
            ]
            if !event.description.isEmpty { lines.append("DESCRIPTION:" + text(event.description)) }
            if !event.location.isEmpty { lines.append("LOCATION:" + text(event.location)) }
            if !event.url.isEmpty { lines.append("URL:" + event.url) }
            if let organizer { lines.append("ORGANIZER;CN=\"\(parameter(organizer.name))\":mailto:" + organizer.email) }
            if !event.categories.isEmpty { lines.append("CATEGORIES:" + event.categories.map(text).joined(separator: ",")) }
            lines.append("STATUS:" + (event.cancelled ? "CANCELLED" : "CONFIRMED"))
            lines.append("END:VEVENT")
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// The zone's rules over the span: its offset at the start, then each change (summer/winter time, or a
    /// law moving the zone) as its own observance.
    static func vtimezone(_ zone: TimeZone, from: Date, to: Date) -> [String] {
        var lines = ["BEGIN:VTIMEZONE", "TZID:" + zone.identifier]
        let initial = zone.secondsFromGMT(for: from)
        lines += observance(
            daylight: zone.isDaylightSavingTime(for: from), start: "19700101T000000", from: initial, to: initial)
        var next = zone.nextDaylightSavingTimeTransition(after: from)
        var count = 0
        while let change = next, change <= to, count < 40 {
            let before = zone.secondsFromGMT(for: change.addingTimeInterval(-1))
            let after = zone.secondsFromGMT(for: change)
            lines += observance(
                daylight: zone.isDaylightSavingTime(for: change), start: wall(change, offset: before), from: before, to: after)
            next = zone.nextDaylightSavingTimeTransition(after: change)
            count += 1
        }
        lines.append("END:VTIMEZONE")
        return lines
    }

    private static func observance(daylight: Bool, start: String, from: Int, to: Int) -> [String] {
        let kind = daylight ? "DAYLIGHT" : "STANDARD"
        return ["BEGIN:" + kind, "DTSTART:" + start, "TZOFFSETFROM:" + offset(from), "TZOFFSETTO:" + offset(to), "END:" + kind]
    }

    /// `+0300`, `-0430`, `+053328` (seconds only when there are any).
    static func offset(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let value = abs(seconds)
        let base = sign + String(format: "%02d%02d", value / 3600, value % 3600 / 60)
        return value % 60 == 0 ? base : base + String(format: "%02d", value % 60)
    }

    static func utc(_ date: Date) -> String { wall(date, offset: 0) + "Z" }

    static func local(_ date: Date, _ zone: TimeZone) -> String { wall(date, offset: zone.secondsFromGMT(for: date)) }

    /// The wall-clock time `offset` seconds east of UTC, `20261201T100000`.
    private static func wall(_ date: Date, offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: date.addingTimeInterval(TimeInterval(offset)))
        return String(
            format: "%04d%02d%02dT%02d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
            parts.minute ?? 0, parts.second ?? 0)
    }

    /// TEXT values: backslash, semicolon, comma and line breaks escaped; other control characters dropped.
    public static func text(_ value: String) -> String {
        var out = ""
        for scalar in value.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r": out += "\\n"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A quoted parameter value: no DQUOTE or control characters may appear in it.
    static func parameter(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0 != "\"" && $0.value >= 0x20 && $0.value != 0x7F }))
    }

    /// Content lines longer than 75 octets continue on lines that start with a space, never splitting
    /// a UTF-8 character.
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 75 else { return line }
        var result = ""
        var width = 0
        var limit = 75
        for character in line {
            let size = String(character).utf8.count
            if width + size > limit {
                result += "\r\n "
                width = 0
                limit = 74
            }
            result.append(character)
            width += size
        }
        return result
    }
}
