import Domain
import Fluent
import SQLKit
import Vapor

/// `/editor/events`: editors plan events, see who signed up, move or cancel an event (everyone signed up
/// is mailed), and after it record the attendees, a report and materials.
struct EventsEditorController {
    func boot(_ routes: any RoutesBuilder) {
        routes.get(use: list)
        routes.get("new", use: newForm)
        routes.post(use: create)
        routes.get(":id", use: editForm)
        routes.post(":id", use: update)
        routes.post(":id", "cancel", use: cancelEvent)
        routes.post(":id", "report", use: saveReport)
        routes.on(.POST, ":id", "materials", body: .collect(maxSize: "11mb"), use: addMaterial)
    }

    struct Row: Encodable {
        var id: UUID
        var title: String
        var when: String
        var state: String
        var joint: Bool
        var confirmed: Int
        var capacity: Int?
        var waiting: Int
        var url: String
    }

    struct ListPage: Encodable {
        var layout: Layout
        var rows: [Row]
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        let viewer = try await EventQueries.viewer(request)
        var query = Event.query(on: request.db)
        if !viewer.managesAll { query = query.filter(\.$id ~~ (try await EventQueries.organisedBy(viewer.manages, on: request.db))) }
        let events = try await query.sort(\.$startsAt, .descending).limit(300).all()
        let ids = events.compactMap(\.id)
        let waiting = try await EventRegistration.query(on: request.db)
            .filter(\.$eventID ~~ ids).filter(\.$status == .waiting).all()
        let waitingBy = Dictionary(grouping: waiting, by: \.eventID).mapValues(\.count)
        let zone = request.application.config.timeZone
        return try await request.render(
            "editor/events-list",
            ListPage(
                layout: await Layout.make(for: request, title: "Мероприятия"),
                rows: events.compactMap { event in
                    event.id.map {
                        Row(
                            id: $0, title: event.title, when: EventText.when(event, timeZone: zone),
                            state: Self.state(event, now: request.now), joint: event.audience == .joint,
                            confirmed: event.confirmedCount, capacity: event.capacity, waiting: waitingBy[$0] ?? 0,
                            url: "/events/\(event.slug)")
                    }
                }))
    }

    /// The event of the path, if the editor manages one of its organisers (else 403).
    static func managed(_ request: Request) async throws -> (Event, EventQueries.Viewer) {
        _ = try await EditorController.requireEditor(request)
        let event = try await request.model(Event.self, "id")
        let viewer = try await EventQueries.viewer(request)
        let organisers = try await EventQueries.organisers(of: [try event.requireID()], on: request.db)[try event.requireID()] ?? []
        guard viewer.mayManage(organisers) else { throw AppError.forbidden }
        return (event, viewer)
    }

    static func state(_ event: Event, now: Date) -> String {
        switch event.status {
        case .draft: "черновик"
        case .cancelled: "отменено"
        case .published: event.endsAt <= now ? "прошло" : event.startsAt <= now ? "идёт" : "опубликовано"
        }
    }

    // MARK: Form

    struct Input: Content {
        var title: String?
        var slug: String?
        var audience: String?
        var format: String?
        var sphere: String?
        var description: String?
        var organisers: [String]?
        var place: String?
        var onlineURL: String?
        var startsAt: String?
        var endsAt: String?
        var capacity: String?
        var published: String?
    }

    struct Person: Encodable {
        var name: String
        var contact: String
        var status: String
        var at: String
    }

    struct FormPage: Encodable {
        var layout: Layout
        var isNew: Bool
        var action: String
        var input: [String: String]
        var published: Bool
        var cancelled: Bool
        var audiences: [Choice]
        var formats: [Choice]
        var spheres: [Choice]
        var organisations: [Choice]
        var errors: [String: String]
        var hasErrors: Bool
        var viewURL: String?
        var cancelURL: String?
        var reportURL: String?
        var materialsURL: String?
        var confirmed: Int
        var people: [Person]
        var over: Bool
        var materials: [EventsController.Material]
    }

    private func form(
        _ request: Request, event: Event?, input: Input?, failure: ValidationFailure?, report: [String: String] = [:]
    ) async throws -> FormPage {
        let names = try await NewsController.sphereNames(request.db)
        let zone = request.application.config.timeZone
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = zone
        local.dateFormat = "yyyy-MM-dd'T'HH:mm"
        let id = event?.id
        var current: [UUID] = []
        if let id { current = try await EventQueries.organisers(of: [id], on: request.db)[id] ?? [] }
        let chosen = Set(input?.organisers?.compactMap(UUID.init(uuidString:)) ?? current)
        let organisations = try await Organisation.query(on: request.db).filter(\.$isActive == true).all()
        let depths = OrganisationQueries.depths(organisations)
        let audience = input?.audience ?? event?.audience.rawValue ?? EventAudience.public.rawValue
        let format = input?.format ?? event?.format.rawValue ?? EventFormat.seminar.rawValue
        let sphere = input?.sphere ?? event?.sphere ?? ""
        var people: [Person] = []
        var materials: [EventsController.Material] = []
        if let id {
            let registrations = try await EventRegistration.query(on: request.db).filter(\.$eventID == id)
                .sort(\.$queuedAt).sort(\.$id).limit(5000).all()
            people = registrations.map {
                Person(
                    name: $0.name, contact: [$0.email, $0.phone].compactMap { $0 }.joined(separator: ", "),
                    status: $0.status == .confirmed ? "записан" : $0.status == .waiting ? "в листе ожидания" : "отменил запись",
                    at: Strings.dateTime($0.queuedAt))
            }
            materials = try await EventMaterial.query(on: request.db).filter(\.$eventID == id).sort(\.$createdAt).all()
                .compactMap { EventsController.material($0, slug: event?.slug ?? "") }
        }
        var fields: [String: String] = [
            "title": input?.title ?? event?.title ?? "", "slug": input?.slug ?? event?.slug ?? "",
            "description": input?.description ?? event?.description ?? "", "place": input?.place ?? event?.place ?? "",
            "onlineURL": input?.onlineURL ?? event?.onlineURL ?? "",
            "startsAt": input?.startsAt ?? event.map { local.string(from: $0.startsAt) } ?? "",
            "endsAt": input?.endsAt ?? event.map { local.string(from: $0.endsAt) } ?? "",
            "capacity": input?.capacity ?? event?.capacity.map(String.init) ?? "",
            "attendees": event?.attendees.map(String.init) ?? "", "report": event?.report ?? "",
        ]
        fields.merge(report) { _, new in new }
        return FormPage(
            layout: await Layout.make(for: request, title: event == nil ? "Новое мероприятие" : "Мероприятие"),
            isNew: event == nil, action: id.map { "/editor/events/\($0.uuidString)" } ?? "/editor/events", input: fields,
            published: input.map { $0.published != nil } ?? (event?.status == .published),
            cancelled: event?.status == .cancelled,
            audiences: [
                Choice(value: EventAudience.public.rawValue, label: "Открытое (на портале, с записью)", selected: audience == EventAudience.public.rawValue),
                Choice(value: EventAudience.joint.rawValue, label: "Совместное (для сотрудников организаторов)", selected: audience == EventAudience.joint.rawValue),
            ],
            formats: EventFormat.allCases.map { Choice(value: $0.rawValue, label: EventsController.formatName($0), selected: $0.rawValue == format) },
            spheres: [Choice(value: "", label: "Без сферы", selected: sphere.isEmpty)]
                + SphereCode.allCases.map { Choice(value: $0.rawValue, label: names[$0.rawValue] ?? $0.rawValue, selected: $0.rawValue == sphere) },
            organisations: OrganisationQueries.treeOrder(organisations).compactMap { org in
                org.id.map { Choice(value: $0.uuidString, label: org.shortName, selected: chosen.contains($0), depth: depths[$0] ?? 0) }
            },
            errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            viewURL: event.map { "/events/\($0.slug)" }, cancelURL: id.map { "/editor/events/\($0.uuidString)/cancel" },
            reportURL: id.map { "/editor/events/\($0.uuidString)/report" },
            materialsURL: id.map { "/editor/events/\($0.uuidString)/materials" }, confirmed: event?.confirmedCount ?? 0,
            people: people, over: event.map { $0.endsAt <= request.now } ?? false, materials: materials)
    }

    @Sendable
    func newForm(request: Request) async throws -> Response {
        _ = try await EditorController.requireEditor(request)
        return try await request.render("editor/event-form", try await form(request, event: nil, input: nil, failure: nil))
    }

    @Sendable
    func editForm(request: Request) async throws -> Response {
        let (event, _) = try await Self.managed(request)
        return try await request.render("editor/event-form", try await form(request, event: event, input: nil, failure: nil))
    }

    @Sendable
    func create(request: Request) async throws -> Response {
        let editor = try await EditorController.requireEditor(request)
        let input = try request.content.decode(Input.self)
        return try await request.submitForm("editor/event-form") {
            let event = Event()
            event.createdAt = request.now
            event.createdBy = editor
            event.confirmedCount = 0
            event.sequence = 0
            try await save(event, input, request)
            return request.seeOther("/editor/events/\(try event.requireID())", flash: "Мероприятие сохранено.")
        } onInvalid: { failure in
            try await form(request, event: nil, input: input, failure: failure)
        }
    }

    @Sendable
    func update(request: Request) async throws -> Response {
        let (event, _) = try await Self.managed(request)
        let input = try request.content.decode(Input.self)
        return try await request.submitForm("editor/event-form") {
            try await save(event, input, request)
            return request.seeOther("/editor/events/\(try event.requireID())", flash: "Мероприятие сохранено.")
        } onInvalid: { failure in
            try await form(request, event: event, input: input, failure: failure)
        }
    }

    private func save(_ event: Event, _ input: Input, _ request: Request) async throws {
        let zone = request.application.config.timeZone
        let draft = EventDraft(
            title: input.title ?? "", slug: input.slug ?? "", audience: input.audience ?? "", format: input.format ?? "",
            sphere: input.sphere ?? "", description: input.description ?? "",
            organisers: (input.organisers ?? []).compactMap(UUID.init(uuidString:)), place: input.place ?? "",
            onlineURL: input.onlineURL ?? "", startsAt: input.startsAt ?? "", endsAt: input.endsAt ?? "",
            capacity: input.capacity ?? "")
        var errors = FieldErrors()
        if (input.organisers ?? []).contains(where: { UUID(uuidString: $0) == nil }) { errors.add("organisers", .invalidValue) }
        let valid: EventDraft.Valid
        do {
            valid = try EventDraft.validate(draft, timeZone: zone)
        } catch {
            throw ValidationFailure(error.errors + errors.errors)
        }
        let known = try await Organisation.query(on: request.db).filter(\.$id ~~ valid.organisers).filter(\.$isActive == true).count()
        if known != valid.organisers.count {
            errors.add("organisers", .invalidValue)
        } else if !(try await EventQueries.viewer(request)).mayManage(valid.organisers) {
            // Other agencies may co-organise, but one's own organisation (or one under it) must be among them.
            errors.add("organisers", .notYourOrganisation)
        }
        if let taken = try await Event.query(on: request.db).filter(\.$slug == valid.slug).first(), taken.id != event.id {
            errors.add("slug", .taken)
        }
        // People signed up for a public event keep their seats: it cannot turn into a staff-only one.
        if event.id != nil, event.audience == .public, valid.audience == .joint, event.confirmedCount > 0 {
            errors.add("audience", .invalidValue)
        }
        // People who signed up keep hearing of the event: it is cancelled (and they are told), not hidden.
        if event.id != nil, event.status == .published, input.published == nil,
            try await EventRegistration.query(on: request.db).filter(\.$eventID == event.requireID()).filter(\.$status != .cancelled).count() > 0
        {
            errors.add("published", .eventHasSignUps)
        }
        try errors.throwIfAny()
        let isNew = event.id == nil
        let moved = !isNew && (event.startsAt != valid.startsAt || event.endsAt != valid.endsAt || event.place != valid.place
            || event.onlineURL != valid.onlineURL)
        let app = request.application
        let now = request.now
        try await request.db.transaction { db in
            event.title = valid.title
            event.slug = valid.slug
            event.audience = valid.audience
            event.format = valid.format
            event.sphere = valid.sphere
            event.description = valid.description
            event.place = valid.place
            event.onlineURL = valid.onlineURL
            event.startsAt = valid.startsAt
            event.endsAt = valid.endsAt
            if isNew || event.status != .cancelled { event.status = input.published != nil ? .published : .draft }
            if moved { event.sequence += 1 }
            event.updatedAt = now
            if isNew { event.capacity = valid.capacity }
            do {
                try await event.save(on: db)
            } catch where error.isUniqueViolation {
                throw ValidationFailure([FieldError("slug", .taken)])
            }
            let id = try event.requireID()
            if !isNew, event.capacity != valid.capacity {
                // Compared with the seats taken in the same statement, so a sign-up at this moment cannot slip
                // past a smaller capacity.
                guard let sql = db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
                // (A NULL bind has no type PostgreSQL could infer: no limit is its own statement.)
                let changed = try await sql.raw(
                    valid.capacity.map {
                        "UPDATE events SET capacity = \(bind: $0) WHERE id = \(bind: id) AND confirmed_count <= \(bind: $0) RETURNING id"
                    } ?? "UPDATE events SET capacity = NULL WHERE id = \(bind: id) RETURNING id"
                ).all()
                guard !changed.isEmpty else { throw ValidationFailure([FieldError("capacity", .belowSignedUp)]) }
                event.capacity = valid.capacity
                try await EventSeating.promote(id, app: app, now: now, on: db)
            }
            try await EventOrganiser.query(on: db).filter(\.$eventID == id).delete()
            for organisation in valid.organisers { try await EventOrganiser(event: id, organisation: organisation).create(on: db) }
            if moved, event.status == .published {
                try await EventSeating.notifyChange(event, cancelled: false, app: app, now: now, on: db)
                // A new date deserves a new reminder the day before it (the change mail is it if that is close).
                let reminded: Date? = EventSeats.reminderDue(startsAt: event.startsAt) <= now ? now : nil
                try await EventRegistration.query(on: db).filter(\.$eventID == id).filter(\.$status == .confirmed)
                    .set(\.$remindedAt, to: reminded).update()
            }
        }
        app.mailWorker?.wake()
    }

    @Sendable
    func cancelEvent(request: Request) async throws -> Response {
        let (event, _) = try await Self.managed(request)
        guard event.status != .cancelled else { return request.seeOther("/editor/events/\(try event.requireID())") }
        let (app, now) = (request.application, request.now)
        let wasPublished = event.status == .published
        try await request.db.transaction { db in
            event.status = .cancelled
            event.sequence += 1
            event.updatedAt = now
            try await event.save(on: db)
            if wasPublished { try await EventSeating.notifyChange(event, cancelled: true, app: app, now: now, on: db) }
        }
        app.mailWorker?.wake()
        return request.seeOther("/editor/events/\(try event.requireID())", flash: "Мероприятие отменено, записавшимся отправлены письма.")
    }

    struct ReportInput: Content {
        var attendees: String?
        var report: String?
    }

    @Sendable
    func saveReport(request: Request) async throws -> Response {
        let (event, _) = try await Self.managed(request)
        let input = try request.content.decode(ReportInput.self)
        return try await request.submitForm("editor/event-form") {
            let valid = try EventReport.validate(
                attendees: input.attendees ?? "", report: input.report ?? "", endsAt: event.endsAt, now: request.now)
            event.attendees = valid.attendees
            event.report = valid.report.isEmpty ? nil : valid.report
            event.updatedAt = request.now
            try await event.save(on: request.db)
            return request.seeOther("/editor/events/\(try event.requireID())", flash: "Итоги мероприятия сохранены.")
        } onInvalid: { failure in
            try await form(
                request, event: event, input: nil, failure: failure,
                report: ["attendees": input.attendees ?? "", "report": input.report ?? ""])
        }
    }

    struct MaterialInput: Content {
        var materialTitle: String?
        var materialURL: String?
        /// Slides: a PDF (or a picture) of up to 10 MB, instead of a link.
        var materialFile: File?
    }

    @Sendable
    func addMaterial(request: Request) async throws -> Response {
        let (event, _) = try await Self.managed(request)
        let input = try request.content.decode(MaterialInput.self)
        let file = input.materialFile.flatMap { $0.data.readableBytes > 0 ? $0 : nil }
        return try await request.submitForm("editor/event-form") {
            let material = EventMaterial()
            material.eventID = try event.requireID()
            material.createdAt = request.now
            if let file {
                let title = (input.materialTitle ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                var errors: [FieldError] = []
                if title.isEmpty { errors.append(FieldError("materialTitle", .required)) } else if title.count > 200 { errors.append(FieldError("materialTitle", .tooLong)) }
                var accepted: AttachmentRules.Accepted?
                do {
                    accepted = try AttachmentRules.validate(
                        [.init(fileName: file.filename, size: file.data.readableBytes, head: Array(file.data.readableBytesView.prefix(8)))]
                    ).first
                } catch let failure as ValidationFailure {
                    errors += failure.errors.map { FieldError("materialFile", $0.code) }
                }
                guard errors.isEmpty, let accepted else { throw ValidationFailure(errors) }
                let store = request.application.fileStore
                let stored = try await store.store(file.data, now: request.now)
                material.title = title
                material.fileKey = stored.key
                material.fileSHA256 = stored.sha256
                material.fileName = accepted.fileName
                material.contentType = accepted.kind.rawValue
                material.size = stored.size
                do {
                    try await material.create(on: request.db)
                } catch {
                    await store.remove([stored.key])
                    throw error
                }
            } else {
                let valid = try EventMaterialLink.validate(title: input.materialTitle ?? "", url: input.materialURL ?? "")
                material.title = valid.title
                material.url = valid.url
                try await material.create(on: request.db)
            }
            return request.seeOther("/editor/events/\(try event.requireID())", flash: "Материал добавлен.")
        } onInvalid: { failure in
            try await form(
                request, event: event, input: nil, failure: failure,
                report: ["materialTitle": input.materialTitle ?? "", "materialURL": input.materialURL ?? ""])
        }
    }
}
