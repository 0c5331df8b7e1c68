import Foundation
import Testing

@testable import Domain

@Suite("Events: rules and iCalendar")
struct EventRulesTests {
    static let volgograd = TimeZone(identifier: "Europe/Volgograd")!
    static let organiser = UUID()

    static func draft(
        starts: String = "2026-12-01T10:00", ends: String = "2026-12-01T12:00", capacity: String = "20", place: String = "Зал 1",
        online: String = ""
    ) -> EventDraft {
        EventDraft(
            title: "Семинар для потребителей", audience: "public", format: "seminar", sphere: "trade", description: "Программа",
            organisers: [organiser, organiser], place: place, onlineURL: online, startsAt: starts, endsAt: ends, capacity: capacity)
    }

    static func codes(_ body: () throws -> Void) -> [String: FieldErrorCode] {
        do {
            try body()
            return [:]
        } catch let failure as ValidationFailure {
            return Dictionary(failure.errors.map { ($0.field, $0.code) }, uniquingKeysWith: { a, _ in a })
        } catch {
            return ["?": .invalidValue]
        }
    }

    @Test func aValidDraftGetsADatedSlugAndTheRegionsTime() throws {
        let valid = try EventDraft.validate(Self.draft(), timeZone: Self.volgograd)
        #expect(valid.slug == "seminar-dlia-potrebitelei-2026-12-01")
        #expect(valid.startsAt == Date(timeIntervalSince1970: 1_796_108_400), "10:00 at UTC+3")
        #expect(valid.organisers == [Self.organiser], "one organiser once")
        #expect(valid.capacity == 20)
        #expect(try EventDraft.validate(Self.draft(capacity: ""), timeZone: Self.volgograd).capacity == nil, "no limit")
    }

    @Test func badDraftsNameEachField() {
        #expect(Self.codes { _ = try EventDraft.validate(Self.draft(ends: "2026-12-01T09:00"), timeZone: Self.volgograd) } == ["endsAt": .endsBeforeStarts])
        #expect(Self.codes { _ = try EventDraft.validate(Self.draft(ends: "2026-12-01T10:00"), timeZone: Self.volgograd) } == ["endsAt": .endsBeforeStarts])
        #expect(Self.codes { _ = try EventDraft.validate(Self.draft(capacity: "0"), timeZone: Self.volgograd) } == ["capacity": .invalidCount])
        #expect(Self.codes { _ = try EventDraft.validate(Self.draft(capacity: "два"), timeZone: Self.volgograd) } == ["capacity": .invalidCount])
        #expect(Self.codes { _ = try EventDraft.validate(Self.draft(place: "", online: ""), timeZone: Self.volgograd) } == ["place": .required])
        #expect(Self.codes { _ = try EventDraft.validate(Self.draft(online: "javascript:alert(1)"), timeZone: Self.volgograd) } == ["onlineURL": .invalidLink])
        #expect(Self.codes { _ = try EventDraft.validate(Self.draft(starts: "завтра"), timeZone: Self.volgograd) } == ["startsAt": .invalidDate])
        let online = try? EventDraft.validate(Self.draft(place: "", online: "https://meet.example/room"), timeZone: Self.volgograd)
        #expect(online?.onlineURL == "https://meet.example/room", "online only is fine")
    }

    @Test func signUpNeedsANameAndOneContact() throws {
        #expect(Self.codes { _ = try EventSignUp.validate(name: "", email: "", phone: "", consent: true) } == ["name": .required, "email": .emailOrPhoneRequired])
        #expect(Self.codes { _ = try EventSignUp.validate(name: "Анна", email: "a@example.test", phone: "", consent: false) } == ["consent": .consentRequired])
        #expect(Self.codes { _ = try EventSignUp.validate(name: "Анна", email: "anna@", phone: "", consent: true) } == ["email": .invalidEmail])
        #expect(Self.codes { _ = try EventSignUp.validate(name: "Анна", email: "", phone: "12", consent: true) } == ["phone": .invalidPhone])
        #expect(try EventSignUp.validate(name: " Анна ", email: "Anna@Example.TEST", phone: "", consent: true).contactKey == "email:anna@example.test")
        #expect(try EventSignUp.validate(name: "Борис", email: "", phone: "8 917 555-44-33", consent: true).contactKey == "phone:+79175554433")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(EventSignUp.isOpen(status: .published, audience: .public, startsAt: now.addingTimeInterval(60), now: now))
        #expect(!EventSignUp.isOpen(status: .published, audience: .public, startsAt: now, now: now), "started")
        #expect(!EventSignUp.isOpen(status: .cancelled, audience: .public, startsAt: now.addingTimeInterval(60), now: now))
        #expect(!EventSignUp.isOpen(status: .published, audience: .joint, startsAt: now.addingTimeInterval(60), now: now))
    }

    @Test func freedSeatsGoToTheLongestWaiting() {
        let (a, b, c) = (UUID(), UUID(), UUID())
        #expect(EventSeats.promotions(capacity: 3, confirmed: 2, waiting: [a, b, c]) == [a])
        #expect(EventSeats.promotions(capacity: 3, confirmed: 3, waiting: [a, b]) == [])
        #expect(EventSeats.promotions(capacity: nil, confirmed: 9, waiting: [a, b]) == [a, b])
    }

    @Test func aCalendarFileIsFoldedEscapedAndZoned() {
        let start = Date(timeIntervalSince1970: 1_796_108_400)
        let event = CalendarEvent(
            uid: "x@consumerdesk", sequence: 2, title: "Семинар; вопросы, ответы\\итоги",
            description: String(repeating: "Длинное описание семинара. ", count: 10) + "\nВторая строка", location: "Зал 1",
            url: "https://cd.example/events/s", start: start, end: start.addingTimeInterval(7200), updated: start)
        let text = ICalendar.document(name: "Мероприятия", events: [event], timeZone: Self.volgograd, now: start)
        #expect(text.contains("SUMMARY:Семинар\\; вопросы\\, ответы\\\\итоги\r\n"))
        #expect(text.contains("DTSTART;TZID=Europe/Volgograd:20261201T100000\r\n"))
        #expect(text.contains("DTEND;TZID=Europe/Volgograd:20261201T120000\r\n"))
        #expect(text.contains("DTSTAMP:20261201T070000Z\r\n") && text.contains("SEQUENCE:2\r\n"))
        let lines = text.components(separatedBy: "\r\n").dropLast()
        #expect(lines.allSatisfy { $0.utf8.count <= 75 })
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: "")
        #expect(unfolded.contains("\\nВторая строка"))
    }

    @Test func aZoneWithSummerTimeGetsItsChanges() {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let july = Date(timeIntervalSince1970: 1_783_000_000)
        let lines = ICalendar.vtimezone(berlin, from: july.addingTimeInterval(-200 * 86400), to: july.addingTimeInterval(200 * 86400))
        #expect(lines.contains("BEGIN:DAYLIGHT") && lines.contains("BEGIN:STANDARD"))
        #expect(lines.contains("TZOFFSETTO:+0200") && lines.contains("TZOFFSETTO:+0100"))
        // 29 March 2026, 02:00 local winter time: clocks go forward.
        #expect(lines.contains("DTSTART:20260329T020000"))
        #expect(ICalendar.offset(-16200) == "-0430" && ICalendar.offset(19800) == "+0530")
    }
}
