import Domain
import Fluent
import Foundation
import Vapor

/// What an operator records about a hotline call or a visit that did not become an appeal.
struct ContactInput: Content {
    var kind: String?
    /// The region's local time, `2026-03-10T14:30`; now when not given.
    var occurredAt: String?
    var organisationId: String?
    var sphere: String?
    var help: String?
    var result: String?
    /// Roubles, «1 500,50», when the result is satisfied or partly.
    var moneyReturned: String?
    var note: String?
}

struct ContactDTO: Content {
    var id: UUID
    var kind: ContactKind
    var occurredAt: Date
    var organisationId: UUID?
    var sphere: String?
    var help: HelpKind
    var result: ReportResult
    var moneyReturned: Int?

    init(_ record: ContactRecord) throws {
        id = try record.requireID()
        kind = record.kind
        occurredAt = record.occurredAt
        organisationId = record.organisationID
        sphere = record.sphere
        help = record.helpKind
        result = record.result
        moneyReturned = record.moneyReturned
    }
}

/// Hotline calls and visits to the reception that are answered on the spot still count: by sphere, help
/// and result in the statistics and the official report (issue 8 item 1; seed 002 counts 87 calls in 2024).
enum ContactService {
    static let maxNote = 1_000
    static let spheres = Set(ReportSpheres.codes)
    static let results: [ReportResult] = [.explained, .satisfied, .partly, .notSatisfied, .redirected]

    /// The organisations where the person may record contacts.
    static func organisations(of actor: Actor, on db: any Database) async throws -> [Organisation] {
        let organisations = try await Organisation.query(on: db).filter(\.$isActive == true).sort(\.$name).all()
        let tree = OrganisationQueries.tree(of: organisations)
        return organisations.filter { Policy.permits(actor, .recordContacts, in: .organisation($0.id!), tree: tree) }
    }

    static func record(_ input: ContactInput, actor: Actor, app: Application, now: Date) async throws -> ContactRecord {
        let mine = try await organisations(of: actor, on: app.db)
        guard !mine.isEmpty else { throw AppError.forbidden }
        var errors: [FieldError] = []
        let kind = input.kind?.nonBlank.flatMap(ContactKind.init(rawValue:))
        if kind == nil || kind == .appeal || kind == .chat {
            errors.append(FieldError("kind", input.kind?.nonBlank == nil ? .required : .invalidValue))
        }
        var organisation: UUID?
        if let raw = input.organisationId?.nonBlank {
            if let id = UUID(uuidString: raw), mine.contains(where: { $0.id == id }) { organisation = id } else {
                errors.append(FieldError("organisationId", .notFound))
            }
        } else if mine.count == 1 {
            organisation = mine[0].id
        } else {
            errors.append(FieldError("organisationId", .required))
        }
        var occurred = now
        if let raw = input.occurredAt?.nonBlank {
            if let parsed = localDateTime(raw, calendar: app.productionCalendar) {
                if parsed > now.addingTimeInterval(60) { errors.append(FieldError("occurredAt", .dateInFuture)) } else { occurred = parsed }
            } else {
                errors.append(FieldError("occurredAt", .invalidDate))
            }
        }
        let sphere = input.sphere?.nonBlank
        if sphere == nil { errors.append(FieldError("sphere", .required)) } else if !spheres.contains(sphere!) {
            errors.append(FieldError("sphere", .invalidValue))
        }
        var help = HelpKind.oralConsultation
        if let raw = input.help?.nonBlank {
            if let value = HelpKind(rawValue: raw) { help = value } else { errors.append(FieldError("help", .invalidValue)) }
        }
        var result = help == .redirect ? ReportResult.redirected : .explained
        if let raw = input.result?.nonBlank {
            if let value = ReportResult(rawValue: raw), results.contains(value) { result = value } else {
                errors.append(FieldError("result", .invalidValue))
            }
        }
        var money: Int?
        if let raw = input.moneyReturned?.nonBlank {
            if let kopecks = Money.parseKopecks(raw), kopecks <= Money.maximumKopecks {
                if kopecks > 0, !result.mayReturnMoney { errors.append(FieldError("moneyReturned", .notForOutcome)) } else { money = kopecks }
            } else {
                errors.append(FieldError("moneyReturned", .invalidValue))
            }
        }
        let note = input.note?.nonBlank
        if let note, note.count > maxNote { errors.append(FieldError("note", .tooLong)) }
        guard errors.isEmpty, let kind else { throw ValidationFailure(errors) }
        let record = ContactRecord()
        record.id = UUID()
        record.kind = kind
        record.occurredAt = occurred
        record.organisationID = organisation
        record.operatorID = actor.userID
        record.sphere = sphere
        record.helpKind = help
        record.result = result
        record.moneyReturned = money
        record.note = note
        record.createdAt = now
        try await record.create(on: app.db)
        return record
    }

    /// `2026-03-10T14:30` (what a datetime-local field sends) in the region's time.
    static func localDateTime(_ raw: String, calendar: ProductionCalendar) -> Date? {
        let parts = raw.split(separator: "T")
        guard parts.count == 2, let date = LocalDate(iso: String(parts[0])) else { return nil }
        let time = parts[1].split(separator: ":")
        guard time.count >= 2, let hour = Int(time[0]), let minute = Int(time[1]), (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return calendar.start(of: date).addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
    }

    /// The contact a closed chat leaves: answered in the chat or referred elsewhere (an abandoned chat, spam
    /// or one that became an appeal is not a contact of its own).
    static func fromChat(_ record: ConsultationRecord, on db: any Database) async throws {
        guard let outcome = record.outcome, outcome == .answered || outcome == .referred, let closed = record.closedAt else { return }
        let id = try record.requireID()
        guard try await ContactRecord.query(on: db).filter(\.$consultationID == id).count() == 0 else { return }
        var organisation: UUID?
        if let person = record.operatorID {
            organisation = try await ChatOperator.query(on: db).filter(\.$userID == person).first()?.organisationID
        }
        let contact = ContactRecord()
        contact.id = UUID()
        contact.kind = .chat
        contact.occurredAt = closed
        contact.organisationID = organisation
        contact.operatorID = record.operatorID
        contact.sphere = record.sphere
        contact.helpKind = outcome == .referred ? .redirect : .oralConsultation
        contact.result = outcome == .referred ? .redirected : .explained
        contact.consultationID = id
        contact.createdAt = closed
        try await contact.create(on: db)
    }
}

struct ContactsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("contacts", use: page)
        routes.post("contacts", use: submit)
    }

    struct API: RouteCollection {
        func boot(routes: any RoutesBuilder) throws {
            routes.post("contacts") { request async throws -> Response in
                _ = try request.requireUser()
                let record = try await ContactService.record(
                    try request.content.decode(ContactInput.self), actor: try await request.requireActor(), app: request.application,
                    now: request.now)
                return try await ContactDTO(record).encodeResponse(status: .created, for: request)
            }.document(.init(
                "Учесть консультацию (звонок, приём, выезд) для отчётов", body: ContactInput.self, status: 201,
                response: ContactDTO.self))
        }
    }

    struct Row: Encodable {
        var date: String
        var kind: String
        var sphere: String
        var help: String
        var result: String
    }

    struct Page: Encodable {
        var layout: Layout
        var kinds: [Choice]
        var organisations: [Choice]
        var spheres: [Choice]
        var helps: [Choice]
        var results: [Choice]
        var form: ContactInput
        var errors: [String: String]
        var hasErrors: Bool
        var recent: [Row]
        var now: String
    }

    func render(_ request: Request, form: ContactInput, failure: ValidationFailure?) async throws -> Response {
        let actor = try await request.requireActor()
        let mine = try await ContactService.organisations(of: actor, on: request.db)
        guard !mine.isEmpty else { throw AppError.forbidden }
        let names = try await StatNames.load(on: request.db)
        let recent = try await ContactRecord.query(on: request.db).filter(\.$operatorID == actor.userID)
            .sort(\.$occurredAt, .descending).limit(20).all()
        let calendar = request.application.productionCalendar
        let now = request.now
        let local = calendar.localDate(of: now)
        let seconds = Int(now.timeIntervalSince(calendar.start(of: local)))
        return try await request.render(
            "stats/contacts",
            Page(
                layout: await Layout.make(for: request, title: "Звонки и приём"),
                kinds: [ContactKind.hotline, .reception].map { Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == form.kind) },
                organisations: mine.map { Choice(value: $0.id!.uuidString, label: $0.shortName, selected: $0.id!.uuidString == form.organisationId) },
                spheres: ReportSpheres.codes.map { Choice(value: $0, label: names.sphere($0), selected: $0 == form.sphere) },
                helps: HelpKind.allCases.map { Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == (form.help ?? HelpKind.oralConsultation.rawValue)) },
                results: ContactService.results.map { Choice(value: $0.rawValue, label: Strings.title($0), selected: $0.rawValue == (form.result ?? ReportResult.explained.rawValue)) },
                form: form, errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil,
                recent: recent.map {
                    Row(date: Strings.dateTime($0.occurredAt), kind: Strings.title($0.kind), sphere: names.sphere($0.sphere ?? StatContribution.otherSphere),
                        help: Strings.title($0.helpKind), result: Strings.title($0.result))
                },
                now: String(format: "%@T%02d:%02d", local.description, seconds / 3600, seconds % 3600 / 60)),
            status: failure == nil ? .ok : .unprocessableEntity)
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        _ = try request.requireUser()
        return try await render(request, form: ContactInput(kind: ContactKind.hotline.rawValue), failure: nil)
    }

    @Sendable
    func submit(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try request.content.decode(ContactInput.self)
        do {
            let record = try await ContactService.record(input, actor: try await request.requireActor(), app: request.application, now: request.now)
            return request.seeOther("/contacts", flash: "\(Strings.title(record.kind)): контакт учтён в статистике.")
        } catch let failure as ValidationFailure {
            return try await render(request, form: input, failure: failure)
        }
    }
}
