import Foundation

/// Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2, with FixMyStreet's notes): the documents the
/// server answers with, in XML (required by the specification) and JSON, and the rules that turn the
/// register's terms into the specification's. Pure: the App reads and writes the database.
public enum Open311 {
    public static let specification = "http://wiki.open311.org/GeoReport_v2"
    /// The specification caps a service request's description at 4,000 characters.
    public static let maximumDescription = 4_000
    /// `GET requests` without dates covers the last 90 days and answers at most 1,000 requests.
    public static let defaultDays = 90
    public static let maximumResults = 1_000

    public enum Format: String, Sendable, CaseIterable {
        case xml, json

        public var contentType: String { self == .xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8" }

        /// `services.xml` → (`services`, .xml); nil without a known extension.
        public static func split(_ file: String) -> (name: String, format: Format)? {
            guard let dot = file.lastIndex(of: ".") else { return nil }
            guard let format = Format(rawValue: String(file[file.index(after: dot)...]).lowercased()) else { return nil }
            return (String(file[..<dot]), format)
        }
    }

    /// An error as the specification lists them: the HTTP status is also the error's code.
    public struct Failure: Error, Sendable, Equatable {
        public var status: Int
        public var messages: [String]

        public init(_ status: Int, _ messages: [String]) {
            self.status = status
            self.messages = messages
        }

        public init(_ status: Int, _ message: String) { self.init(status, [message]) }
    }

    // MARK: Documents

    public struct Endpoint: Sendable {
        public var url: String
        public var changeset: Date
        public var type: String

        public init(url: String, changeset: Date, type: String = "production") {
            self.url = url
            self.changeset = changeset
            self.type = type
        }
    }

    public struct Discovery: Sendable {
        public var changeset: Date
        public var contact: String
        public var keyService: String
        public var endpoints: [Endpoint]

        public init(changeset: Date, contact: String, keyService: String, endpoints: [Endpoint]) {
            self.changeset = changeset
            self.contact = contact
            self.keyService = keyService
            self.endpoints = endpoints
        }
    }

    public struct Service: Sendable, Equatable {
        public var code: String
        public var name: String
        public var description: String
        public var metadata: Bool
        public var keywords: [String]
        public var group: String

        public init(code: String, name: String, description: String, metadata: Bool, keywords: [String], group: String) {
            self.code = code
            self.name = name
            self.description = description
            self.metadata = metadata
            self.keywords = keywords
            self.group = group
        }
    }

    public struct Attribute: Sendable, Equatable {
        public var code: String
        public var datatype: String
        public var required: Bool
        public var datatypeDescription: String
        public var order: Int
        public var description: String
        public var values: [String]

        /// A subcategory's extra question as a service attribute.
        public init(_ question: ExtraQuestion, order: Int) {
            code = question.code
            description = question.label
            required = question.required
            self.order = order
            switch question.type {
            case .text:
                datatype = "string"
                datatypeDescription = "Текст"
                values = []
            case .number:
                datatype = "number"
                datatypeDescription = "Число"
                values = []
            case .date:
                datatype = "datetime"
                datatypeDescription = "Дата: ГГГГ-ММ-ДД"
                values = []
            case .yesno:
                datatype = "singlevaluelist"
                datatypeDescription = "да или нет"
                values = ["да", "нет"]
            case .choice:
                datatype = "singlevaluelist"
                datatypeDescription = "Одно из значений"
                values = question.options ?? []
            }
        }
    }

    public struct ServiceDefinition: Sendable {
        public var code: String
        public var attributes: [Attribute]

        public init(code: String, questions: [ExtraQuestion]) {
            self.code = code
            attributes = questions.enumerated().map { Attribute($0.element, order: $0.offset + 1) }
        }
    }

    public struct ServiceRequest: Sendable, Equatable {
        public var id: String
        public var status: String
        public var statusNotes: String?
        public var serviceName: String
        public var serviceCode: String
        public var description: String?
        public var agencyResponsible: String?
        public var serviceNotice: String?
        public var requested: Date
        public var updated: Date?
        public var expected: Date?
        public var address: String?
        public var addressID: String?
        public var latitude: Double?
        public var longitude: Double?

        public init(
            id: String, status: String, statusNotes: String? = nil, serviceName: String, serviceCode: String,
            description: String? = nil, agencyResponsible: String? = nil, serviceNotice: String? = nil, requested: Date,
            updated: Date? = nil, expected: Date? = nil, address: String? = nil, addressID: String? = nil,
            latitude: Double? = nil, longitude: Double? = nil
        ) {
            self.id = id
            self.status = status
            self.statusNotes = statusNotes
            self.serviceName = serviceName
            self.serviceCode = serviceCode
            self.description = description
            self.agencyResponsible = agencyResponsible
            self.serviceNotice = serviceNotice
            self.requested = requested
            self.updated = updated
            self.expected = expected
            self.address = address
            self.addressID = addressID
            self.latitude = latitude
            self.longitude = longitude
        }
    }

    /// The answer to `POST requests` and to `GET tokens/{token}`.
    public struct Receipt: Sendable, Equatable {
        public var id: String?
        public var token: String?
        public var notice: String?

        public init(id: String?, token: String?, notice: String? = nil) {
            self.id = id
            self.token = token
            self.notice = notice
        }
    }

    /// open for everything still being worked; closed once answered, closed or rejected.
    public static func status(_ status: AppealStatus) -> String {
        switch status {
        case .answered, .closed, .rejected: "closed"
        case .moderation, .coordination, .inWork, .postponed, .answerReview: "open"
        }
    }

    /// The register's states an Open311 status stands for.
    public static func statuses(_ open311: String) -> [AppealStatus]? {
        switch open311.lowercased() {
        case "open": AppealStatus.allCases.filter { status($0) == "open" }
        case "closed": AppealStatus.allCases.filter { status($0) == "closed" }
        default: nil
        }
    }

    // MARK: Parameters

    /// Form or query parameters as sent: `+` is a space, `%XX` a byte; an empty value counts as absent
    /// (the specification's rule); `attribute[code]=value` pairs are kept apart.
    public struct Parameters: Sendable {
        public private(set) var values: [String: String] = [:]
        public private(set) var attributes: [String: String] = [:]
        public private(set) var malformed = false

        public init(_ encoded: String?) {
            for pair in (encoded ?? "").split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = Self.decode(parts[0]) else {
                    malformed = true
                    continue
                }
                guard let value = parts.count > 1 ? Self.decode(parts[1]) : "" else {
                    malformed = true
                    continue
                }
                // Control characters (NUL above all, which PostgreSQL refuses in text) are dropped.
                let trimmed = Self.printable(value).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { continue }
                if name.hasPrefix("attribute["), name.hasSuffix("]") {
                    let code = String(name.dropFirst("attribute[".count).dropLast())
                    if !code.isEmpty { attributes[code] = trimmed }
                } else {
                    values[name] = trimmed
                }
            }
        }

        public subscript(_ name: String) -> String? { values[name] }

        static func printable(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.filter { !AppealRules.isControlCharacter($0) }))
        }

        private static func decode(_ part: Substring) -> String? {
            part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
    }

    /// An ISO 8601 time with its offset, as the specification requires (`2026-11-23T15:04:05+03:00`).
    public static func datetime(_ date: Date, in zone: TimeZone) -> String { DateWriter(zone).string(date) }

    /// Writes many times with one formatter (making one costs far more than using it).
    public struct DateWriter {
        private let formatter = ISO8601DateFormatter()

        public init(_ zone: TimeZone) {
            formatter.timeZone = zone
            formatter.formatOptions = [.withInternetDateTime]
        }

        public func string(_ date: Date) -> String { formatter.string(from: date) }
    }

    /// `start_date`/`end_date`: a full ISO 8601 time with Z or an offset, with or without fractions.
    public static func parseDatetime(_ text: String) -> Date? {
        // `+03:00` sent unencoded in a query arrives as ` 03:00`.
        var text = text
        if text.count > 19, text.dropFirst(19).first == " " { text = String(text.prefix(19)) + "+" + String(text.dropFirst(20)) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    // MARK: Location

    /// A territory's centre, for placing a point.
    public struct Centre: Sendable {
        public var id: UUID
        public var latitude: Double
        public var longitude: Double

        public init(id: UUID, latitude: Double, longitude: Double) {
            self.id = id
            self.latitude = latitude
            self.longitude = longitude
        }
    }

    /// How far from the nearest territory centre a point may lie and still be taken as in it.
    public static let placingRadiusKm = 80.0

    /// The territory whose centre is nearest to the point, if one is within `placingRadiusKm`.
    public static func nearest(latitude: Double, longitude: Double, among centres: [Centre]) -> UUID? {
        var best: (UUID, Double)?
        for centre in centres {
            let distance = kilometres(latitude, longitude, centre.latitude, centre.longitude)
            if distance <= placingRadiusKm, distance < (best?.1 ?? .infinity) { best = (centre.id, distance) }
        }
        return best?.0
    }

    /// The territory an address names («г. Камышин, ул. Ленина 5» → Город Камышин): every distinctive word
    /// of the territory's name (not «город», «район» and the like) must appear in the address, compared by
    /// stem; the territory with the most such words wins. Nil when none is named.
    public static func place(address: String, among territories: [(id: UUID, name: String)]) -> UUID? {
        let generic = Set(SearchText.stems("город герой муниципальный район округ городской область поселение сельское посёлок село"))
        let words = Set(SearchText.stems(address))
        var best: (UUID, Int)?
        for territory in territories {
            let own = Set(SearchText.stems(territory.name)).subtracting(generic)
            guard !own.isEmpty, own.isSubset(of: words) else { continue }
            let weight = own.reduce(0) { $0 + $1.count }
            if weight > (best?.1 ?? 0) { best = (territory.id, weight) }
        }
        return best?.0
    }

    /// Great-circle distance (haversine, mean Earth radius).
    public static func kilometres(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let radians = Double.pi / 180
        let dLat = (lat2 - lat1) * radians
        let dLon = (lon2 - lon1) * radians
        let a = sin(dLat / 2) * sin(dLat / 2) + cos(lat1 * radians) * cos(lat2 * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 6_371.0 * 2 * atan2(a.squareRoot(), (1 - a).squareRoot())
    }
}
