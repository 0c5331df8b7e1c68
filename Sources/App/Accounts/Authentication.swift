import Domain
import Fluent
import Vapor

/// Cookie names in one place.
enum Cookies {
    static let session = "cd_session"
    static let csrf = "cd_csrf"
    static let flash = "cd_flash"
}

/// Browser sessions: the cookie holds a random key; the database holds its hash, the user and the
/// expiry. Only signed-in people get a row, so anonymous visits write nothing.
struct SessionAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let key = request.cookies[Cookies.session]?.string, !key.isEmpty {
            let now = request.now
            if let row = try await SessionRow.query(on: request.db)
                .filter(\.$key == Secrets.hash(key))
                .filter(\.$expiresAt > now)
                .with(\.$user)
                .first(), row.user.isActive
            {
                request.auth.login(row.user)
                request.storage[CurrentSessionKey.self] = row
                return try await respondRefreshing(row, request: request, now: now, next: next)
            }
            // A dead key: forget the cookie, also on the sign-in redirect an error turns into.
            let response: Response
            do {
                response = try await next.respond(to: request)
            } catch {
                response = await AppErrorMiddleware().response(for: error, request: request)
            }
            if response.cookies[Cookies.session] == nil {
                response.cookies[Cookies.session] = HTTPCookies.Value(
                    string: "", expires: Date(timeIntervalSince1970: 0), path: "/", isHTTPOnly: true, sameSite: .lax)
            }
            return response
        }
        return try await next.respond(to: request)
    }

    /// Sliding expiry, written at most once per tenth of the lifetime to keep reads read-only.
    private func respondRefreshing(
        _ row: SessionRow, request: Request, now: Date, next: any AsyncResponder
    ) async throws -> Response {
        let lifetime = request.application.config.sessionLifetime
        if row.expiresAt.timeIntervalSince(now) < lifetime * 0.9 {
            row.expiresAt = now.addingTimeInterval(lifetime)
            try await row.update(on: request.db)
        }
        return try await next.respond(to: request)
    }
}

struct CurrentSessionKey: StorageKey { typealias Value = SessionRow }

/// API clients send `Authorization: Bearer <token>`; the token's hash is looked up, unexpired and
/// unrevoked.
struct BearerAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = request.headers.bearerAuthorization {
            let now = request.now
            if let token = try await APIToken.query(on: request.db)
                .filter(\.$tokenHash == Secrets.hash(bearer.token))
                .filter(\.$revokedAt == nil)
                .filter(\.$expiresAt > now)
                .with(\.$user)
                .first(), token.user.isActive
            {
                request.auth.login(token.user)
                request.storage[CurrentTokenKey.self] = token
            }
        }
        return try await next.respond(to: request)
    }
}

struct CurrentTokenKey: StorageKey { typealias Value = APIToken }

/// CSRF protection for every state-changing browser request. Signed in, the expected value is
/// derived from the session key, which lives only in an HttpOnly cookie and (hashed) in the database,
/// so a cookie planted by a sibling site proves nothing. Before sign-in (the sign-in and registration
/// forms) it is a double submit: a random value in a SameSite cookie must come back in the `_csrf`
/// field (or `X-CSRF-Token` header); another site can make the browser send the cookie but cannot read it.
struct CSRFMiddleware: AsyncMiddleware {
    static let field = "_csrf"
    static let minimumLength = 43

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let cookie = request.cookies[Cookies.csrf].map(\.string).flatMap { $0.count >= Self.minimumLength ? $0 : nil }
        let anonymousToken = cookie ?? Secrets.randomToken()
        let sessionKey = request.cookies[Cookies.session].map(\.string).flatMap { $0.isEmpty ? nil : $0 }
        let signedIn = request.storage[CurrentSessionKey.self] != nil
        // Pages show the session-bound value when signed in, the anonymous one otherwise.
        request.storage[CSRFTokenKey.self] = signedIn ? sessionKey.map(Self.token(forSessionKey:)) : anonymousToken

        if ![.GET, .HEAD, .OPTIONS].contains(request.method) {
            var accepted: [String] = []
            if let sessionKey { accepted.append(Self.token(forSessionKey: sessionKey)) }
            // A session cookie that no longer signs in (expired, ended elsewhere) still keys the value a
            // page showed while it was alive, so that form reaches its handler, which asks to sign in;
            // and a page rendered after it died carries the anonymous value.
            if !signedIn, let cookie { accepted.append(cookie) }
            // Nothing can match: refuse before reading a (possibly large) body.
            guard !accepted.isEmpty else { throw AppError.csrf }
            let submitted = try await Self.submittedToken(request, signedIn: signedIn)
            guard let submitted, accepted.contains(where: { Secrets.constantTimeEquals(submitted, $0) }) else {
                throw AppError.csrf
            }
        }
        let response = try await next.respond(to: request)
        if cookie == nil, response.cookies[Cookies.csrf] == nil {
            response.cookies[Cookies.csrf] = Self.cookie(anonymousToken, secure: request.isSecure)
        }
        return response
    }

    static func token(forSessionKey key: String) -> String { Secrets.hash("csrf:" + key) }

    static func cookie(_ value: String, secure: Bool) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    /// Limits above the default for routes that take uploads, by path; the route itself declares
    /// the same limit, but a form's token sits in its body, which must be read before the route runs.
    static let bodyLimits: [String: ByteCount] = [
        "/appeals": AppealUploads.maxBody, "/admin/classifier/import": ClassifierAdminController.maxUpload,
    ]

    /// The upload limit of a path: the table above, or a staff card of an appeal (an answer's files).
    static func bodyLimit(for path: String) -> ByteCount? {
        if let limit = bodyLimits[path] { return limit }
        let parts = path.split(separator: "/")
        if parts.count == 3, parts[0] == "desk", parts[1] == "appeals" { return AppealUploads.maxBody }
        return nil
    }

    private static func submittedToken(_ request: Request, signedIn: Bool) async throws -> String? {
        if let header = request.headers.first(name: "X-CSRF-Token") { return header }
        guard let type = request.headers.contentType,
            type == .urlEncodedForm || type.type == "multipart"
        else { return nil }
        if request.body.data == nil {
            // Large bodies arrive as a stream; read it (within the route's limit) to find the token.
            // Only a signed-in person may send an upload-sized body: anyone else is held to the default.
            let limit = (signedIn ? bodyLimit(for: request.url.path) : nil) ?? request.application.routes.defaultMaxBodySize
            _ = try await request.body.collect(max: limit.value).get()
        }
        return try? request.content.get(String.self, at: CSRFMiddleware.field)
    }
}

struct CSRFTokenKey: StorageKey { typealias Value = String }

/// Refuses a request without a signed-in user before its route reads the body: upload routes accept
/// tens of megabytes, which only people with an account may make the server hold.
struct RequireUserMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        _ = try request.requireUser()
        return try await next.respond(to: request)
    }
}

extension Request {
    var csrfToken: String { storage[CSRFTokenKey.self] ?? "" }

    var currentUser: User? { auth.get(User.self) }

    func requireUser() throws -> User {
        guard let user = currentUser else { throw AppError.unauthenticated }
        return user
    }

    /// The signed-in person as the policy sees them; grants are loaded once per request.
    func requireActor() async throws -> Actor {
        if let actor = storage[ActorKey.self] { return actor }
        let user = try requireUser()
        let userID = try user.requireID()
        let grants = try await RoleGrant.query(on: db).filter(\.$user.$id == userID).all().map(\.grant)
        let actor = Actor(userID: userID, grants: grants)
        storage[ActorKey.self] = actor
        return actor
    }

    /// The one gate every protected route passes: the domain policy decides.
    func authorize(_ action: Action, in scope: Scope) async throws {
        let actor = try await requireActor()
        let tree = try await OrganisationQueries.tree(on: db)
        guard Policy.permits(actor, action, in: scope, tree: tree) else { throw AppError.forbidden }
    }

    func permits(_ action: Action, in scope: Scope) async throws -> Bool {
        guard currentUser != nil else { return false }
        let actor = try await requireActor()
        let tree = try await OrganisationQueries.tree(on: db)
        return Policy.permits(actor, action, in: scope, tree: tree)
    }

    /// A one-shot message shown on the next page (after a redirect).
    func setFlash(_ message: String, on response: Response) {
        let encoded = message.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        response.cookies[Cookies.flash] = HTTPCookies.Value(
            string: encoded, maxAge: 60, path: "/", isSecure: isSecure, isHTTPOnly: true,
            sameSite: .lax)
    }

    var flash: String? {
        request.cookies[Cookies.flash]?.string.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 }
    }

    private var request: Request { self }
}

struct ActorKey: StorageKey { typealias Value = Actor }

/// Clears the flash cookie once a page has shown it.
struct FlashMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let hadFlash = request.cookies[Cookies.flash] != nil
        let response = try await next.respond(to: request)
        if hadFlash, response.status == .ok, response.cookies[Cookies.flash] == nil {
            response.cookies[Cookies.flash] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), path: "/")
        }
        return response
    }
}
