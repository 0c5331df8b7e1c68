import Crypto
import Domain
import Fluent
import Foundation
import Vapor

/// The first answer to a creating API call made with an `Idempotency-Key`, per caller and key.
final class IdempotentRequest: Model, @unchecked Sendable {
    static let schema = "idempotent_requests"

    @ID(key: .id) var id: UUID?
    /// The caller: `user:<id>` when signed in, otherwise `address:<client address>`.
    @Field(key: "principal") var principal: String
    @Field(key: "key") var key: String
    @Field(key: "request_hash") var requestHash: String
    /// Empty while the first request is still being handled.
    @OptionalField(key: "status") var status: Int?
    @OptionalField(key: "content_type") var contentType: String?
    @OptionalField(key: "location") var location: String?
    @OptionalField(key: "body") var body: Data?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// `Idempotency-Key` on every creating (POST) call of the API: a retry of a request whose answer was
/// lost gets the first answer again, with `Idempotent-Replayed: true`, and creates nothing. Keys are
/// per caller, kept for a day (`Housekeeping`).
///
/// - The key is claimed before the handler runs (a row without an answer): a second copy arriving
///   meanwhile gets 409, never a second record.
/// - Only a 2xx answer is kept. After a refusal (a 4xx, an error) the key is released, so the corrected
///   request may use it again.
/// - The same key with a different body (or another route) is refused with 422: the key is the
///   caller's promise that it is the same request.
/// - Where a handler committed but the node died before the answer was stored, the key stays claimed
///   and a retry keeps getting 409 until it expires. That is a request that may have been made, never a
///   duplicate.
/// - Filing an appeal keeps its own key, written in the appeal's own transaction, so even that case
///   answers with the appeal (`AppealService`). Calls whose answer is a secret are left out: sign-in
///   (`auth/token`), starting a consultation (its key) and composing a claim (its token).
/// - A multipart body is fingerprinted as sent: a client that rebuilds it with a new boundary is
///   refused (422) rather than answered with the first result.
struct IdempotencyMiddleware: AsyncMiddleware {
    static let header = "Idempotency-Key"
    static let lifetime: TimeInterval = 24 * 3600
    static let maxKeyLength = 200

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .POST, let key = request.headers.first(name: Self.header),
            request.route.map(Self.applies) ?? false
        else { return try await next.respond(to: request) }
        guard !key.isEmpty, key.count <= Self.maxKeyLength, key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F }) else {
            throw ValidationFailure([FieldError(Self.header, .invalidValue)])
        }
        // The body as the route collects it (with the route's own size limit), so it can be fingerprinted.
        // Nobody signed in is held to the default size: a route that takes large bodies refuses strangers
        // after this, and must not be made to buffer tens of megabytes for them first.
        if request.body.data == nil {
            let ordinary = request.application.routes.defaultMaxBodySize.value
            let limit = request.currentUser == nil ? ordinary : request.route?.userInfo[Self.bodyLimitKey] as? Int ?? ordinary
            _ = try await request.body.collect(max: limit).get()
        }
        var digest = SHA256()
        digest.update(data: Data("\(request.method.rawValue) \(request.url.path)?\(request.url.query ?? "")\n".utf8))
        if let body = request.body.data { digest.update(data: Self.canonical(Data(body.readableBytesView), type: request.headers.contentType)) }
        let hash = digest.finalize().map { String(format: "%02x", $0) }.joined()
        let principal = request.currentUser?.id.map { "user:\($0.uuidString)" } ?? "address:\(request.clientAddress)"
        let db = request.db

        let claim = IdempotentRequest()
        claim.principal = principal
        claim.key = key
        claim.requestHash = hash
        claim.createdAt = request.now
        do {
            try await claim.create(on: db)
        } catch where error.isUniqueViolation {
            guard let first = try await IdempotentRequest.query(on: db).filter(\.$principal == principal).filter(\.$key == key).first()
            else { throw AppError.conflict("A request with this Idempotency-Key is still being processed") }
            guard first.requestHash == hash else { throw ValidationFailure([FieldError(Self.header, .idempotencyMismatch)]) }
            guard let status = first.status else {
                throw AppError.conflict("A request with this Idempotency-Key is still being processed; retry shortly")
            }
            var headers = HTTPHeaders()
            if let type = first.contentType { headers.replaceOrAdd(name: .contentType, value: type) }
            if let location = first.location { headers.replaceOrAdd(name: .location, value: location) }
            headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
            return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: .init(data: first.body ?? Data()))
        }

        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            try? await claim.delete(on: db)
            throw error
        }
        guard (200..<300).contains(response.status.code), let body = await Self.bytes(of: response) else {
            try? await claim.delete(on: db)
            return response
        }
        claim.status = Int(response.status.code)
        claim.contentType = response.headers.first(name: .contentType)
        claim.location = response.headers.first(name: .location)
        claim.body = body
        do {
            try await claim.update(on: db)
        } catch {
            // The work is done and its answer goes out; a retry with this key gets 409 until the key
            // expires, never a second record.
            request.logger.warning("Idempotency: could not keep the answer for key \(key): \(String(reflecting: error))")
        }
        return response
    }

    /// The answer's bytes, when it has them in memory (a streamed answer is not kept: nothing the API
    /// creates answers with a stream).
    private static func bytes(of response: Response) async -> Data? {
        if let buffer = response.body.buffer { return Data(buffer.readableBytesView) }
        if let string = response.body.string { return Data(string.utf8) }
        return response.body.count == 0 ? Data() : nil
    }

    /// A JSON body with its keys sorted (a client that rebuilds the same object may order its keys
    /// differently); any other body as it came.
    static func canonical(_ body: Data, type: HTTPMediaType?) -> Data {
        guard type == .json || type?.subType.hasSuffix("+json") == true,
            let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]),
            let sorted = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
        else { return body }
        return sorted
    }

    /// Routes that opt out (`Route.idempotency(.own)` / `.none`) are passed through.
    static func applies(_ route: Route) -> Bool {
        (route.userInfo[modeKey] as? String) == nil
    }

    static let modeKey = "consumerdesk.idempotency"
    static let bodyLimitKey = "consumerdesk.bodyLimit"
}

extension Route {
    enum IdempotencyMode: String {
        /// The handler keeps its own keys (filing an appeal).
        case own
        /// Not a creation, or an answer that must not be stored (a sign-in token).
        case none
    }

    /// How `IdempotencyMiddleware` treats this route.
    @discardableResult
    func idempotency(_ mode: IdempotencyMode) -> Route {
        userInfo[IdempotencyMiddleware.modeKey] = mode.rawValue
        return self
    }

    /// The body size the route collects when above the default, for the middleware to collect with.
    @discardableResult
    func bodyLimit(_ size: ByteCount) -> Route {
        userInfo[IdempotencyMiddleware.bodyLimitKey] = size.value
        return self
    }
}
