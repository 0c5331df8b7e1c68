import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Open311 GeoReport v2 at `/open311/v2/` (issue 9 item 1). A service is a subcategory, its group the
/// category; a service request is an appeal, its id the appeal's registration number. Requests are
/// filed by partner applications with an API key; anyone may follow them, as FixMyStreet shows a report
/// at once, but without personal data: the description, address and point are shown only to the
/// application that filed the request (it names itself with its `api_key`). Rejected appeals are shown
/// only to it too.
struct Open311Controller: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let v2 = routes.grouped("open311", "v2")
        v2.get(":file") { request in
            try await Self.serve(request) { name, format in
                switch name {
                case "discovery": try await Self.discovery(request, format)
                case "services": try await Self.services(request, format)
                case "requests": try await Self.list(request, format)
                default: throw Open311.Failure(404, "Not found")
                }
            }
        }
        // 4,000 characters of description are up to 48 kB percent-encoded (emoji), with room for the rest.
        // Not limited per address: only partners with a key (revocable at once) file here, each for many citizens.
        v2.grouped(IdempotencyMiddleware()).on(.POST, ":file", body: .collect(maxSize: "256kb")) { request in
            try await Self.serve(request) { name, format in
                guard name == "requests" else { throw Open311.Failure(404, "Not found") }
                return try await Self.create(request, format)
            }
        }.bodyLimit("256kb")
        v2.get("services", ":file") { request in
            try await Self.serve(request) { code, format in try await Self.definition(request, code: code, format) }
        }
        v2.get("requests", ":file") { request in
            try await Self.serve(request) { id, format in try await Self.single(request, id: id, format) }
        }
        v2.get("tokens", ":file") { request in
            try await Self.serve(request) { token, format in try await Self.token(request, token: token, format) }
        }
    }

    // MARK: Plumbing

    /// Splits `name.format`, checks the jurisdiction, and answers errors in the specification's form.
    private static func serve(
        _ request: Request, _ body: (String, Open311.Format) async throws -> Open311.Document
    ) async throws -> Response {
        let file = request.parameters.get("file") ?? ""
        guard let (name, format) = Open311.Format.split(file),
            !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            return respond(Open311.errors(Open311.Failure(404, "Unknown format: use .xml or .json"), as: .xml), status: .notFound)
        }
        do {
            try checkJurisdiction(request)
            return respond(try await body(name, format), status: request.method == .POST ? .created : .ok)
        } catch let failure as Open311.Failure {
            return respond(Open311.errors(failure, as: format), status: HTTPResponseStatus(statusCode: failure.status))
        } catch let failure as ValidationFailure {
            let messages = failure.errors.map { "\(fieldName($0.field)): \(Strings.en($0.code))" }
            return respond(Open311.errors(Open311.Failure(400, messages), as: format), status: .badRequest)
        } catch let abort as any AbortError {
            return respond(Open311.errors(Open311.Failure(Int(abort.status.code), abort.reason), as: format), status: abort.status)
        } catch {
            // Still the specification's form, and no detail of the failure.
            request.logger.error("Open311 request failed: \(String(reflecting: error))")
            return respond(Open311.errors(Open311.Failure(500, "Internal error"), as: format), status: .internalServerError)
        }
    }

    private static func respond(_ document: Open311.Document, status: HTTPResponseStatus) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(
            type: document.format == .xml ? "text" : "application", subType: document.format == .xml ? "xml" : "json",
            parameters: ["charset": "utf-8"])
        return Response(status: status, headers: headers, body: .init(string: document.body))
    }

    /// The parameters of a GET (query) or a POST (form body).
    private static func parameters(_ request: Request) throws -> Open311.Parameters {
        if request.method == .POST {
            guard request.headers.contentType?.type.lowercased() == "application",
                request.headers.contentType?.subType.lowercased() == "x-www-form-urlencoded"
            else { throw Open311.Failure(400, "POST requests must be application/x-www-form-urlencoded") }
            let parameters = Open311.Parameters(request.body.string)
            if parameters.malformed { throw Open311.Failure(400, "The form body is not valid URL encoding") }
            return parameters
        }
        let parameters = Open311.Parameters(request.url.query)
        if parameters.malformed { throw Open311.Failure(400, "The query string is not valid URL encoding") }
        return parameters
    }

    /// One jurisdiction is served: the public host name. Absent is fine (the specification's rule for
    /// an endpoint that serves one jurisdiction).
    static func jurisdiction(_ app: Application) -> String {
        URLComponents(string: app.config.publicURL)?.host ?? "consumerdesk"
    }

    private static func checkJurisdiction(_ request: Request) throws {
        guard let given = try parameters(request)["jurisdiction_id"] else { return }
        guard given == jurisdiction(request.application) else { throw Open311.Failure(404, "jurisdiction_id not found") }
    }

    /// The specification's parameter name for a field of the appeal card.
    private static func fieldName(_ field: String) -> String {
        if field.hasPrefix("answers.") { return "attribute[\(field.dropFirst("answers.".count))]" }
        return [
            "surname": "last_name", "name": "first_name", "text": "description", "territoryId": "address_id",
            "subcategoryCode": "service_code", "problemAddress": "address_string",
        ][field] ?? field
    }

    private static func zone(_ request: Request) -> TimeZone { request.application.config.timeZone }

    // MARK: Discovery and services

    private static func discovery(_ request: Request, _ format: Open311.Format) async throws -> Open311.Document {
        let config = request.application.config
        let changed = try await Subcategory.query(on: request.db).sort(\.$updatedAt, .descending).first()?.updatedAt
            ?? Date(timeIntervalSince1970: 1_767_225_600)
        let discovery = Open311.Discovery(
            changeset: changed, contact: "\(config.mailFrom), \(config.publicURL)",
            keyService: "API-ключ выдаёт администратор ConsumerDesk (\(config.publicURL)/admin/partners)",
            endpoints: [Open311.Endpoint(url: config.publicURL + "/open311/v2", changeset: changed)])
        return Open311.discovery(discovery, zone: zone(request), as: format)
    }

    /// Every subcategory open for filing, in the classifier's order.
    private static func services(_ request: Request, _ format: Open311.Format) async throws -> Open311.Document {
        let categories = try await Category.query(on: request.db).filter(\.$isRetired == false).sort(\.$position)
            .with(\.$subcategories).all()
        var services: [Open311.Service] = []
        for category in categories {
            for subcategory in category.subcategories.filter({ !$0.isRetired }).sorted(by: { $0.position < $1.position }) {
                services.append(service(subcategory, in: category))
            }
        }
        return Open311.services(services, as: format)
    }

    private static func service(_ subcategory: Subcategory, in category: Category) -> Open311.Service {
        let days = Strings.term(subcategory.answerDays, subcategory.dayType)
        return Open311.Service(
            code: subcategory.code, name: subcategory.name,
            description: "\(category.name): \(subcategory.name). Срок ответа — \(days).",
            metadata: !subcategory.questions.isEmpty, keywords: subcategory.keywords, group: category.name)
    }

    /// A subcategory open for filing, or 404.
    private static func openSubcategory(_ code: String, on db: any Database) async throws -> Subcategory {
        guard let subcategory = try await ClassifierService.openSubcategory(code, on: db) else {
            throw Open311.Failure(404, "service_code \(code) not found")
        }
        return subcategory
    }

    private static func definition(_ request: Request, code: String, _ format: Open311.Format) async throws -> Open311.Document {
        let subcategory = try await openSubcategory(code, on: request.db)
        return Open311.definition(Open311.ServiceDefinition(code: subcategory.code, questions: subcategory.questions), as: format)
    }

    // MARK: Filing

    private static func create(_ request: Request, _ format: Open311.Format) async throws -> Open311.Document {
        let parameters = try parameters(request)
        guard let partner = try await PartnerApps.authenticate(parameters["api_key"], on: request.db) else {
            throw Open311.Failure(403, "api_key is missing, unknown or revoked")
        }
        guard let code = parameters["service_code"] else { throw Open311.Failure(400, "service_code: required") }
        let subcategory = try await openSubcategory(code, on: request.db)

        var problems: [String] = []
        if let description = parameters["description"], description.count > Open311.maximumDescription {
            problems.append("description: longer than \(Open311.maximumDescription) characters")
        }
        let place = try await locate(parameters, on: request.db, problems: &problems)
        guard problems.isEmpty, let place else { throw Open311.Failure(400, problems) }

        // Attributes the service does not define are ignored, as clients such as FixMyStreet send their own.
        let questions = Set(subcategory.questions.map(\.code))
        var answers = parameters.attributes.filter { questions.contains($0.key) }
        // A datetime attribute may come as a full ISO 8601 time; the card keeps the date.
        for question in subcategory.questions where question.type == .date {
            if let value = answers[question.code], let date = Open311.parseDatetime(value) {
                answers[question.code] = request.application.productionCalendar.localDate(of: date).description
            }
        }
        let draft = AppealDraft(
            subcategoryCode: subcategory.code, surname: parameters["last_name"], name: parameters["first_name"],
            phone: parameters["phone"], email: parameters["email"], text: parameters["description"],
            problemAddress: parameters["address_string"], territoryID: place.territory, answers: answers,
            // The partner application collected the citizen's consent under its agreement.
            consent: true)
        var submission = AppealService.Submission(draft: draft, channel: .open311, ownerID: nil, registeredBy: nil)
        submission.joinsAccountByEmail = false
        submission.source = partner.name
        submission.partnerAppID = partner.id
        submission.latitude = place.latitude
        submission.longitude = place.longitude
        let outcome = try await AppealService.submit(submission, on: request)
        let appeal = outcome.appeal
        let notice = "Обращение зарегистрировано под номером \(appeal.number). Ответ будет дан до \(Strings.date(appeal.answerDueAt))."
        return Open311.receipts([.init(id: appeal.number, token: try appeal.requireID().uuidString, notice: notice)], as: format)
    }

    private struct Place {
        var territory: UUID
        var latitude: Double?
        var longitude: Double?
    }

    /// Where the request is: `address_id` (a territory's code), a point (`lat` and `long`: the territory
    /// with the nearest centre) or `address_string` (the territory it names, else the region as a whole,
    /// for the moderator to refine). At least one is required.
    private static func locate(_ parameters: Open311.Parameters, on db: any Database, problems: inout [String]) async throws -> Place? {
        let territories = try await Territory.query(on: db).all()
        var latitude: Double?
        var longitude: Double?
        switch (parameters["lat"], parameters["long"]) {
        case (nil, nil): break
        case (let lat?, let long?):
            guard let lat = Double(lat), let long = Double(long), (-90...90).contains(lat), (-180...180).contains(long) else {
                problems.append("lat/long: not a valid point")
                return nil
            }
            latitude = lat
            longitude = long
        default:
            problems.append("lat/long: both are required for a point")
            return nil
        }
        if let code = parameters["address_id"] {
            guard let territory = territories.first(where: { $0.code == code }), let id = territory.id else {
                problems.append("address_id: unknown territory code \(code)")
                return nil
            }
            return Place(territory: id, latitude: latitude, longitude: longitude)
        }
        if let latitude, let longitude {
            let centres = territories.compactMap { territory -> Open311.Centre? in
                guard let id = territory.id, let lat = territory.latitude, let long = territory.longitude, territory.$parent.id != nil
                else { return nil }
                return Open311.Centre(id: id, latitude: lat, longitude: long)
            }
            guard let id = Open311.nearest(latitude: latitude, longitude: longitude, among: centres) else {
                problems.append("lat/long: the point is outside the territories served")
                return nil
            }
            return Place(territory: id, latitude: latitude, longitude: longitude)
        }
        if let address = parameters["address_string"] {
            let named = territories.filter { $0.$parent.id != nil }.compactMap { territory in territory.id.map { ($0, territory.name) } }
            if let id = Open311.place(address: address, among: named) { return Place(territory: id) }
            guard let region = territories.first(where: { $0.$parent.id == nil })?.id else {
                problems.append("address_string: no territory is served")
                return nil
            }
            return Place(territory: region)
        }
        problems.append("A location is required: lat and long, address_string or address_id")
        return nil
    }

    // MARK: Reading

    private static func token(_ request: Request, token: String, _ format: Open311.Format) async throws -> Open311.Document {
        guard let id = UUID(uuidString: token),
            let appeal = try await Appeal.query(on: request.db).filter(\.$id == id).filter(\.$channel == .open311)
                .field(\.$id).field(\.$number).first()
        else { throw Open311.Failure(404, "token \(token) not found") }
        return Open311.receipts([.init(id: appeal.number, token: token)], as: format)
    }

    /// The partner application a GET names with its key (to see its own requests in full); a key that
    /// is given but not valid is refused rather than ignored.
    private static func viewer(_ request: Request, _ parameters: Open311.Parameters) async throws -> UUID? {
        guard let key = parameters["api_key"] else { return nil }
        guard let partner = try await PartnerApps.authenticate(key, on: request.db) else {
            throw Open311.Failure(403, "api_key is unknown or revoked")
        }
        return partner.id
    }

    private static func single(_ request: Request, id: String, _ format: Open311.Format) async throws -> Open311.Document {
        let viewer = try await viewer(request, try parameters(request))
        let found = try await read(request, viewer: viewer) { $0.filter(\.$number == id) }
        guard !found.isEmpty else { throw Open311.Failure(404, "service_request_id \(id) not found") }
        return Open311.requests(found, zone: zone(request), as: format)
    }

    private static func list(_ request: Request, _ format: Open311.Format) async throws -> Open311.Document {
        let parameters = try parameters(request)
        let viewer = try await viewer(request, parameters)
        if let ids = parameters["service_request_id"] {
            // With ids, the other filters do not apply (the specification's rule).
            let numbers = Array(Set(ids.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }))
            guard numbers.count <= Open311.maximumResults else {
                throw Open311.Failure(400, "service_request_id: at most \(Open311.maximumResults) ids")
            }
            return Open311.requests(try await read(request, viewer: viewer) { $0.filter(\.$number ~~ numbers) }, zone: zone(request), as: format)
        }
        var problems: [String] = []
        func date(_ name: String) -> Date? {
            guard let text = parameters[name] else { return nil }
            guard let date = Open311.parseDatetime(text) else {
                problems.append("\(name): not an ISO 8601 date and time with a time zone")
                return nil
            }
            return date
        }
        // Either bound alone spans the 90 days from or to it; neither, the last 90 days.
        let span = Double(Open311.defaultDays) * 86_400
        let given = (start: date("start_date"), end: date("end_date"))
        let end = given.end ?? given.start.map { $0.addingTimeInterval(span) } ?? request.now
        let start = given.start ?? end.addingTimeInterval(-span)
        if start > end { problems.append("start_date: after end_date") }
        if end.timeIntervalSince(start) > span {
            problems.append("start_date/end_date: may not span more than \(Open311.defaultDays) days")
        }
        var statuses: [AppealStatus]?
        if let text = parameters["status"] {
            var chosen: [AppealStatus] = []
            for part in text.split(separator: ",") {
                guard let states = Open311.statuses(part.trimmingCharacters(in: .whitespaces)) else {
                    problems.append("status: \(part) is neither open nor closed")
                    continue
                }
                chosen += states
            }
            statuses = Array(Set(chosen))
        }
        let codes = parameters["service_code"].map { Array(Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })) }
        if let codes, codes.count > 100 { problems.append("service_code: at most 100 codes") }
        guard problems.isEmpty else { throw Open311.Failure(400, problems) }
        let found = try await read(request, viewer: viewer) { query in
            var query = query.filter(\.$registeredAt >= start).filter(\.$registeredAt <= end)
            if let statuses { query = query.filter(\.$status ~~ statuses) }
            if let codes { query = query.filter(\.$subcategoryCode ~~ codes) }
            return query
        }
        return Open311.requests(found, zone: zone(request), as: format)
    }

    /// Appeals as service requests, newest first, at most 1,000: one query for the appeals, one for
    /// their last change, one for the agencies' names, whatever the number.
    private static func read(
        _ request: Request, viewer: UUID?, _ narrow: (QueryBuilder<Appeal>) -> QueryBuilder<Appeal>
    ) async throws -> [Open311.ServiceRequest] {
        let db = request.db
        var query = narrow(Appeal.query(on: db))
        // Rejected appeals (abuse, spam, no substance) are not shown but to the application that filed them.
        if let viewer {
            query = query.group(.or) { $0.filter(\.$status != .rejected).filter(\.$partnerAppID == viewer) }
        } else {
            query = query.filter(\.$status != .rejected)
        }
        let appeals = try await query
            .field(\.$id).field(\.$number).field(\.$status).field(\.$subcategoryCode).field(\.$subcategoryName)
            .field(\.$text).field(\.$problemAddress).field(\.$latitude).field(\.$longitude).field(\.$partnerAppID)
            .field(\.$executorOrganisation.$id).field(\.$territory.$id).field(\.$registeredAt).field(\.$answerDueAt)
            .sort(\.$registeredAt, .descending).limit(Open311.maximumResults).all()
        guard !appeals.isEmpty else { return [] }
        let ids = appeals.compactMap(\.id)
        var updated: [UUID: Date] = [:]
        if let sql = db as? any SQLDatabase {
            let rows = try await sql.select().column("appeal_id").column(SQLFunction("MAX", args: SQLIdentifier("at")), as: "last")
                .from("appeal_events").where("appeal_id", .in, ids).groupBy("appeal_id").all()
            for row in rows { updated[try row.decode(column: "appeal_id", as: UUID.self)] = try row.decode(column: "last", as: Date.self) }
        }
        let organisations = Set(appeals.compactMap { $0.$executorOrganisation.id })
        let agencies = Dictionary(
            uniqueKeysWithValues: try await Organisation.query(on: db).filter(\.$id ~~ organisations).field(\.$id).field(\.$name).all()
                .compactMap { organisation in organisation.id.map { ($0, organisation.name) } })
        let territories = Dictionary(
            uniqueKeysWithValues: try await Territory.query(on: db).field(\.$id).field(\.$code).all()
                .compactMap { territory in territory.id.map { ($0, territory.code) } })
        return appeals.map { appeal in
            let own = viewer != nil && appeal.partnerAppID == viewer
            return Open311.ServiceRequest(
                id: appeal.number, status: Open311.status(appeal.status), statusNotes: Strings.title(appeal.status),
                serviceName: appeal.subcategoryName, serviceCode: appeal.subcategoryCode,
                description: own ? appeal.text : nil,
                agencyResponsible: appeal.$executorOrganisation.id.flatMap { agencies[$0] },
                requested: appeal.registeredAt, updated: appeal.id.flatMap { updated[$0] }, expected: appeal.answerDueAt,
                address: own ? appeal.problemAddress : nil, addressID: territories[appeal.$territory.id],
                latitude: own ? appeal.latitude : nil, longitude: own ? appeal.longitude : nil)
        }
    }
}
