import Foundation

/// The Open311 documents written out: XML with its declaration and UTF-8, or JSON with the same names.
extension Open311 {
    /// A written document: its bytes and content type.
    public struct Document: Sendable {
        public var body: String
        public var format: Format
    }

    /// One element tree, rendered to either format.
    indirect enum Node {
        case text(String, String?)
        case number(String, Double?)
        case integer(String, Int?)
        case boolean(String, Bool)
        /// A list: in XML a wrapper named `name` around items named `item`; in JSON an array.
        case list(String, item: String, [[Node]])
        /// A list of plain strings (`formats`).
        case strings(String, item: String, [String])
        case object(String, [Node])

        var name: String {
            switch self {
            case .text(let name, _), .number(let name, _), .integer(let name, _), .boolean(let name, _): name
            case .list(let name, _, _), .strings(let name, _, _), .object(let name, _): name
            }
        }
    }

    static func render(root: String, item: String, _ items: [[Node]], as format: Format) -> Document {
        switch format {
        case .xml:
            var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root)>"
            for fields in items { out += "<\(item)>" + fields.map(xml).joined() + "</\(item)>" }
            return Document(body: out + "</\(root)>\n", format: .xml)
        case .json:
            return Document(body: json(items.map { Dictionary(fields: $0) }), format: .json)
        }
    }

    static func render(object root: String, _ fields: [Node], as format: Format) -> Document {
        switch format {
        case .xml: Document(body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + xml(.object(root, fields)) + "\n", format: .xml)
        case .json: Document(body: json(Dictionary(fields: fields)), format: .json)
        }
    }

    private static func xml(_ node: Node) -> String {
        func element(_ name: String, _ value: String?) -> String {
            guard let value else { return "<\(name)/>" }
            return "<\(name)>\(escape(value))</\(name)>"
        }
        switch node {
        case .text(let name, let value): return element(name, value)
        case .number(let name, let value): return element(name, value.map { String($0) })
        case .integer(let name, let value): return element(name, value.map(String.init))
        case .boolean(let name, let value): return element(name, value ? "true" : "false")
        case .list(let name, let item, let items):
            return "<\(name)>" + items.map { "<\(item)>" + $0.map(xml).joined() + "</\(item)>" }.joined() + "</\(name)>"
        case .strings(let name, let item, let values):
            return "<\(name)>" + values.map { element(item, $0) }.joined() + "</\(name)>"
        case .object(let name, let fields):
            return "<\(name)>" + fields.map(xml).joined() + "</\(name)>"
        }
    }

    /// Text in XML (the one escaping the feeds use too).
    static func escape(_ text: String) -> String { Feeds.escape(text) }

    private static func json(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: The documents

    public static func discovery(_ discovery: Discovery, zone: TimeZone, as format: Format) -> Document {
        render(
            object: "discovery",
            [
                .text("changeset", datetime(discovery.changeset, in: zone)),
                .text("contact", discovery.contact),
                .text("key_service", discovery.keyService),
                .list(
                    "endpoints", item: "endpoint",
                    discovery.endpoints.map { endpoint in
                        [
                            .text("specification", specification), .text("url", endpoint.url),
                            .text("changeset", datetime(endpoint.changeset, in: zone)), .text("type", endpoint.type),
                            .strings("formats", item: "format", ["text/xml", "application/json"]),
                        ]
                    }),
            ], as: format)
    }

    public static func services(_ services: [Service], as format: Format) -> Document {
        render(
            root: "services", item: "service",
            services.map { service in
                [
                    .text("service_code", service.code), .text("service_name", service.name),
                    .text("description", service.description), .boolean("metadata", service.metadata),
                    .text("type", "realtime"), .text("keywords", service.keywords.joined(separator: ", ")),
                    .text("group", service.group),
                ]
            }, as: format)
    }

    public static func definition(_ definition: ServiceDefinition, as format: Format) -> Document {
        render(
            object: "service_definition",
            [
                .text("service_code", definition.code),
                .list(
                    "attributes", item: "attribute",
                    definition.attributes.map { attribute in
                        [
                            .boolean("variable", true), .text("code", attribute.code), .text("datatype", attribute.datatype),
                            .boolean("required", attribute.required), .text("datatype_description", attribute.datatypeDescription),
                            .integer("order", attribute.order), .text("description", attribute.description),
                            .list("values", item: "value", attribute.values.map { [.text("key", $0), .text("name", $0)] }),
                        ]
                    }),
            ], as: format)
    }

    public static func receipts(_ receipts: [Receipt], as format: Format) -> Document {
        render(
            root: "service_requests", item: "request",
            receipts.map { receipt in
                var fields: [Node] = [.text("service_request_id", receipt.id), .text("token", receipt.token)]
                if let notice = receipt.notice { fields.append(.text("service_notice", notice)) }
                return fields
            }, as: format)
    }

    public static func requests(_ requests: [ServiceRequest], zone: TimeZone, as format: Format) -> Document {
        let writer = DateWriter(zone)
        return render(
            root: "service_requests", item: "request",
            requests.map { request in
                [
                    .text("service_request_id", request.id), .text("status", request.status),
                    .text("status_notes", request.statusNotes), .text("service_name", request.serviceName),
                    .text("service_code", request.serviceCode), .text("description", request.description),
                    .text("agency_responsible", request.agencyResponsible), .text("service_notice", request.serviceNotice),
                    .text("requested_datetime", writer.string(request.requested)),
                    .text("updated_datetime", request.updated.map(writer.string)),
                    .text("expected_datetime", request.expected.map(writer.string)),
                    .text("address", request.address), .text("address_id", request.addressID), .text("zipcode", nil),
                    .number("lat", request.latitude), .number("long", request.longitude), .text("media_url", nil),
                ]
            }, as: format)
    }

    public static func errors(_ failure: Failure, as format: Format) -> Document {
        render(
            root: "errors", item: "error",
            failure.messages.map { [.integer("code", failure.status), .text("description", $0)] }, as: format)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The JSON form of a list of fields: absent values are `null`, lists are arrays.
    fileprivate init(fields: [Open311.Node]) {
        self.init()
        for field in fields {
            switch field {
            case .text(let name, let value): self[name] = value ?? NSNull()
            case .number(let name, let value): self[name] = value ?? NSNull()
            case .integer(let name, let value): self[name] = value ?? NSNull()
            case .boolean(let name, let value): self[name] = value
            case .list(let name, _, let items): self[name] = items.map { [String: Any](fields: $0) }
            case .strings(let name, _, let values): self[name] = values
            case .object(let name, let fields): self[name] = [String: Any](fields: fields)
            }
        }
    }
}
