import Domain
import Foundation

/// Array and dictionary types say what they hold, so the reflector can describe them without decoding
/// elements (an array has no element to decode until there is data).
protocol SchemaArrayType { static var schemaElement: any Decodable.Type { get } }
protocol SchemaDictionaryType { static var schemaValue: any Decodable.Type { get } }
/// A type whose JSON form the reflector cannot learn by decoding (a custom `init(from:)`): it says it itself.
protocol SchemaDescribed { static var schema: JSONValue { get } }

extension Array: SchemaArrayType where Element: Decodable {
    static var schemaElement: any Decodable.Type { Element.self }
}

extension Set: SchemaArrayType where Element: Decodable {
    static var schemaElement: any Decodable.Type { Element.self }
}

/// Any dictionary: those without String keys are written as arrays of keys and values, which the
/// reflector does not describe.
protocol SchemaAnyDictionary {}
extension Dictionary: SchemaAnyDictionary {}

extension Dictionary: SchemaDictionaryType where Key == String, Value: Decodable {
    static var schemaValue: any Decodable.Type { Value.self }
}

/// Learns the JSON Schema of a `Decodable` type by decoding it from a decoder that has every key and
/// records what is asked for: the synthesized `init(from:)` asks for each stored property with its type and
/// asks `contains` first for optionals. Named structures become `components/schemas` entries, referenced
/// by `$ref`, so a type is described once however often it is used.
///
/// The API's types are encoded by the same synthesized code they are decoded by, so what is learnt is what
/// the responses hold; the schemathesis run in CI checks every response against it.
final class SchemaReflector {
    private(set) var components: [(String, JSONValue)] = []
    /// Types the reflector could not read (a custom `init(from:)`): each needs `SchemaDescribed`.
    private(set) var unreadable: [String] = []
    private var named: [ObjectIdentifier: String] = [:]
    private var depth = 0

    /// The schema of `type`: a `$ref` for a structure, inline for primitives, arrays and enums.
    func schema(for type: any Decodable.Type) -> JSONValue {
        if let described = type as? any SchemaDescribed.Type { return described.schema }
        if type == String.self || type == Substring.self { return ["type": "string"] }
        if type == Bool.self { return ["type": "boolean"] }
        if type == Int.self || type == Int64.self || type == Int32.self || type == Int16.self || type == UInt.self
            || type == UInt64.self || type == UInt32.self
        {
            return ["type": "integer"]
        }
        if type == Double.self || type == Float.self || type == Decimal.self { return ["type": "number"] }
        if type == Date.self { return ["type": "string", "format": "date-time"] }
        if type == UUID.self { return ["type": "string", "format": "uuid"] }
        if type == URL.self { return ["type": "string", "format": "uri"] }
        if type == Data.self { return ["type": "string", "contentEncoding": "base64"] }
        if let enumType = type as? any (CaseIterable & RawRepresentable).Type, let values = Self.cases(enumType) {
            return values
        }
        if let array = type as? any SchemaArrayType.Type {
            return ["type": "array", "items": schema(for: array.schemaElement)]
        }
        if let dictionary = type as? any SchemaDictionaryType.Type {
            return ["type": "object", "additionalProperties": schema(for: dictionary.schemaValue)]
        }
        if type is any SchemaAnyDictionary.Type {
            unreadable.append(String(reflecting: type) + ": a dictionary without String keys")
            return [:]
        }
        let identifier = ObjectIdentifier(type)
        if let name = named[identifier] { return ["$ref": .string("#/components/schemas/" + name)] }
        let name = uniqueName(for: type)
        named[identifier] = name
        let index = components.count
        components.append((name, [:]))
        let recorder = ObjectRecorder()
        let decoder = RecordingDecoder(recorder: recorder, reflector: self)
        do {
            _ = try type.init(from: decoder)
            if recorder.singleValue {
                unreadable.append(String(reflecting: type) + ": decodes itself from a single value; describe it (SchemaDescribed)")
            }
            components[index].1 = recorder.schema
        } catch {
            unreadable.append(String(reflecting: type) + ": " + String(describing: error))
            components[index].1 = [:]
        }
        return ["$ref": .string("#/components/schemas/" + name)]
    }

    /// `AppealAPIController.CreateBody` → `AppealAPIControllerCreateBody`; a second type of the same
    /// spelling gets a number.
    private func uniqueName(for type: any Decodable.Type) -> String {
        // Local types read `Module.Outer.(unknown context at $…).Name`: the context is left out.
        var spelled = String(reflecting: type)
        while let open = spelled.range(of: "(unknown context"), let close = spelled[open.upperBound...].firstIndex(of: ")") {
            spelled.removeSubrange(open.lowerBound...close)
        }
        var base = spelled.split(separator: ".").dropFirst().joined()
        base = String(base.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
        if base.isEmpty { base = "Schema" }
        var name = base
        var counter = 2
        while components.contains(where: { $0.0 == name }) {
            name = base + String(counter)
            counter += 1
        }
        return name
    }

    /// A placeholder value of `type` for the decoder to hand back, so decoding goes on past the property.
    fileprivate func placeholder<T: Decodable>(_ type: T.Type, decoder: RecordingDecoder) throws -> T {
        if let value = Self.primitive(type) { return value }
        if let enumType = type as? any (CaseIterable & Decodable).Type, let first = Self.firstCase(enumType) as? T {
            return first
        }
        if type is any SchemaArrayType.Type || type is any SchemaDictionaryType.Type {
            return try T(from: EmptyDecoder())
        }
        // A nested structure: its own recorder (the properties belong to its schema, not the parent's).
        depth += 1
        defer { depth -= 1 }
        guard depth < 16 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a type that holds itself"))
        }
        let nested = RecordingDecoder(recorder: ObjectRecorder(), reflector: self)
        return try T(from: nested)
    }

    private static func firstCase<E: CaseIterable & Decodable>(_ type: E.Type) -> Any? { type.allCases.first }

    private static func cases<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> JSONValue? {
        let raw = type.allCases.map(\.rawValue)
        if let strings = raw as? [String] { return ["type": "string", "enum": .array(strings.map(JSONValue.string))] }
        if let ints = raw as? [Int] { return ["type": "integer", "enum": .array(ints.map(JSONValue.int))] }
        return nil
    }

    private static func primitive<T>(_ type: T.Type) -> T? {
        let value: Any? =
            switch type {
            case is String.Type: ""
            case is Substring.Type: Substring("")
            case is Bool.Type: false
            case is Int.Type: 0
            case is Int64.Type: Int64(0)
            case is Int32.Type: Int32(0)
            case is Int16.Type: Int16(0)
            case is UInt.Type: UInt(0)
            case is UInt64.Type: UInt64(0)
            case is UInt32.Type: UInt32(0)
            case is Double.Type: 0.0
            case is Float.Type: Float(0)
            case is Decimal.Type: Decimal(0)
            case is Date.Type: Date(timeIntervalSince1970: 0)
            case is UUID.Type: UUID()
            case is URL.Type: URL(string: "http://127.0.0.1/")
            case is Data.Type: Data()
            default: nil
            }
        return value as? T
    }
}

/// The properties one structure was asked for, in order.
private final class ObjectRecorder {
    var properties: [(String, JSONValue)] = []
    var required: [String] = []
    var optional: Set<String> = []
    /// The type decoded itself from one value: its schema is not an object of properties.
    var singleValue = false

    func record(_ key: String, _ schema: JSONValue) {
        guard !properties.contains(where: { $0.0 == key }) else { return }
        if optional.contains(key) {
            // Optionals are left out of the JSON when nil; some encoders write null, so both are allowed.
            properties.append((key, ["anyOf": [schema, ["type": "null"]]]))
        } else {
            properties.append((key, schema))
            required.append(key)
        }
    }

    var schema: JSONValue {
        var pairs: [(String, JSONValue)] = [("type", "object"), ("properties", .object(properties))]
        if !required.isEmpty { pairs.append(("required", .array(required.map(JSONValue.string)))) }
        return .object(pairs)
    }
}

private struct RecordingDecoder: Decoder {
    let recorder: ObjectRecorder
    let reflector: SchemaReflector
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RecordingKeyedContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { EmptyUnkeyedContainer() }

    /// Types that decode themselves from one value (a wrapper, a date written as text) get a placeholder
    /// to be built from; their schema comes from `SchemaDescribed`.
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        recorder.singleValue = true
        return PlaceholderValue()
    }
}

/// Hands back a plausible value of any primitive type: text that parses as a date, zero, false.
private struct PlaceholderValue: SingleValueDecodingContainer {
    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { false }
    func decode(_ type: String.Type) throws -> String { "2000-01-01" }
    func decode(_ type: Double.Type) throws -> Double { 0 }
    func decode(_ type: Float.Type) throws -> Float { 0 }
    func decode(_ type: Int.Type) throws -> Int { 0 }
    func decode(_ type: Int8.Type) throws -> Int8 { 0 }
    func decode(_ type: Int16.Type) throws -> Int16 { 0 }
    func decode(_ type: Int32.Type) throws -> Int32 { 0 }
    func decode(_ type: Int64.Type) throws -> Int64 { 0 }
    func decode(_ type: UInt.Type) throws -> UInt { 0 }
    func decode(_ type: UInt8.Type) throws -> UInt8 { 0 }
    func decode(_ type: UInt16.Type) throws -> UInt16 { 0 }
    func decode(_ type: UInt32.Type) throws -> UInt32 { 0 }
    func decode(_ type: UInt64.Type) throws -> UInt64 { 0 }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "no placeholder for \(type)"))
    }
}

private struct RecordingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: RecordingDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool {
        // Asked before decodeIfPresent's decode: the property is optional.
        decoder.recorder.optional.insert(key.stringValue)
        return true
    }

    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        decoder.recorder.record(key.stringValue, decoder.reflector.schema(for: type))
        return try decoder.reflector.placeholder(type, decoder: decoder)
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeGeneric(type, key) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeGeneric(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeGeneric(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeGeneric(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeGeneric(type, key) }

    private func decodeGeneric<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try decode(type, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        KeyedDecodingContainer(RecordingKeyedContainer<NestedKey>(
            decoder: RecordingDecoder(recorder: ObjectRecorder(), reflector: decoder.reflector)))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { EmptyUnkeyedContainer() }
    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
}

/// An empty array or object: what a collection placeholder is decoded from.
private struct EmptyDecoder: Decoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(EmptyKeyedContainer<Key>())
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { EmptyUnkeyedContainer() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "empty"))
    }
}

private struct EmptyKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { false }
    func decodeNil(forKey key: Key) throws -> Bool { true }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "empty"))
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "empty"))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "empty"))
    }
    func superDecoder() throws -> any Decoder { EmptyDecoder() }
    func superDecoder(forKey key: Key) throws -> any Decoder { EmptyDecoder() }
}

private struct EmptyUnkeyedContainer: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }
    mutating func decodeNil() throws -> Bool { true }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        throw DecodingError.valueNotFound(type, .init(codingPath: [], debugDescription: "empty"))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "empty"))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { self }
    mutating func superDecoder() throws -> any Decoder { EmptyDecoder() }
}

extension LocalDate: SchemaDescribed {
    static var schema: JSONValue { ["type": "string", "format": "date"] }
}

extension AppealCardInput.Flag: SchemaDescribed {
    /// JSON sends a boolean; a form sends the checkbox's value.
    static var schema: JSONValue { ["anyOf": [["type": "boolean"], ["type": "string"]]] }
}
