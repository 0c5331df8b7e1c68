import Domain
import Fluent
import SQLKit
import Vapor

/// `/admin/webhooks`: organisations' subscriptions to appeal events (their document systems get each
/// event signed), and the delivery log: what was sent, what the receiver answered, what waits for a retry.
struct WebhooksController: RouteCollection {
    static let logSize = 100

    func boot(routes: any RoutesBuilder) throws {
        let hooks = routes.grouped("admin", "webhooks")
        hooks.get(use: list)
        hooks.post(use: add)
        hooks.post(":id", "toggle", use: toggle)
        hooks.post(":id", "delete", use: remove)
        hooks.post("deliveries", ":id", "retry", use: retry)
    }

    struct Row: Encodable {
        var id: UUID
        var organisation: String
        var url: String
        var events: String
        var active: Bool
        var note: String
        var created: String
        var pending: Int
        var failed: Int
    }

    struct LogRow: Encodable {
        var id: UUID
        var at: String
        var event: String
        var appeal: String
        var url: String
        var status: String
        var statusClass: String
        var attempts: Int
        var answer: String
        var next: String?
        var retriable: Bool
    }

    struct EventChoice: Encodable {
        var value: String
        var label: String
        var checked: Bool
    }

    struct Page: Encodable {
        var layout: Layout
        var rows: [Row]
        var log: [LogRow]
        var organisations: [Choice]
        var events: [EventChoice]
        var values: [String: String]
        var errors: [String: String]
        var hasErrors: Bool
        /// The secret of the subscription just made: shown this once.
        var issuedSecret: String?
        var issuedURL: String?
        var filtered: String?
    }

    struct Input: Content {
        var organisationId: String?
        var url: String?
        var events: [String]?
        var note: String?
    }

    private func authorize(_ request: Request) async throws {
        _ = try request.requireUser()
        try await request.authorize(.manageReferenceData, in: .platform)
    }

    private func page(
        _ request: Request, input: Input? = nil, failure: ValidationFailure? = nil, issued: WebhookSubscription? = nil
    ) async throws -> Page {
        let db = request.db
        let organisations = try await Organisation.query(on: db).filter(\.$isActive == true).sort(\.$name).all()
        let names = Dictionary(organisations.compactMap { o in o.id.map { ($0, o.name) } }, uniquingKeysWith: { a, _ in a })
        let subscriptions = try await WebhookSubscription.query(on: db).sort(\.$createdAt, .descending).all()
        let urls = Dictionary(subscriptions.compactMap { s in s.id.map { ($0, s.url) } }, uniquingKeysWith: { a, _ in a })
        let filter = (try? request.query.get(UUID.self, at: "subscription")).flatMap { urls[$0] == nil ? nil : $0 }

        var log = WebhookDelivery.query(on: db).sort(\.$createdAt, .descending).limit(Self.logSize)
        if let filter { log = log.filter(\.$subscription.$id == filter) }
        let deliveries = try await log.all()
        // Waiting and failed per subscription, counted in one grouped query.
        var pending: [UUID: Int] = [:]
        var failed: [UUID: Int] = [:]
        if let sql = db as? any SQLDatabase {
            let counts = try await sql.select().column("subscription_id").column("status").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from(WebhookDelivery.schema).where("status", .notEqual, WebhookDelivery.Status.delivered.rawValue)
                .groupBy("subscription_id").groupBy("status").all()
            for row in counts {
                let id = try row.decode(column: "subscription_id", as: UUID.self)
                let n = try row.decode(column: "n", as: Int.self)
                switch try row.decode(column: "status", as: String.self) {
                case WebhookDelivery.Status.pending.rawValue: pending[id] = n
                case WebhookDelivery.Status.failed.rawValue: failed[id] = n
                default: break
                }
            }
        }

        let chosenEvents = Set(input?.events ?? [])
        let chosenOrganisation = input?.organisationId ?? ""
        return Page(
            layout: await Layout.make(for: request, title: "Вебхуки для систем документооборота"),
            rows: subscriptions.compactMap { s in
                s.id.map { id in
                    Row(
                        id: id, organisation: names[s.$organisation.id] ?? "—", url: s.url,
                        events: s.eventList.isEmpty ? "все события" : s.eventList.joined(separator: ", "), active: s.active,
                        note: s.note ?? "", created: Strings.dateTime(s.createdAt), pending: pending[id] ?? 0, failed: failed[id] ?? 0)
                }
            },
            log: deliveries.compactMap { d in
                d.id.map { id in
                    let (status, css): (String, String) =
                        switch d.status {
                        case .delivered: ("доставлено", "badge-ok")
                        case .pending: (d.attempts == 0 ? "в очереди" : "повтор", "badge-warn")
                        case .failed: ("не доставлено", "badge-error")
                        }
                    return LogRow(
                        id: id, at: Strings.dateTime(d.createdAt), event: d.event, appeal: d.appealNumber,
                        url: urls[d.$subscription.id] ?? "", status: status, statusClass: css, attempts: d.attempts,
                        answer: d.lastStatus.map { "HTTP \($0)" } ?? d.lastError ?? "",
                        next: d.status == .pending && d.attempts > 0 ? Strings.dateTime(d.nextAttemptAt) : nil,
                        retriable: d.status == .failed)
                }
            },
            organisations: [Choice(value: "", label: "— выберите —", selected: chosenOrganisation.isEmpty)]
                + organisations.compactMap { o in
                    o.id.map { Choice(value: $0.uuidString, label: o.name, selected: $0.uuidString == chosenOrganisation) }
                },
            events: AppealEvent.Action.allCases.map {
                let name = WebhookEvents.name($0)
                return EventChoice(value: name, label: Strings.title($0), checked: chosenEvents.contains(name))
            },
            values: ["url": input?.url ?? "", "note": input?.note ?? ""],
            errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
            issuedSecret: issued?.secret, issuedURL: issued?.url, filtered: filter.flatMap { urls[$0] })
    }

    @Sendable
    func list(request: Request) async throws -> Response {
        try await authorize(request)
        return try await request.render("admin/webhooks", try await page(request))
    }

    @Sendable
    func add(request: Request) async throws -> Response {
        try await authorize(request)
        let input = try request.content.decode(Input.self)
        return try await request.submitForm("admin/webhooks") {
            var errors = FieldErrors()
            let url = input.url?.nonBlank.flatMap(WebhookRules.endpoint)
            if input.url?.nonBlank == nil { errors.add("url", .required) } else if url == nil { errors.add("url", .invalidValue) }
            let organisation = input.organisationId?.nonBlank.flatMap(UUID.init(uuidString:))
            if input.organisationId?.nonBlank == nil {
                errors.add("organisationId", .required)
            } else if try await organisation.asyncFlatMap({ try await Organisation.find($0, on: request.db) }) == nil {
                errors.add("organisationId", .notFound)
            }
            let known = Set(WebhookEvents.all)
            let events = (input.events ?? []).filter { !$0.isEmpty }
            if events.contains(where: { !known.contains($0) }) { errors.add("events", .invalidValue) }
            if let note = input.note, note.count > 200 { errors.add("note", .tooLong) }
            try errors.throwIfAny()
            let subscription = WebhookSubscription()
            subscription.$organisation.id = organisation!
            subscription.url = url!
            subscription.secret = WebhookSignature.newSecret()
            // In the order of the list, so the table reads the same however the form sent them.
            subscription.events = WebhookEvents.all.filter(events.contains).joined(separator: ",")
            subscription.active = true
            subscription.note = input.note?.nonBlank
            subscription.createdAt = request.now
            subscription.createdBy = try request.requireUser().id
            try await subscription.create(on: request.db)
            // Not a redirect: the secret is shown only here, never in a URL or a cookie.
            let response = try await request.render(
                "admin/webhooks", try await page(request, issued: subscription), status: .created)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        } onInvalid: { failure in
            try await page(request, input: input, failure: failure)
        }
    }

    @Sendable
    func toggle(request: Request) async throws -> Response {
        try await authorize(request)
        let subscription = try await request.model(WebhookSubscription.self, "id")
        subscription.active.toggle()
        try await subscription.update(on: request.db)
        return request.seeOther(
            "/admin/webhooks",
            flash: subscription.active ? "Подписка включена: события снова отправляются." : "Подписка выключена: новые события не отправляются.")
    }

    @Sendable
    func remove(request: Request) async throws -> Response {
        try await authorize(request)
        let subscription = try await request.model(WebhookSubscription.self, "id")
        try await subscription.delete(on: request.db)
        return request.seeOther("/admin/webhooks", flash: "Подписка \(subscription.url) удалена вместе с журналом доставок.")
    }

    /// A delivery that failed for good goes back to the queue, to be sent at once.
    @Sendable
    func retry(request: Request) async throws -> Response {
        try await authorize(request)
        let delivery = try await request.model(WebhookDelivery.self, "id")
        guard delivery.status == .failed else {
            return request.seeOther("/admin/webhooks", flash: "Эта доставка не завершилась ошибкой: повторять нечего.")
        }
        delivery.status = .pending
        delivery.nextAttemptAt = request.now
        delivery.attempts = 0
        delivery.lockedUntil = nil
        try await delivery.update(on: request.db)
        return request.seeOther("/admin/webhooks", flash: "Доставка поставлена в очередь повторно.")
    }
}
