import Domain
import Fluent
import Foundation
import Vapor

/// `/desk/team` and `/desk/rules`: what fair load and the auto-rules need from a coordinator — who is
/// present, how much each takes at once, which spheres and territories they handle; and which
/// categories/territories go straight to a person or to the pool.
struct TeamController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let desk = routes.grouped("desk")
        desk.get("team", use: team)
        desk.post("team", ":user", use: saveProfile)
        desk.get("rules", use: rules)
        desk.post("rules", use: addRule)
        desk.post("rules", ":id", "delete", use: deleteRule)
    }

    /// The organisation asked for (or the person's first) where they coordinate.
    static func organisation(_ request: Request, id: String? = nil) async throws -> Organisation {
        let actor = try await request.requireActor()
        let tree = try await OrganisationQueries.tree(on: request.db)
        let organisations = try await Organisation.query(on: request.db).filter(\.$isActive == true).sort(\.$name).all()
        let coordinated = organisations.filter { $0.id.map { Policy.permits(actor, .coordinate, in: .organisation($0), tree: tree) } ?? false }
        guard !coordinated.isEmpty else { throw AppError.forbidden }
        let asked = (id ?? (try? request.query.get(String.self, at: "organisation"))).flatMap(UUID.init(uuidString:))
        guard let chosen = asked.map({ id in coordinated.first { $0.id == id } }) ?? coordinated.first else { throw AppError.notFound }
        return chosen
    }

    struct TeamPage: Encodable {
        struct Person: Encodable {
            var id: String
            var name: String
            var present: Bool
            var capacity: String
            var open: Int
            var contactsToday: Int
            var spheres: [Choice]
            var territories: [Choice]
        }

        var layout: Layout
        var organisationId: String
        var organisationName: String
        var people: [Person]
        var errors: [String: String]
        var hasErrors: Bool
    }

    static func teamPage(_ request: Request, organisation: Organisation, failure: ValidationFailure? = nil) async throws -> TeamPage {
        let id = try organisation.requireID()
        let candidates = try await AssignmentService.candidates(of: id, now: request.now, on: request)
        let people = try await AssignmentService.executors(of: id, on: request.db)
        try await organisation.$spheres.load(on: request.db)
        try await organisation.$territories.load(on: request.db)
        return TeamPage(
            layout: await Layout.make(for: request, title: "Исполнители"), organisationId: id.uuidString,
            organisationName: organisation.name,
            people: people.compactMap { person in
                guard let candidate = candidates.first(where: { $0.userID == person.id }) else { return nil }
                return TeamPage.Person(
                    id: candidate.userID.uuidString, name: person.personName.full, present: candidate.present,
                    capacity: candidate.capacity.map(String.init) ?? "", open: candidate.open, contactsToday: candidate.contactsToday,
                    spheres: organisation.spheres.map { Choice(value: $0.code, label: $0.name, selected: candidate.spheres.contains($0.code)) },
                    territories: organisation.territories.compactMap { t in
                        t.id.map { Choice(value: $0.uuidString, label: t.name, selected: candidate.territories.contains($0)) }
                    })
            },
            errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil)
    }

    @Sendable
    func team(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let organisation = try await Self.organisation(request)
        return try await request.render("desk/team", try await Self.teamPage(request, organisation: organisation))
    }

    struct ProfileInput: Content {
        var organisationId: String?
        var present: String?
        var capacity: String?
        var spheres: [String]?
        var territories: [String]?
    }

    @Sendable
    func saveProfile(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try request.content.decode(ProfileInput.self)
        let organisation = try await Self.organisation(request, id: input.organisationId ?? "")
        let organisationID = try organisation.requireID()
        guard let userID = request.parameters.get("user").flatMap(UUID.init(uuidString:)),
            try await AssignmentService.executors(of: organisationID, on: request.db).contains(where: { $0.id == userID })
        else { throw AppError.notFound }
        return try await request.submitForm("desk/team") {
            var capacity: Int?
            if let raw = input.capacity?.nonBlank {
                guard let value = Int(raw), (1...10_000).contains(value) else { throw ValidationFailure([FieldError("capacity", .invalidValue)]) }
                capacity = value
            }
            try await organisation.$spheres.load(on: request.db)
            try await organisation.$territories.load(on: request.db)
            let spheres = Set(input.spheres ?? [])
            let territories = Set((input.territories ?? []).compactMap(UUID.init(uuidString:)))
            // Only what the organisation itself handles.
            guard spheres.isSubset(of: Set(organisation.spheres.map(\.code))) else { throw ValidationFailure([FieldError("spheres", .invalidValue)]) }
            guard territories.isSubset(of: Set(organisation.territories.compactMap(\.id))) else {
                throw ValidationFailure([FieldError("territories", .invalidValue)])
            }
            let profile = try await ExecutorProfile.query(on: request.db).filter(\.$user.$id == userID)
                .filter(\.$organisation.$id == organisationID).first() ?? ExecutorProfile(userID: userID, organisationID: organisationID)
            profile.present = input.present == "1"
            profile.capacity = capacity
            profile.spheres = spheres
            profile.territories = territories
            try await profile.save(on: request.db)
            return request.seeOther("/desk/team?organisation=\(organisationID.uuidString)", flash: "Сохранено.")
        } onInvalid: { failure in
            try await Self.teamPage(request, organisation: organisation, failure: failure)
        }
    }

    struct RulesPage: Encodable {
        struct Row: Encodable {
            var id: String
            var subject: String
            var territory: String
            var target: String
        }

        var layout: Layout
        var organisationId: String
        var organisationName: String
        var rows: [Row]
        var subjects: [RoutingAdminController.Page.Group]
        var territories: [Choice]
        var executors: [Choice]
        var errors: [String: String]
        var hasErrors: Bool
    }

    static func rulesPage(_ request: Request, organisation: Organisation, failure: ValidationFailure? = nil) async throws -> RulesPage {
        let db = request.db
        let id = try organisation.requireID()
        let records = try await AssignmentRuleRecord.query(on: db).filter(\.$organisation.$id == id).sort(\.$createdAt).all()
        let people = try await AssignmentService.executors(of: id, on: db)
        let names = Dictionary(people.compactMap { p in p.id.map { ($0, p.personName.short) } }, uniquingKeysWith: { a, _ in a })
        let categories = try await Category.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let subcategories = try await Subcategory.query(on: db).filter(\.$isRetired == false).sort(\.$position).all()
        let categoryNames = Dictionary(categories.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let subcategoryNames = Dictionary(subcategories.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        try await organisation.$territories.load(on: db)
        let territories = try await Territory.query(on: db).sort(\.$name).all()
        let territoryNames = Dictionary(territories.compactMap { t in t.id.map { ($0, t.name) } }, uniquingKeysWith: { a, _ in a })
        let byCategory = Dictionary(grouping: subcategories, by: { $0.$category.id })
        return RulesPage(
            layout: await Layout.make(for: request, title: "Правила автоназначения"), organisationId: id.uuidString,
            organisationName: organisation.name,
            rows: records.map { record in
                RulesPage.Row(
                    id: record.id?.uuidString ?? "",
                    subject: record.subcategoryCode.flatMap { subcategoryNames[$0] } ?? record.categoryCode.flatMap { categoryNames[$0] } ?? "все темы",
                    territory: record.territoryID.flatMap { territoryNames[$0] } ?? "вся территория",
                    target: record.executorID.map { names[$0] ?? "—" } ?? "по очереди (наименее загруженному)")
            },
            subjects: categories.map { category in
                .init(
                    label: category.name,
                    options: [Choice(value: "c:\(category.code)", label: "Вся категория «\(category.name)»", selected: false)]
                        + (category.id.flatMap { byCategory[$0] } ?? []).map { Choice(value: "s:\($0.code)", label: $0.name, selected: false) })
            },
            territories: organisation.territories.compactMap { t in t.id.map { Choice(value: $0.uuidString, label: t.name, selected: false) } },
            executors: people.compactMap { p in p.id.map { Choice(value: $0.uuidString, label: p.personName.short, selected: false) } },
            errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil)
    }

    @Sendable
    func rules(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let organisation = try await Self.organisation(request)
        return try await request.render("desk/rules", try await Self.rulesPage(request, organisation: organisation))
    }

    struct RuleInput: Content {
        var organisationId: String?
        var subject: String?
        var territoryId: String?
        var executorId: String?
    }

    @Sendable
    func addRule(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try request.content.decode(RuleInput.self)
        let organisation = try await Self.organisation(request, id: input.organisationId ?? "")
        let organisationID = try organisation.requireID()
        return try await request.submitForm("desk/rules") {
            let record = AssignmentRuleRecord()
            record.$organisation.id = organisationID
            record.createdAt = request.now
            if let subject = input.subject?.nonBlank {
                if subject.hasPrefix("c:"), try await Category.query(on: request.db).filter(\.$code == String(subject.dropFirst(2))).count() == 1 {
                    record.categoryCode = String(subject.dropFirst(2))
                } else if subject.hasPrefix("s:"),
                    try await Subcategory.query(on: request.db).filter(\.$code == String(subject.dropFirst(2))).count() == 1
                {
                    record.subcategoryCode = String(subject.dropFirst(2))
                } else {
                    throw ValidationFailure([FieldError("subject", .notFound)])
                }
            }
            if let raw = input.territoryId?.nonBlank {
                try await organisation.$territories.load(on: request.db)
                guard let id = UUID(uuidString: raw), organisation.territories.contains(where: { $0.id == id }) else {
                    throw ValidationFailure([FieldError("territoryId", .notFound)])
                }
                record.territoryID = id
            }
            if let raw = input.executorId?.nonBlank {
                guard let id = UUID(uuidString: raw),
                    try await AssignmentService.executors(of: organisationID, on: request.db).contains(where: { $0.id == id })
                else { throw ValidationFailure([FieldError("executorId", .notFound)]) }
                record.executorID = id
            }
            let existing = try await AssignmentRuleRecord.query(on: request.db).filter(\.$organisation.$id == organisationID).all()
            if existing.contains(where: {
                $0.categoryCode == record.categoryCode && $0.subcategoryCode == record.subcategoryCode && $0.territoryID == record.territoryID
            }) {
                throw ValidationFailure([FieldError("subject", .taken)])
            }
            try await record.create(on: request.db)
            return request.seeOther("/desk/rules?organisation=\(organisationID.uuidString)", flash: "Правило добавлено.")
        } onInvalid: { failure in
            try await Self.rulesPage(request, organisation: organisation, failure: failure)
        }
    }

    struct DeleteInput: Content {
        var organisationId: String?
    }

    @Sendable
    func deleteRule(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let input = try request.content.decode(DeleteInput.self)
        let organisation = try await Self.organisation(request, id: input.organisationId ?? "")
        let organisationID = try organisation.requireID()
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let record = try await AssignmentRuleRecord.query(on: request.db).filter(\.$id == id)
                .filter(\.$organisation.$id == organisationID).first()
        else { throw AppError.notFound }
        try await record.delete(on: request.db)
        return request.seeOther("/desk/rules?organisation=\(organisationID.uuidString)", flash: "Правило удалено.")
    }
}
