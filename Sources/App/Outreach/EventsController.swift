import Domain
import Fluent
import SQLKit
import Vapor

/// `/events`: the calendar of public events (and, for staff, the joint events of their organisations) as
/// a list or a month, an event's page with sign-up, its .ics, and the cancel link. Editors plan events
/// at `/editor/events`.
struct EventsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let events = routes.grouped("events")
        events.get(use: list)
        events.get(":slug", use: show)
        events.get(":slug", "event.ics", use: ics)
        events.get(":slug", "materials", ":material", use: materialFile)
        events.post(":slug", "signup", use: signUp)
        events.get("cancel", ":token", use: cancelForm)
        events.post("cancel", ":token", use: cancel)
        EventsEditorController().boot(routes.grouped("editor", "events"))
    }

    /// The subscription feed: outside the pages' session and CSRF middleware, as calendar apps fetch it.
    struct FeedRoutes: RouteCollection {
        func boot(routes: any RoutesBuilder) throws {
            routes.get("events", "calendar.ics") { try await EventsController.feed($0) }
        }
    }

    // MARK: List and month

    struct Row: Encodable {
        var title: String
        var url: String
        var when: String
        var day: String
        var place: String
        var format: String
        var joint: Bool
        var cancelled: Bool
        var draft: Bool
        var seats: String?
        var sphere: String?
    }

    struct Day: Encodable {
        var number: Int
        var inMonth: Bool
        var today: Bool
        var events: [Row]
    }

    struct ListPage: Encodable {
        var layout: Layout
        var month: Bool
        var past: Bool
        var rows: [Row]
        var weeks: [[Day]]
        var monthTitle: String
        var previousMonthURL: String
        var nextMonthURL: String
        var listURL: String
        var monthURL: String
        var pastURL: String
        var nextURL: String?
        var spheres: [Choice]
        var organisations: [Choice]
        var feedURL: String
        var editor: Bool
    }

    struct Filter {
        var sphere: SphereCode?
        var organisation: UUID?

        func query(_ extra: [String] = []) -> String {
            let parts = extra + (sphere.map { ["sphere=\($0.rawValue)"] } ?? []) + (organisation.map { ["org=\($0.uuidString)"] } ?? [])
            return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
        }
    }

    static func filter(_ request: Request) throws -> Filter {
        var filter = Filter()
        if let raw = (try? request.query.get(String.self, at: "sphere"))?.nonBlank {
            guard let code = SphereCode(rawValue: raw) else { throw AppError.notFound }
            filter.sphere = code
        }
        if let raw = (try? request.query.get(String.self, at: "org"))?.nonBlank {
            guard let id = UUID(uuidString: raw) else { throw AppError.notFound }
            filter.organisation = id
        }
        return filter
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        let filter = try Self.filter(request)
        let viewer = try await EventQueries.viewer(request)
        let zone = request.application.config.timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        calendar.firstWeekday = 2
        let now = request.now
        let names = try await NewsController.sphereNames(request.db)
        let monthView = (try? request.query.get(String.self, at: "view")) == "month"
        let past = (try? request.query.get(String.self, at: "past")) == "1"
        // The month shown: `?month=2026-12`, else the current one.
        var monthStart = calendar.date(from: calendar.dateComponents([.year, .month], from: now))!
        if let raw = (try? request.query.get(String.self, at: "month"))?.nonBlank {
            let parts = raw.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2, (2000...2100).contains(parts[0]), (1...12).contains(parts[1]),
                let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: 1))
            else { throw AppError.badRequest("Месяц указывается как ГГГГ-ММ") }
            monthStart = start
        }
        let monthEnd = calendar.date(byAdding: .month, value: 1, to: monthStart)!
        var rows: [Row] = []
        var weeks: [[Day]] = []
        var next: String?
        if monthView {
            let gridStart = calendar.date(
                byAdding: .day, value: -((calendar.component(.weekday, from: monthStart) + 5) % 7), to: monthStart)!
            let gridEnd = calendar.date(byAdding: .day, value: 42, to: gridStart)!
            // Everything that goes on within the grid, also what began before it.
            let events = try await EventQueries.window(
                from: nil, to: gridEnd, endingAfter: gridStart, sphere: filter.sphere?.rawValue, organisation: filter.organisation,
                viewer: viewer, limit: 1000, on: request.db)
            var byDay: [String: [Row]] = [:]
            for event in events {
                let row = Self.row(event, names: names, zone: zone)
                // An event of several days is shown on each of them; after the first, without its start time.
                var day = calendar.startOfDay(for: max(event.startsAt, gridStart))
                var shown = 0
                while day < event.endsAt, day < gridEnd, shown < 42 {
                    var copy = row
                    if day > event.startsAt { copy.day = "…" }
                    byDay[EventDraft.localDay(day, timeZone: zone), default: []].append(copy)
                    day = calendar.date(byAdding: .day, value: 1, to: day)!
                    shown += 1
                }
            }
            let today = EventDraft.localDay(now, timeZone: zone)
            var day = gridStart
            for _ in 0..<6 {
                var week: [Day] = []
                for _ in 0..<7 {
                    let key = EventDraft.localDay(day, timeZone: zone)
                    week.append(
                        Day(
                            number: calendar.component(.day, from: day), inMonth: day >= monthStart && day < monthEnd,
                            today: key == today, events: byDay[key] ?? []))
                    day = calendar.date(byAdding: .day, value: 1, to: day)!
                }
                // The sixth row only when the month reaches it.
                if weeks.count == 5, !week.contains(where: \.inMonth) { break }
                weeks.append(week)
            }
        } else {
            let after = (try? request.query.get(String.self, at: "after")).flatMap(NewsQueries.cursor)
            // Upcoming: still going on or ahead, soonest first. Past: over, the latest first.
            let events = try await EventQueries.window(
                from: nil, to: nil, endingAfter: past ? nil : now, endedBy: past ? now : nil, after: after,
                descending: past, sphere: filter.sphere?.rawValue, organisation: filter.organisation, viewer: viewer,
                limit: EventQueries.pageSize + 1, on: request.db)
            let page = Array(events.prefix(EventQueries.pageSize))
            rows = page.map { Self.row($0, names: names, zone: zone) }
            if events.count > EventQueries.pageSize, let last = page.last, let id = last.id {
                next = "/events" + filter.query((past ? ["past=1"] : []) + ["after=" + NewsController.encode(Feeds.rfc3339(last.startsAt) + "_" + id.uuidString)])
            }
        }
        let monthParts = calendar.dateComponents([.year, .month], from: monthStart)
        func monthURL(_ date: Date) -> String {
            let parts = calendar.dateComponents([.year, .month], from: date)
            return "/events" + filter.query(["view=month", String(format: "month=%04d-%02d", parts.year ?? 0, parts.month ?? 0)])
        }
        let organisations = try await Organisation.query(on: request.db).filter(\.$isActive == true).sort(\.$name).all()
        var layout = await Layout.make(for: request, title: "Мероприятия")
        layout.meta = .init(
            description: "Семинары для потребителей, дни приёма в общественной приёмной и другие мероприятия.",
            url: request.application.config.publicURL + "/events", type: "website")
        return try await request.render(
            "portal/events-list",
            ListPage(
                layout: layout, month: monthView, past: past, rows: rows, weeks: weeks,
                monthTitle: "\(Strings.monthNames[(monthParts.month ?? 1) - 1]) \(monthParts.year ?? 0)",
                previousMonthURL: monthURL(calendar.date(byAdding: .month, value: -1, to: monthStart)!),
                nextMonthURL: monthURL(monthEnd), listURL: "/events" + filter.query(), monthURL: monthURL(monthStart),
                pastURL: "/events" + filter.query(["past=1"]), nextURL: next,
                spheres: [Choice(value: "", label: "Все сферы", selected: filter.sphere == nil)]
                    + SphereCode.allCases.map { Choice(value: $0.rawValue, label: names[$0.rawValue] ?? $0.rawValue, selected: $0 == filter.sphere) },
                organisations: [Choice(value: "", label: "Все организаторы", selected: filter.organisation == nil)]
                    + organisations.compactMap { org in org.id.map { Choice(value: $0.uuidString, label: org.shortName, selected: $0 == filter.organisation) } },
                feedURL: "/events/calendar.ics" + filter.query(), editor: viewer.isEditor))
    }

    static func row(_ event: Event, names: [String: String], zone: TimeZone) -> Row {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let start = calendar.dateComponents([.hour, .minute], from: event.startsAt)
        return Row(
            title: event.title, url: "/events/\(event.slug)", when: EventText.when(event, timeZone: zone),
            day: String(format: "%02d:%02d", start.hour ?? 0, start.minute ?? 0),
            place: event.place.isEmpty ? (event.onlineURL == nil ? "" : "онлайн") : event.place, format: Self.formatName(event.format),
            joint: event.audience == .joint, cancelled: event.status == .cancelled, draft: event.status == .draft,
            seats: event.audience == .public ? event.seatsLeft.map { $0 == 0 ? "мест нет, лист ожидания" : "свободно мест: \($0)" } : nil,
            sphere: event.sphere.flatMap { names[$0] })
    }

    static func formatName(_ format: EventFormat) -> String {
        switch format {
        case .seminar: "Семинар"
        case .reception: "День приёма в общественной приёмной"
        case .meeting: "Заседание рабочей группы"
        case .inspection: "Совместная проверка"
        }
    }

    // MARK: One event

    struct Material: Encodable {
        var title: String
        var url: String
        var size: String?
    }

    /// A link as it is; a file by its download address, with its size.
    static func material(_ material: EventMaterial, slug: String) -> Material? {
        if let link = material.url { return Material(title: material.title, url: link, size: nil) }
        guard let id = material.id, material.fileKey != nil else { return nil }
        return Material(title: material.title, url: "/events/\(slug)/materials/\(id.uuidString)", size: material.size.map(Strings.fileSize))
    }

    /// A material file of an event the viewer may see.
    @Sendable
    func materialFile(request: Request) async throws -> Response {
        let (event, _) = try await Self.visibleEvent(request)
        guard let id = request.parameters.get("material").flatMap(UUID.init(uuidString:)),
            let material = try await EventMaterial.query(on: request.db).filter(\.$id == id).filter(\.$eventID == event.requireID()).first(),
            let key = material.fileKey, let sha256 = material.fileSHA256, let kind = material.contentType.flatMap(AttachmentKind.init(rawValue:))
        else { throw AppError.notFound }
        return try await AppealUploads.download(
            request, key: key, sha256: sha256, fileName: material.fileName ?? "file.\(kind.fileExtension)", kind: kind,
            cacheControl: event.audience == .public ? "public, max-age=3600" : "private, no-store")
    }

    struct ShowPage: Encodable {
        var layout: Layout
        var title: String
        var slug: String
        var format: String
        var when: String
        var place: String
        var onlineURL: String?
        var html: String
        var sphere: String?
        var organisers: [String]
        var joint: Bool
        var cancelled: Bool
        var draft: Bool
        var over: Bool
        var open: Bool
        var capacity: Int?
        var seatsLeft: Int?
        var waiting: Int
        var attendees: Int?
        var reportHTML: String?
        var materials: [Material]
        var input: [String: String]
        var errors: [String: String]
        var hasErrors: Bool
        var editURL: String?
        var shares: [NewsController.Share]
    }

    /// The event the path names, if the viewer may see it (else 404: a joint event is not even admitted to).
    static func visibleEvent(_ request: Request) async throws -> (Event, [UUID]) {
        guard let slug = request.parameters.get("slug"),
            let event = try await Event.query(on: request.db).filter(\.$slug == slug).first()
        else { throw AppError.notFound }
        let organisers = try await EventQueries.organisers(of: [try event.requireID()], on: request.db)[try event.requireID()] ?? []
        guard EventQueries.mayView(event, organisers: organisers, viewer: try await EventQueries.viewer(request)) else {
            throw AppError.notFound
        }
        return (event, organisers)
    }

    func page(
        _ request: Request, event: Event, organisers: [UUID], input: [String: String] = [:], failure: ValidationFailure? = nil
    ) async throws -> ShowPage {
        let zone = request.application.config.timeZone
        let names = try await NewsController.sphereNames(request.db)
        let orgNames = try await Organisation.query(on: request.db).filter(\.$id ~~ organisers).sort(\.$name).all().map(\.name)
        let waiting = try await EventRegistration.query(on: request.db)
            .filter(\.$eventID == event.requireID()).filter(\.$status == .waiting).count()
        let materials = try await EventMaterial.query(on: request.db).filter(\.$eventID == event.requireID()).sort(\.$createdAt).all()
        let viewer = try await EventQueries.viewer(request)
        let url = request.application.config.publicURL + "/events/" + event.slug
        var layout = await Layout.make(for: request, title: event.title)
        layout.meta = .init(description: String(Markdown.plainText(event.description).prefix(200)), url: url)
        return ShowPage(
            layout: layout, title: event.title, slug: event.slug, format: Self.formatName(event.format),
            when: EventText.when(event, timeZone: zone), place: event.place, onlineURL: event.onlineURL,
            html: RenderedMarkdown.html(event.description, key: "event:\(event.id?.uuidString ?? ""):\(event.updatedAt.timeIntervalSince1970)"),
            sphere: event.sphere.flatMap { names[$0] }, organisers: orgNames, joint: event.audience == .joint,
            cancelled: event.status == .cancelled, draft: event.status == .draft, over: event.endsAt <= request.now,
            open: EventSignUp.isOpen(status: event.status, audience: event.audience, startsAt: event.startsAt, now: request.now),
            capacity: event.capacity, seatsLeft: event.seatsLeft, waiting: waiting, attendees: event.attendees,
            reportHTML: event.report.map { RenderedMarkdown.html($0, key: "event-report:\(event.id?.uuidString ?? ""):\(event.updatedAt.timeIntervalSince1970)") },
            materials: materials.compactMap { Self.material($0, slug: event.slug) },
            input: input, errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            editURL: viewer.mayManage(organisers) ? "/editor/events/\(try event.requireID().uuidString)" : nil,
            shares: event.audience == .public ? NewsController.shares(url: url, title: event.title) : [])
    }

    @Sendable
    func show(request: Request) async throws -> Response {
        let (event, organisers) = try await Self.visibleEvent(request)
        let user = request.currentUser
        // A signed-in citizen finds the form filled in.
        let input = ["name": user?.personName.full ?? "", "email": user?.email ?? "", "phone": user?.phone ?? ""]
        return try await request.render("portal/event", try await page(request, event: event, organisers: organisers, input: input))
    }

    @Sendable
    func ics(request: Request) async throws -> Response {
        let (event, _) = try await Self.visibleEvent(request)
        let text = EventText.calendar(event.title, [event], config: request.application.config, now: request.now)
        return Self.calendarResponse(text, fileName: "\(event.slug).ics")
    }

    static func calendarResponse(_ text: String, fileName: String?) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/calendar; charset=utf-8")
        if let fileName { headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(fileName)\"") }
        headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }

    static func feed(_ request: Request) async throws -> Response {
        let filter = try Self.filter(request)
        let events = try await EventQueries.feed(
            sphere: filter.sphere?.rawValue, organisation: filter.organisation, now: request.now, on: request.db)
        var name = "Мероприятия — ConsumerDesk"
        if let sphere = filter.sphere, let title = try await NewsController.sphereNames(request.db)[sphere.rawValue] { name = "Мероприятия: \(title)" }
        if let id = filter.organisation {
            guard let organisation = try await Organisation.find(id, on: request.db) else { throw AppError.notFound }
            name = "Мероприятия: \(organisation.shortName)"
        }
        let text = EventText.calendar(name, events, config: request.application.config, now: request.now)
        return calendarResponse(text, fileName: nil)
    }

    // MARK: Sign-up and cancel

    struct SignUpInput: Content {
        var name: String?
        var email: String?
        var phone: String?
        var consent: String?
    }

    struct DonePage: Encodable {
        var layout: Layout
        var title: String
        var url: String
        var when: String
        var confirmed: Bool
        var position: Int?
        var cancelURL: String
        var mailed: Bool
        var icsURL: String
    }

    @Sendable
    func signUp(request: Request) async throws -> Response {
        let (event, organisers) = try await Self.visibleEvent(request)
        let input = try request.content.decode(SignUpInput.self)
        let fields = ["name": input.name ?? "", "email": input.email ?? "", "phone": input.phone ?? ""]
        return try await request.submitForm("portal/event") {
            if !EventSignUp.isOpen(status: event.status, audience: event.audience, startsAt: event.startsAt, now: request.now) {
                throw ValidationFailure([FieldError("name", .eventClosed)])
            }
            let person = try EventSignUp.validate(
                name: fields["name"]!, email: fields["email"]!, phone: fields["phone"]!, consent: input.consent != nil)
            let result = try await EventSeating.signUp(
                event: try event.requireID(), person, app: request.application, now: request.now, on: request.db)
            request.application.mailWorker?.wake()
            var position: Int?
            if case .waiting(let n) = result.place { position = n }
            let base = request.application.config.publicURL
            return try await request.render(
                "portal/event-done",
                DonePage(
                    layout: await Layout.make(for: request, title: "Запись на мероприятие"), title: event.title,
                    url: "/events/\(event.slug)", when: EventText.when(event, timeZone: request.application.config.timeZone),
                    confirmed: position == nil, position: position, cancelURL: base + "/events/cancel/" + result.cancelToken,
                    mailed: result.registration.email != nil, icsURL: "/events/\(event.slug)/event.ics"))
        } onInvalid: { failure in
            try await page(request, event: event, organisers: organisers, input: fields, failure: failure)
        }
    }

    struct CancelPage: Encodable {
        var layout: Layout
        var title: String
        var url: String
        var when: String
        var name: String
        var status: String
        var action: String
        var done: Bool
    }

    private func cancelPage(_ request: Request, event: Event, registration: EventRegistration, done: Bool) async throws -> Response {
        try await request.render(
            "portal/event-cancel",
            CancelPage(
                layout: await Layout.make(for: request, title: "Отмена записи"), title: event.title, url: "/events/\(event.slug)",
                when: EventText.when(event, timeZone: request.application.config.timeZone), name: registration.name,
                status: registration.status.rawValue, action: "/events/cancel/\(request.parameters.get("token") ?? "")", done: done))
    }

    @Sendable
    func cancelForm(request: Request) async throws -> Response {
        guard let token = request.parameters.get("token"),
            let registration = try await EventRegistration.query(on: request.db).filter(\.$cancelTokenHash == Secrets.hash(token)).first(),
            let event = try await Event.find(registration.eventID, on: request.db)
        else { throw AppError.notFound }
        return try await cancelPage(request, event: event, registration: registration, done: false)
    }

    @Sendable
    func cancel(request: Request) async throws -> Response {
        guard let token = request.parameters.get("token"),
            let (event, registration) = try await EventSeating.cancel(token: token, app: request.application, now: request.now, on: request.db)
        else { throw AppError.notFound }
        request.application.mailWorker?.wake()
        return try await cancelPage(request, event: event, registration: registration, done: true)
    }
}
