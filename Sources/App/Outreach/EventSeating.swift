import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Seats of public events: sign-up, the waiting list, cancellation and the mail each step sends. A seat
/// is taken by one conditional update of the event's `confirmed_count` (`… < capacity`), so two people
/// signing up for the last seat at once cannot both get it, on either engine; whoever loses waits.
enum EventSeating {
    struct SignUpResult {
        var registration: EventRegistration
        var place: EventSeats.Place
        /// The secret of the cancel link, shown once (its hash is stored).
        var cancelToken: String
    }

    static func signUp(
        event eventID: UUID, _ person: EventSignUp, app: Application, now: Date, on db: any Database
    ) async throws -> SignUpResult {
        try await db.transaction { db in
            guard let event = try await Event.find(eventID, on: db) else { throw AppError.notFound }
            guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
            // Takes the event's row until the transaction ends and checks it is still open: an editor
            // cancelling it at this moment either comes first (and the sign-up is refused) or waits for this
            // one (and so mails this person too).
            let open = try await sql.raw(
                "UPDATE events SET confirmed_count = confirmed_count WHERE id = \(bind: eventID) AND status = \(bind: EventStatus.published.rawValue) AND audience = \(bind: EventAudience.public.rawValue) AND starts_at > \(bind: now) RETURNING id"
            ).all()
            guard !open.isEmpty else { throw ValidationFailure([FieldError("name", .eventClosed)]) }
            let contactField = person.email != nil ? "email" : "phone"
            // Either contact already holding a place (or waiting) is a second sign-up of the same person.
            let clash = try await EventRegistration.query(on: db)
                .filter(\.$eventID == eventID).filter(\.$status != .cancelled)
                .group(.or) { group in
                    if let email = person.email { group.filter(\.$email == email.value) }
                    if let phone = person.phone { group.filter(\.$phone == phone.value) }
                }
                .first()
            if clash != nil { throw ValidationFailure([FieldError(contactField, .alreadySignedUp)]) }
            let existing = try await EventRegistration.query(on: db)
                .filter(\.$eventID == eventID).filter(\.$contactKey == person.contactKey).first()
            if let existing {
                // Someone who cancelled comes back: the row is taken back only once, however many tabs ask.
                let reclaimed = try await sql.raw(
                    "UPDATE event_registrations SET status = \(bind: EventRegistration.Status.waiting.rawValue) WHERE id = \(bind: existing.requireID()) AND status = \(bind: EventRegistration.Status.cancelled.rawValue) RETURNING id"
                ).all()
                guard !reclaimed.isEmpty else { throw ValidationFailure([FieldError(contactField, .alreadySignedUp)]) }
            }
            let registration = existing ?? EventRegistration()
            let token = Secrets.randomToken()
            registration.eventID = eventID
            registration.name = person.name
            registration.email = person.email?.value
            registration.phone = person.phone?.value
            registration.contactKey = person.contactKey
            registration.queuedAt = now
            registration.cancelTokenHash = Secrets.hash(token)
            registration.cancelledAt = nil
            registration.consentAt = now
            registration.createdAt = existing?.createdAt ?? now
            let seated = try await takeSeat(eventID, on: db)
            registration.status = seated ? .confirmed : .waiting
            // A seat taken within the last day gets no separate reminder: the confirmation is it.
            registration.remindedAt = seated && EventSeats.reminderDue(startsAt: event.startsAt) <= now ? now : nil
            do {
                try await registration.save(on: db)
            } catch where error.isUniqueViolation {
                // The same person, a moment earlier, from another tab.
                throw ValidationFailure([FieldError(contactField, .alreadySignedUp)])
            }
            let place: EventSeats.Place = seated ? .confirmed : .waiting(try await position(registration, on: db))
            if let email = registration.email {
                try await mail(
                    seated ? .confirmed : .waiting(place), to: email, name: registration.name, event: event, token: token,
                    app: app, now: now, on: db)
            }
            return SignUpResult(registration: registration, place: place, cancelToken: token)
        }
    }

    /// Cancels the registration the link's token names; a freed seat goes to the first who waits.
    /// Returns the event and the registration, or nil for an unknown link.
    static func cancel(
        token: String, app: Application, now: Date, on db: any Database
    ) async throws -> (Event, EventRegistration)? {
        try await db.transaction { db in
            guard let registration = try await EventRegistration.query(on: db)
                .filter(\.$cancelTokenHash == Secrets.hash(token)).first(),
                let event = try await Event.find(registration.eventID, on: db)
            else { return nil }
            guard registration.status != .cancelled else { return (event, registration) }
            guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
            let id = try registration.requireID()
            // By the status in the database, not the one read: a promotion a moment ago made this a seat.
            func cancel(from status: EventRegistration.Status) async throws -> Bool {
                !(try await sql.raw(
                    "UPDATE event_registrations SET status = \(bind: EventRegistration.Status.cancelled.rawValue), cancelled_at = \(bind: now) WHERE id = \(bind: id) AND status = \(bind: status.rawValue) RETURNING id"
                ).all()).isEmpty
            }
            // A promotion may land between the two tries (waiting → confirmed): then try again.
            for _ in 0..<3 {
                if try await cancel(from: .confirmed) {
                    try await sql.raw(
                        "UPDATE events SET confirmed_count = confirmed_count - 1 WHERE id = \(bind: event.requireID()) AND confirmed_count > 0"
                    ).run()
                    try await promote(event.requireID(), app: app, now: now, on: db)
                    break
                }
                if try await cancel(from: .waiting) { break }
            }
            registration.status = .cancelled
            registration.cancelledAt = now
            return (event, registration)
        }
    }

    /// Gives free seats to the people waiting longest, and mails each. Called in the caller's transaction
    /// after a cancellation or a larger capacity; nothing moves once the event has started.
    @discardableResult
    static func promote(_ eventID: UUID, app: Application, now: Date, on db: any Database) async throws -> [EventRegistration] {
        guard let sql = db as? any SQLDatabase, let event = try await Event.find(eventID, on: db),
            EventSignUp.isOpen(status: event.status, audience: event.audience, startsAt: event.startsAt, now: now)
        else { return [] }
        let waiting = try await EventRegistration.query(on: db)
            .filter(\.$eventID == eventID).filter(\.$status == .waiting)
            .sort(\.$queuedAt).sort(\.$id).limit(1000).all()
        var moved: [EventRegistration] = []
        for candidate in waiting {
            guard try await takeSeat(eventID, on: db) else { break }
            let reminded: Date? = EventSeats.reminderDue(startsAt: event.startsAt) <= now ? now : nil
            let claimed = try await sql.raw(
                "UPDATE event_registrations SET status = \(bind: EventRegistration.Status.confirmed.rawValue), reminded_at = \(bind: reminded) WHERE id = \(bind: candidate.requireID()) AND status = \(bind: EventRegistration.Status.waiting.rawValue) RETURNING id"
            ).all()
            guard !claimed.isEmpty else {
                // They cancelled meanwhile: the seat goes back for the next one.
                try await sql.raw("UPDATE events SET confirmed_count = confirmed_count - 1 WHERE id = \(bind: eventID)").run()
                continue
            }
            candidate.status = .confirmed
            candidate.remindedAt = reminded
            moved.append(candidate)
            if let email = candidate.email {
                try await mail(.promoted, to: email, name: candidate.name, event: event, token: nil, app: app, now: now, on: db)
            }
        }
        return moved
    }

    /// One seat, if the capacity has one left.
    private static func takeSeat(_ eventID: UUID, on db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        return !(try await sql.raw(
            "UPDATE events SET confirmed_count = confirmed_count + 1 WHERE id = \(bind: eventID) AND (capacity IS NULL OR confirmed_count < capacity) RETURNING id"
        ).all()).isEmpty
    }

    /// 1-based place in the waiting list.
    static func position(_ registration: EventRegistration, on db: any Database) async throws -> Int {
        let ahead = try await EventRegistration.query(on: db)
            .filter(\.$eventID == registration.eventID).filter(\.$status == .waiting)
            .group(.or) { group in
                group.filter(\.$queuedAt < registration.queuedAt)
                    .group(.and) { $0.filter(\.$queuedAt == registration.queuedAt).filter(\.$id < registration.id!) }
            }
            .count()
        return ahead + 1
    }

    // MARK: Mail

    enum Letter {
        case confirmed
        case waiting(EventSeats.Place)
        case promoted
        case reminder
        case changed
        case cancelledEvent
    }

    static func mail(
        _ letter: Letter, to email: String, name: String, event: Event, token: String?, app: Application, now: Date,
        on db: any Database
    ) async throws {
        let base = app.config.publicURL
        let zone = app.config.timeZone
        let when = EventText.when(event, timeZone: zone)
        let subject: String
        var lead: [String]
        var attach = true
        switch letter {
        case .confirmed:
            subject = "Вы записаны: \(event.title)"
            lead = ["Вы записаны на мероприятие «\(event.title)»."]
        case .waiting(let place):
            subject = "Лист ожидания: \(event.title)"
            var number = ""
            if case .waiting(let n) = place { number = " (вы \(n)-й в очереди)" }
            lead = [
                "Свободных мест на мероприятие «\(event.title)» сейчас нет, вы в листе ожидания\(number).",
                "Если кто-то откажется, место перейдёт к вам, и мы сразу напишем.",
            ]
            attach = false
        case .promoted:
            subject = "Место освободилось: \(event.title)"
            lead = ["Освободилось место, и вы записаны на мероприятие «\(event.title)»."]
        case .reminder:
            subject = "Напоминание: \(event.title) — \(when)"
            lead = ["Напоминаем о мероприятии «\(event.title)»."]
        case .changed:
            subject = "Изменения: \(event.title)"
            lead = ["Организаторы изменили время или место мероприятия «\(event.title)». Актуальные сведения ниже."]
        case .cancelledEvent:
            subject = "Мероприятие отменено: \(event.title)"
            lead = ["К сожалению, мероприятие «\(event.title)» отменено."]
        }
        var body = ["Здравствуйте, \(name)!", ""] + lead + ["", "Когда: \(when)"]
        if !event.place.isEmpty { body.append("Где: \(event.place)") }
        if let online = event.onlineURL { body.append("Ссылка для подключения: \(online)") }
        body.append("Подробнее: \(base)/events/\(event.slug)")
        if let token, !(letter.isCancellation) {
            body += ["", "Если планы изменятся, отмените запись, чтобы место досталось другому: \(base)/events/cancel/\(token)"]
        } else if !letter.isCancellation {
            body += ["", "Отменить запись можно по ссылке из первого письма о записи."]
        }
        if attach { body += ["", "Во вложении — файл для календаря (event.ics)."] }
        body += ["", "—", "ConsumerDesk"]
        let attachment = attach
            ? MailAttachment(
                fileName: "event.ics", contentType: "text/calendar; method=PUBLISH",
                text: EventText.calendar(event.title, [event], config: app.config, now: now))
            : nil
        try await MailOutbox.enqueue(
            to: email, subject: subject, body: body.joined(separator: "\n"), attachment: attachment, on: db, now: now)
    }

    // MARK: Reminders

    /// Mails a reminder to each confirmed person whose event starts within a day and who has not had one.
    /// Each reminder is claimed with a conditional update in the same transaction as its mail, so two
    /// nodes never send it twice.
    static func remindDue(app: Application, now: Date) async throws -> Int {
        let db = app.db
        let events = try await Event.query(on: db)
            .filter(\.$audience == .public).filter(\.$status == .published)
            .filter(\.$startsAt > now).filter(\.$startsAt <= now.addingTimeInterval(24 * 3600))
            .all()
        var sent = 0
        for event in events {
            let due = try await EventRegistration.query(on: db)
                .filter(\.$eventID == event.requireID()).filter(\.$status == .confirmed).filter(\.$remindedAt == nil)
                .limit(5000).all()
            for registration in due {
                let mailed = try await db.transaction { db -> Bool in
                    guard let sql = db as? any SQLDatabase else { return false }
                    let claimed = try await sql.raw(
                        "UPDATE event_registrations SET reminded_at = \(bind: now) WHERE id = \(bind: registration.requireID()) AND reminded_at IS NULL AND status = \(bind: EventRegistration.Status.confirmed.rawValue) RETURNING id"
                    ).all()
                    guard !claimed.isEmpty, let email = registration.email else { return false }
                    try await mail(.reminder, to: email, name: registration.name, event: event, token: nil, app: app, now: now, on: db)
                    return true
                }
                if mailed { sent += 1 }
            }
        }
        return sent
    }

    /// After the organisers move or cancel an event: everyone signed up hears of it, with the updated .ics.
    static func notifyChange(_ event: Event, cancelled: Bool, app: Application, now: Date, on db: any Database) async throws {
        let people = try await EventRegistration.query(on: db)
            .filter(\.$eventID == event.requireID()).filter(\.$status != .cancelled).all()
        for person in people {
            guard let email = person.email else { continue }
            try await mail(cancelled ? .cancelledEvent : .changed, to: email, name: person.name, event: event, token: nil, app: app, now: now, on: db)
        }
    }
}

extension EventSeating.Letter {
    var isCancellation: Bool {
        if case .cancelledEvent = self { return true }
        return false
    }
}

/// How events are written out: the time span in words, the iCalendar event.
enum EventText {
    /// `1 декабря 2026, 10:00–12:00 (время волгоградское)` style, in the region's zone.
    static func when(_ event: Event, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: event.startsAt)
        let end = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: event.endsAt)
        let startDay = "\(start.day ?? 0) \(Strings.monthGenitive(start.month ?? 1)) \(start.year ?? 0)"
        let startTime = String(format: "%02d:%02d", start.hour ?? 0, start.minute ?? 0)
        let endTime = String(format: "%02d:%02d", end.hour ?? 0, end.minute ?? 0)
        if start.year == end.year, start.month == end.month, start.day == end.day {
            return "\(startDay), \(startTime)–\(endTime)"
        }
        return "\(startDay), \(startTime) — \(end.day ?? 0) \(Strings.monthGenitive(end.month ?? 1)) \(end.year ?? 0), \(endTime)"
    }

    /// The iCalendar file of these events, published in the name of the service's mail address.
    static func calendar(_ name: String, _ events: [Event], config: AppConfig, now: Date) -> String {
        let sender = SMTPAddress.parse(config.mailFrom)
        return ICalendar.document(
            name: name, events: events.map { calendarEvent($0, base: config.publicURL) }, timeZone: config.timeZone, now: now,
            organizer: (sender.displayName.isEmpty ? "ConsumerDesk" : sender.displayName, sender.address))
    }

    static func calendarEvent(_ event: Event, base: String) -> CalendarEvent {
        let location = [event.place, event.onlineURL ?? ""].filter { !$0.isEmpty }.joined(separator: "; ")
        return CalendarEvent(
            uid: (event.id?.uuidString.lowercased() ?? UUID().uuidString.lowercased()) + "@consumerdesk", sequence: event.sequence,
            title: event.title, description: String(Markdown.plainText(event.description).prefix(2000)), location: location,
            url: base + "/events/" + event.slug, start: event.startsAt, end: event.endsAt, updated: event.updatedAt,
            cancelled: event.status == .cancelled)
    }
}
