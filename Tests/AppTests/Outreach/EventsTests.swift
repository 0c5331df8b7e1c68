import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

/// Events: editors plan them, citizens sign up for public ones (capacity, waiting list, cancel link,
/// mail with the .ics, a reminder the day before), staff of the organisers see joint ones, calendar
/// apps subscribe to the feed, and after the event the attendees are counted.
@Suite("Events")
struct EventsTests {
    /// Tuesday 24 November 2026, 12:00 in Volgograd (UTC+3).
    static let now = Date(timeIntervalSince1970: 1_795_510_800)

    static func organisation(of email: String, _ app: Application) async throws -> UUID {
        let user = try #require(try await User.query(on: app.db).filter(\.$email == email).first())
        let grant = try #require(try await RoleGrant.query(on: app.db).filter(\.$user.$id == user.requireID()).first())
        return try #require(grant.$organisation.id)
    }

    static func form(
        title: String = "Семинар «Как вернуть товар»", audience: String = "public", format: String = "seminar",
        sphere: String = "trade", organisers: [UUID], starts: String = "2026-11-27T10:00", ends: String = "2026-11-27T12:00",
        capacity: String = "2", place: String = "Волгоград, ул. Мира, 1, зал 2", published: Bool = true
    ) -> [(String, String)] {
        var form = [
            ("title", title), ("audience", audience), ("format", format), ("sphere", sphere),
            ("description", "## Программа\n\nВозврат товара надлежащего качества."), ("place", place), ("onlineURL", ""),
            ("startsAt", starts), ("endsAt", ends), ("capacity", capacity), ("slug", ""),
        ]
        form += organisers.map { ("organisers[]", $0.uuidString) }
        if published { form.append(("published", "1")) }
        return form
    }

    /// The demo editor, their organisation, and a published two-hour seminar on 27 November they organise.
    static func seminar(_ app: Application, capacity: String) async throws -> (Browser, UUID, Event) {
        let editor = try Browser(app)
        try await editor.signIn("editor@consumerdesk.test")
        let rpn = try await organisation(of: "editor@consumerdesk.test", app)
        #expect(try await editor.post("/editor/events", form: form(organisers: [rpn], capacity: capacity)).status == .seeOther)
        return (editor, rpn, try #require(try await Event.query(on: app.db).first()))
    }

    static func signUp(_ app: Application, _ slug: String, name: String, email: String = "", phone: String = "") async throws -> TestingHTTPResponse {
        let visitor = try Browser(app)
        _ = try await visitor.get("/events/\(slug)")
        return try await visitor.post("/events/\(slug)/signup", form: [("name", name), ("email", email), ("phone", phone), ("consent", "1")])
    }

    static func cancelLink(_ page: String) throws -> String {
        let start = try #require(page.range(of: "/events/cancel/"))
        return "/events/cancel/" + page[start.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
    }

    static func mails(_ app: Application, to: String) async throws -> [OutboxMessage] {
        try await OutboxMessage.query(on: app.db).filter(\.$recipient == to).sort(\.$createdAt).all()
    }

    @Test func capacityWaitingListAndCancellationMoveTheQueue() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.now }
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            let rpn = try await Self.organisation(of: "editor@consumerdesk.test", app)

            // Bad input: every field named, nothing saved.
            let bad = try await editor.post(
                "/editor/events",
                form: [("title", ""), ("audience", "x"), ("format", "seminar"), ("description", ""), ("startsAt", "2026-11-27T12:00"),
                       ("endsAt", "2026-11-27T10:00"), ("capacity", "0"), ("onlineURL", "javascript:alert(1)")])
            #expect(bad.status == .unprocessableEntity)
            for field in ["title", "audience", "description", "organisers", "endsAt", "capacity", "onlineURL"] {
                #expect(bad.body.string.contains("id=\"\(field)-error\""), "\(field)")
            }
            #expect(bad.body.string.contains("Окончание должно быть позже начала"))
            #expect(try await Event.query(on: app.db).count() == 0)

            let created = try await editor.post("/editor/events", form: Self.form(organisers: [rpn]))
            #expect(created.status == .seeOther)
            let event = try #require(try await Event.query(on: app.db).first())
            #expect(event.slug == "seminar-kak-vernut-tovar-2026-11-27")
            #expect(event.startsAt == Date(timeIntervalSince1970: 1_795_762_800), "10:00 in Volgograd is 07:00 UTC")

            // Two seats, three people: the third waits.
            let first = try await Self.signUp(app, event.slug, name: "Анна Петрова", email: "anna@example.test")
            #expect(first.status == .ok && first.body.string.contains("Вы записаны"))
            let second = try await Self.signUp(app, event.slug, name: "Борис Сидоров", phone: "8 (917) 555-44-33")
            #expect(second.status == .ok && second.body.string.contains("Вы записаны"))
            let third = try await Self.signUp(app, event.slug, name: "Вера Ким", email: "vera@example.test")
            #expect(third.status == .ok && third.body.string.contains("Вы в листе ожидания"))
            #expect(third.body.string.contains("1-й в очереди"))

            // The same contact twice, an empty contact: refused, nothing saved.
            let twice = try await Self.signUp(app, event.slug, name: "Анна", email: "ANNA@example.test")
            #expect(twice.status == .unprocessableEntity && twice.body.string.contains("уже записались"))
            let noContact = try await Self.signUp(app, event.slug, name: "Глеб")
            #expect(noContact.status == .unprocessableEntity && noContact.body.string.contains("id=\"email-error\""))
            let samePhone = try await Self.signUp(app, event.slug, name: "Борис", email: "boris@example.test", phone: "+7 917 555 44 33")
            #expect(samePhone.status == .unprocessableEntity && samePhone.body.string.contains("уже записались"), "the phone is taken")
            let noConsent = try await Browser(app).post(
                "/events/\(event.slug)/signup", form: [("name", "Глеб"), ("email", "gleb@example.test")])
            #expect(noConsent.status == .unprocessableEntity && noConsent.body.string.contains("id=\"consent-error\""))
            #expect(try await EventRegistration.query(on: app.db).count() == 3)

            // Mail: a confirmation with the .ics, a waiting-list letter without.
            let annaMail = try #require(try await Self.mails(app, to: "anna@example.test").first)
            #expect(annaMail.subject.hasPrefix("Вы записаны"))
            #expect(annaMail.attachmentName == "event.ics" && annaMail.attachmentBody?.contains("DTSTART;TZID=Europe/Volgograd:20261127T100000") == true)
            #expect(annaMail.bodyText.contains("/events/cancel/"))
            let veraMail = try #require(try await Self.mails(app, to: "vera@example.test").first)
            #expect(veraMail.subject.hasPrefix("Лист ожидания") && veraMail.attachmentBody == nil)

            // A capacity below the seats taken is refused.
            let smaller = try await editor.post("/editor/events/\(event.id!.uuidString)", form: Self.form(organisers: [rpn], capacity: "1"))
            #expect(smaller.status == .unprocessableEntity && smaller.body.string.contains("id=\"capacity-error\""))
            #expect(try await Event.find(event.id, on: app.db)?.capacity == 2)

            // Anna cancels through her link: Vera is moved up and mailed.
            let link = try Self.cancelLink(annaMail.bodyText)
            let visitor = try Browser(app)
            let ask = try await visitor.get(link)
            #expect(ask.status == .ok && ask.body.string.contains("Отменить запись?"))
            let done = try await visitor.post(link, form: [])
            #expect(done.status == .ok && done.body.string.contains("Запись отменена"))
            let statuses = Dictionary(
                uniqueKeysWithValues: try await EventRegistration.query(on: app.db).all().map { ($0.name, $0.status) })
            #expect(statuses == ["Анна Петрова": .cancelled, "Борис Сидоров": .confirmed, "Вера Ким": .confirmed])
            #expect(try await Event.find(event.id, on: app.db)?.confirmedCount == 2)
            let promoted = try await Self.mails(app, to: "vera@example.test")
            #expect(promoted.count == 2 && promoted[1].subject.hasPrefix("Место освободилось") && promoted[1].attachmentName == "event.ics")
            // The link again: nothing more happens.
            #expect(try await visitor.post(link, form: []).status == .ok)
            #expect(try await Event.find(event.id, on: app.db)?.confirmedCount == 2)
            #expect(try await visitor.get("/events/cancel/unknown-token").status == .notFound)

            // A larger capacity seats the next who waits.
            _ = try await Self.signUp(app, event.slug, name: "Дарья Лис", email: "darya@example.test")
            let larger = try await editor.post("/editor/events/\(event.id!.uuidString)", form: Self.form(organisers: [rpn], capacity: "3"))
            #expect(larger.status == .seeOther)
            #expect(try await EventRegistration.query(on: app.db).filter(\.$name == "Дарья Лис").first()?.status == .confirmed)
            #expect(try await Self.mails(app, to: "darya@example.test").last?.subject.hasPrefix("Место освободилось") == true)

            // No limit at all: everyone waiting gets a seat.
            _ = try await Self.signUp(app, event.slug, name: "Жанна Ли", email: "zhanna@example.test")
            #expect(try await EventRegistration.query(on: app.db).filter(\.$name == "Жанна Ли").first()?.status == .waiting)
            let unlimited = try await editor.post("/editor/events/\(event.id!.uuidString)", form: Self.form(organisers: [rpn], capacity: ""))
            #expect(unlimited.status == .seeOther)
            #expect(try await Event.find(event.id, on: app.db)?.capacity == nil)
            #expect(try await EventRegistration.query(on: app.db).filter(\.$name == "Жанна Ли").first()?.status == .confirmed)
            _ = try await editor.post("/editor/events/\(event.id!.uuidString)", form: Self.form(organisers: [rpn], capacity: "4"))
            #expect(try await Event.find(event.id, on: app.db)?.capacity == 4)

            // Taking it off the portal would strand the people signed up: it is refused.
            let hidden = try await editor.post("/editor/events/\(event.id!.uuidString)", form: Self.form(organisers: [rpn], capacity: "4", published: false))
            #expect(hidden.status == .unprocessableEntity && hidden.body.string.contains("id=\"published-error\""))
            #expect(try await Event.find(event.id, on: app.db)?.status == .published)

            // The staff list shows who signed up; the public page only how many seats are left.
            let people = try await editor.get("/editor/events/\(event.id!.uuidString)")
            #expect(people.body.string.contains("Борис Сидоров") && people.body.string.contains("+79175554433"))
            let public_ = try await Browser(app).get("/events/\(event.slug)")
            #expect(public_.status == .ok && !public_.body.string.contains("Борис") && public_.body.string.contains("свободно: 0"))

            // An editor of another organisation neither sees nor changes it, nor organises in others' name.
            let other = try Browser(app)
            try await other.signIn("admin.volgograd@consumerdesk.test")
            #expect(try await other.get("/editor/events/\(event.id!.uuidString)").status == .forbidden)
            #expect(!(try await other.get("/editor/events").body.string.contains(event.title)))
            #expect(try await other.post("/editor/events/\(event.id!.uuidString)/cancel", form: []).status == .forbidden)
            let foreign = try await other.post("/editor/events", form: Self.form(title: "Чужой семинар", organisers: [rpn]))
            #expect(foreign.status == .unprocessableEntity && foreign.body.string.contains("Среди организаторов должна быть ваша организация"))

            // Once it has started, sign-up is closed.
            app.clock = AppClock { event.startsAt.addingTimeInterval(60) }
            let late = try await Self.signUp(app, event.slug, name: "Егор", email: "egor@example.test")
            #expect(late.status == .unprocessableEntity && late.body.string.contains("Запись закрыта"))
        }
    }

    @Test func aCancelledEventTellsEveryoneAndTakesNoMoreSignUps() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.now }
            let (editor, rpn, event) = try await Self.seminar(app, capacity: "1")
            _ = try await Self.signUp(app, event.slug, name: "Анна", email: "anna@example.test")
            _ = try await Self.signUp(app, event.slug, name: "Вера", email: "vera@example.test")

            // Moved by an hour: the confirmed person hears of it with an updated .ics.
            let moved = try await editor.post(
                "/editor/events/\(event.id!.uuidString)",
                form: Self.form(organisers: [rpn], starts: "2026-11-27T11:00", ends: "2026-11-27T13:00", capacity: "1"))
            #expect(moved.status == .seeOther)
            let change = try #require(try await Self.mails(app, to: "anna@example.test").last)
            #expect(change.subject.hasPrefix("Изменения") && change.attachmentBody?.contains("SEQUENCE:1") == true)
            #expect(change.attachmentBody?.contains("DTSTART;TZID=Europe/Volgograd:20261127T110000") == true)

            #expect(try await editor.post("/editor/events/\(event.id!.uuidString)/cancel", form: []).status == .seeOther)
            #expect(try await Self.mails(app, to: "anna@example.test").last?.subject.hasPrefix("Мероприятие отменено") == true)
            #expect(try await Self.mails(app, to: "vera@example.test").last?.subject.hasPrefix("Мероприятие отменено") == true)
            let late = try await Self.signUp(app, event.slug, name: "Глеб", email: "gleb@example.test")
            #expect(late.status == .unprocessableEntity && late.body.string.contains("Запись закрыта"))
            let ics = try await Browser(app).get("/events/\(event.slug)/event.ics")
            #expect(ics.body.string.contains("STATUS:CANCELLED") && ics.body.string.contains("SEQUENCE:2"))
        }
    }

    @Test func theDayBeforeConfirmedPeopleGetOneReminder() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.now }
            let (_, _, event) = try await Self.seminar(app, capacity: "1")
            _ = try await Self.signUp(app, event.slug, name: "Анна", email: "anna@example.test")
            _ = try await Self.signUp(app, event.slug, name: "Вера", email: "vera@example.test")

            #expect(try await EventSeating.remindDue(app: app, now: Self.now) == 0, "three days ahead: not yet")
            let dayBefore = event.startsAt.addingTimeInterval(-20 * 3600)
            #expect(try await EventSeating.remindDue(app: app, now: dayBefore) == 1)
            #expect(try await EventSeating.remindDue(app: app, now: dayBefore.addingTimeInterval(60)) == 0, "once only")
            let reminder = try #require(try await Self.mails(app, to: "anna@example.test").last)
            #expect(reminder.subject.hasPrefix("Напоминание") && reminder.attachmentName == "event.ics")
            #expect(reminder.bodyText.contains("27 ноября 2026, 10:00–12:00"))
            #expect(try await Self.mails(app, to: "vera@example.test").count == 1, "who waits gets no reminder")
        }
    }

    @Test func calendarFilesAndFeedsCarryTheRegionsTimeZone() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.now }
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            let rpn = try await Self.organisation(of: "editor@consumerdesk.test", app)
            let volzhsky = try await Self.organisation(of: "executor@consumerdesk.test", app)
            _ = try await editor.post("/editor/events", form: Self.form(title: "Торговля; возврат, обмен", organisers: [rpn]))
            _ = try await editor.post(
                "/editor/events", form: Self.form(title: "ЖКХ: приём граждан", format: "reception", sphere: "housing", organisers: [volzhsky]))
            _ = try await editor.post(
                "/editor/events", form: Self.form(title: "Рабочая группа", audience: "joint", format: "meeting", organisers: [rpn, volzhsky]))
            _ = try await editor.post("/editor/events", form: Self.form(title: "Черновик семинара", organisers: [rpn], published: false))
            #expect(try await Event.query(on: app.db).count() == 4)

            let single = try await Browser(app).get("/events/torgovlia-vozvrat-obmen-2026-11-27/event.ics")
            #expect(single.status == .ok && single.headers.contentType?.description.hasPrefix("text/calendar") == true)
            let text = single.body.string
            #expect(text.hasPrefix("BEGIN:VCALENDAR\r\n") && text.hasSuffix("END:VCALENDAR\r\n"))
            #expect(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Volgograd\r\n") && text.contains("TZOFFSETTO:+0300"))
            #expect(text.contains("SUMMARY:Торговля\\; возврат\\, обмен"))
            #expect(text.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 75 }, "folded lines")

            let all = try await Browser(app).get("/events/calendar.ics")
            #expect(all.headers[.setCookie].isEmpty)
            #expect(all.body.string.components(separatedBy: "BEGIN:VEVENT").count - 1 == 2, "public and published only")
            #expect(!all.body.string.contains("Рабочая группа") && !all.body.string.contains("Черновик"))
            let housing = try await Browser(app).get("/events/calendar.ics?sphere=housing")
            #expect(housing.body.string.contains("ЖКХ: приём граждан") && !housing.body.string.contains("Торговля"))
            let byOrganiser = try await Browser(app).get("/events/calendar.ics?org=\(rpn.uuidString)")
            #expect(byOrganiser.body.string.contains("Торговля") && !byOrganiser.body.string.contains("ЖКХ"))
            #expect(try await Browser(app).get("/events/calendar.ics?org=nonsense").status == .notFound)

            // List and month views.
            let list = try await Browser(app).get("/events")
            #expect(list.body.string.contains("Торговля; возврат, обмен") && !list.body.string.contains("Рабочая группа"))
            _ = try await editor.post(
                "/editor/events", form: Self.form(title: "Школа потребителя", organisers: [rpn], starts: "2026-11-30T10:00", ends: "2026-12-01T16:00"))
            let month = try await Browser(app).get("/events?view=month&month=2026-11")
            #expect(month.status == .ok && month.body.string.contains("Ноябрь 2026") && month.body.string.contains("10:00 ЖКХ: приём граждан"))
            #expect(month.body.string.contains("10:00 Школа потребителя") && month.body.string.contains("… Школа потребителя"), "both days")
            let december = try await Browser(app).get("/events?view=month&month=2026-12")
            #expect(december.body.string.contains("Школа потребителя"), "the second day, in the next month")
            #expect(try await Browser(app).get("/events?view=month&month=2026-13").status == .badRequest)
        }
    }

    @Test func jointEventsAreSeenOnlyByTheOrganisersStaff() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.now }
            let editor = try Browser(app)
            try await editor.signIn("editor@consumerdesk.test")
            let volzhsky = try await Self.organisation(of: "executor@consumerdesk.test", app)
            _ = try await editor.post(
                "/editor/events",
                form: Self.form(title: "Совместная проверка рынка", audience: "joint", format: "inspection", organisers: [volzhsky], capacity: ""))
            let slug = "sovmestnaia-proverka-rynka-2026-11-27"

            #expect(try await Browser(app).get("/events/\(slug)").status == .notFound)
            let executor = try Browser(app)
            try await executor.signIn("executor@consumerdesk.test")
            let seen = try await executor.get("/events/\(slug)")
            #expect(seen.status == .ok && !seen.body.string.contains("id=\"signup-form\""), "no sign-up for a joint event")
            #expect(try await executor.get("/events").body.string.contains("Совместная проверка рынка"))
            let operator_ = try Browser(app)
            try await operator_.signIn("operator@consumerdesk.test")
            #expect(try await operator_.get("/events/\(slug)").status == .notFound)
            let otherAdmin = try Browser(app)
            try await otherAdmin.signIn("admin.volgograd@consumerdesk.test")
            #expect(try await otherAdmin.get("/events/\(slug)").status == .notFound, "another organisation's admin")
            let curator = try Browser(app)
            try await curator.signIn("curator@consumerdesk.test")
            #expect(try await curator.get("/events/\(slug)").status == .ok, "platform-wide staff read every joint event")
            #expect(!(try await operator_.get("/events").body.string.contains("Совместная проверка")))
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            #expect(try await citizen.get("/events/\(slug)").status == .notFound)
            let signUp = try await citizen.post("/events/\(slug)/signup", form: [("name", "Мария"), ("email", "m@example.test")])
            #expect(signUp.status == .notFound)
            #expect(try await citizen.get("/editor/events").status == .forbidden)
        }
    }

    @Test func afterTheEventOrganisersRecordAttendeesAndMaterials() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.now }
            let (editor, _, event) = try await Self.seminar(app, capacity: "2")
            let path = "/editor/events/\(event.id!.uuidString)"

            let early = try await editor.post(path + "/report", form: [("attendees", "18"), ("report", "")])
            #expect(early.status == .unprocessableEntity && early.body.string.contains("после окончания"))
            app.clock = AppClock { event.endsAt.addingTimeInterval(3600) }
            try await editor.signIn("editor@consumerdesk.test")  // three days on, the session has lapsed
            let negative = try await editor.post(path + "/report", form: [("attendees", "-1"), ("report", "")])
            #expect(negative.status == .unprocessableEntity && negative.body.string.contains("id=\"attendees-error\""))
            #expect(try await editor.post(path + "/report", form: [("attendees", "18"), ("report", "Вопросы о возврате.")]).status == .seeOther)
            let badLink = try await editor.post(path + "/materials", form: [("materialTitle", "Слайды"), ("materialURL", "ftp://x")])
            #expect(badLink.status == .unprocessableEntity && badLink.body.string.contains("id=\"materialURL-error\""))
            #expect(
                try await editor.post(path + "/materials", form: [("materialTitle", "Запись семинара"), ("materialURL", "https://video.example/s1")])
                    .status == .seeOther)

            // Slides as a PDF file; a file that is not one is refused.
            let pdf = Data("%PDF-1.4\n% слайды\n".utf8)
            let slides = try await editor.postMultipart(
                path + "/materials",
                Multipart(fields: [("materialTitle", "Слайды семинара"), ("materialURL", "")],
                          files: [.init(field: "materialFile", filename: "slides.pdf", contentType: "application/pdf", data: pdf)]))
            #expect(slides.status == .seeOther)
            let script = try await editor.postMultipart(
                path + "/materials",
                Multipart(fields: [("materialTitle", "Не слайды")],
                          files: [.init(field: "materialFile", filename: "x.pdf", contentType: "application/pdf", data: Data("<script>".utf8))]))
            #expect(script.status == .unprocessableEntity && script.body.string.contains("id=\"materialFile-error\""))
            #expect(try await EventMaterial.query(on: app.db).count() == 2)

            let page = try await Browser(app).get("/events/\(event.slug)")
            #expect(page.body.string.contains("Участников: 18") && page.body.string.contains("https://video.example/s1"))
            let file = try #require(try await EventMaterial.query(on: app.db).filter(\.$fileKey != nil).first())
            let download = try await Browser(app).get("/events/\(event.slug)/materials/\(file.id!.uuidString)")
            #expect(download.status == .ok && download.headers.contentType?.description == "application/pdf")
            #expect(Data(buffer: download.body) == pdf && page.body.string.contains("Слайды семинара"))
            #expect(!page.body.string.contains("id=\"signup-form\""))
            let held = try await EventQueries.held(
                from: Self.now.addingTimeInterval(-86400), to: Self.now.addingTimeInterval(30 * 86400), organisations: nil,
                now: app.clock.now(), on: app.db)
            #expect(held == .init(events: 1, attendees: 18))
            let curator = try Browser(app)
            try await curator.signIn("curator@consumerdesk.test")
            let dashboard = try await curator.get("/stats?from=2026-11-01&to=2026-11-30")
            #expect(dashboard.status == .ok && dashboard.body.string.contains("участников: 18"), "the statistics count the attendees")
            #expect(try await EventQueries.held(from: Self.now, to: Self.now.addingTimeInterval(30 * 86400), organisations: [UUID()], now: app.clock.now(), on: app.db).events == 0)
        }
    }
}
