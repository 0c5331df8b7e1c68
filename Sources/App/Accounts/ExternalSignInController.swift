import Domain
import Fluent
import SQLKit
import Vapor

/// `/auth/oidc/start` and `/auth/oidc/callback`: a citizen signs in through the configured OpenID Connect
/// provider (authorization code with PKCE, state bound to the browser, nonce, the id_token's signature
/// checked against the provider's JWKS, then its issuer, audience, times and nonce). Any failure shows a
/// page that says what went wrong; nothing is created until every check has passed.
struct ExternalSignInController: RouteCollection {
    static let browserCookie = "cd_oidc"

    func boot(routes: any RoutesBuilder) throws {
        let oidc = routes.grouped("auth", "oidc")
        oidc.get("start", use: start)
        oidc.get("callback", use: callback)
        oidc.post("consent", use: consent)
    }

    struct FailurePage: Encodable {
        var layout: Layout
        var message: String
        var provider: String
    }

    static func redirectURI(_ app: Application) -> String { app.config.publicURL + "/auth/oidc/callback" }

    private func refuse(_ failure: ExternalSignInFailure, _ request: Request) async throws -> Response {
        request.logger.notice("External sign-in refused: \(failure)")
        let response = try await request.render(
            "auth/oidc-error",
            FailurePage(
                layout: await Layout.make(for: request, title: "Вход не выполнен"), message: failure.message,
                provider: request.application.config.oidc?.displayName ?? ""),
            status: failure.status)
        response.cookies[Self.browserCookie] = HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), path: "/auth/oidc", isHTTPOnly: true, sameSite: .lax)
        return response
    }

    @Sendable
    func start(request: Request) async throws -> Response {
        guard let settings = request.application.config.oidc, let provider = request.application.oidcProvider else {
            return try await refuse(.notConfigured, request)
        }
        let endpoints: OIDCProvider.Discovery
        do {
            endpoints = try await provider.endpoints(client: request.client)
        } catch {
            return try await refuse(error, request)
        }
        let state = Secrets.randomToken()
        let nonce = Secrets.randomToken()
        let verifier = Secrets.randomToken()
        let browser = Secrets.randomToken()
        let now = request.now
        // Attempts nobody finished are forgotten as new ones begin.
        try await OIDCAttempt.query(on: request.db)
            .filter(\.$createdAt < now.addingTimeInterval(-ExternalSignIn.attemptLifetime)).delete()
        let attempt = OIDCAttempt()
        attempt.stateHash = Secrets.hash(state)
        attempt.browserHash = Secrets.hash(browser)
        attempt.nonce = nonce
        attempt.codeVerifier = verifier
        attempt.next = request.safeNext(try? request.query.get(String.self, at: "next"))
        attempt.createdAt = now
        try await attempt.create(on: request.db)

        var target = URLComponents(string: endpoints.authorizationEndpoint)
        let existing = target?.queryItems ?? []
        target?.queryItems = existing + [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: settings.clientID),
            URLQueryItem(name: "redirect_uri", value: Self.redirectURI(request.application)),
            URLQueryItem(name: "scope", value: settings.scope),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: OIDCProvider.challenge(for: verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        guard let url = target?.url?.absoluteString else { return try await refuse(.providerUnavailable, request) }
        let response = request.redirect(to: url, redirectType: .normal)
        // Lax: the provider sends the browser back with a top-level GET, which carries it.
        response.cookies[Self.browserCookie] = HTTPCookies.Value(
            string: browser, maxAge: Int(ExternalSignIn.attemptLifetime), path: "/auth/oidc",
            isSecure: request.isSecure, isHTTPOnly: true, sameSite: .lax)
        return response
    }

    @Sendable
    func callback(request: Request) async throws -> Response {
        guard let settings = request.application.config.oidc, let provider = request.application.oidcProvider else {
            return try await refuse(.notConfigured, request)
        }
        let now = request.now
        // The attempt: taken (deleted) in one statement, so a return is used once even when two arrive at once.
        let state = (try? request.query.get(String.self, at: "state"))?.nonBlank
        let attempt = try await state.asyncFlatMap { try await Self.takeAttempt(stateHash: Secrets.hash($0), on: request.db) }
        // The provider's refusal changes nothing here, so it is shown even when the provider left the state
        // out, as some do; its own words only for a sign-in this browser started.
        if let error = (try? request.query.get(String.self, at: "error"))?.nonBlank {
            let ours = attempt.map { Self.sameBrowser(request, $0.browserHash) } ?? false
            let detail = (try? request.query.get(String.self, at: "error_description"))?.nonBlank ?? error
            return try await refuse(.cancelled(ours ? String(detail.prefix(200)) : nil), request)
        }
        guard let attempt, attempt.createdAt.addingTimeInterval(ExternalSignIn.attemptLifetime) > now,
            Self.sameBrowser(request, attempt.browserHash)
        else { return try await refuse(.staleAttempt, request) }
        guard let code = (try? request.query.get(String.self, at: "code"))?.nonBlank else {
            return try await refuse(.tokenRefused, request)
        }

        let claims: ExternalSignIn.Claims
        let found: ExternalAccounts.Found
        do {
            let endpoints = try await provider.endpoints(client: request.client)
            let raw = try await provider.exchange(
                code: code, verifier: attempt.codeVerifier, redirectURI: Self.redirectURI(request.application),
                client: request.client)
            let token = try await provider.verifiedToken(raw, client: request.client)
            guard token.iss == settings.issuer, token.iss == endpoints.issuer else { throw ExternalSignInFailure.wrongIssuer }
            let audiences = token.aud.value
            guard audiences.contains(settings.clientID) else { throw ExternalSignInFailure.wrongAudience }
            // Several audiences: the party the token was issued to must be named, and be us (OIDC Core §3.1.3.7).
            if let azp = token.azp, azp != settings.clientID { throw ExternalSignInFailure.wrongAudience }
            if audiences.count > 1, token.azp == nil { throw ExternalSignInFailure.wrongAudience }
            do {
                try ExternalSignIn.checkTimes(expires: token.exp.value, issued: token.iat?.value, now: now)
            } catch {
                throw ExternalSignInFailure.expired
            }
            guard let nonce = token.nonce, Secrets.constantTimeEquals(nonce, attempt.nonce) else {
                throw ExternalSignInFailure.wrongNonce
            }
            claims = token.claims
            found = try await ExternalAccounts.find(claims, provider: settings.issuer, now: now, on: request.db)
        } catch let failure as ExternalSignInFailure {
            return try await refuse(failure, request)
        }

        switch found {
        case .user(let user):
            return try await signIn(user, next: attempt.next, request)
        case .newAccount(let keepEmail):
            // A new account: the person consents first (152-ФЗ), as at registration.
            guard ExternalSignIn.personName(claims) != nil else { return try await refuse(.noName, request) }
            try await ExternalSignUp.query(on: request.db)
                .filter(\.$createdAt < now.addingTimeInterval(-ExternalSignIn.attemptLifetime)).delete()
            let token = Secrets.randomToken()
            let signUp = ExternalSignUp()
            signUp.tokenHash = Secrets.hash(token)
            signUp.provider = settings.issuer
            signUp.claimsJSON = String(decoding: try JSONEncoder().encode(claims), as: UTF8.self)
            signUp.keepEmail = keepEmail
            signUp.next = attempt.next
            signUp.createdAt = now
            try await signUp.create(on: request.db)
            let response = try await consentPage(request, signUp: signUp, error: nil)
            response.cookies[Self.signUpCookie] = HTTPCookies.Value(
                string: token, maxAge: Int(ExternalSignIn.attemptLifetime), path: "/auth/oidc",
                isSecure: request.isSecure, isHTTPOnly: true, sameSite: .lax)
            return response
        }
    }

    static let signUpCookie = "cd_oidc_signup"

    struct ConsentPage: Encodable {
        var layout: Layout
        var fullName: String
        var email: String?
        var phone: String?
        var snils: String?
        var provider: String
        var error: String?
    }

    private func consentPage(_ request: Request, signUp: ExternalSignUp, error: String?) async throws -> Response {
        let claims = signUp.claims
        let name = claims.flatMap(ExternalSignIn.personName)
        return try await request.render(
            "auth/oidc-consent",
            ConsentPage(
                layout: await Layout.make(for: request, title: "Новая учётная запись"), fullName: name?.full ?? "",
                email: signUp.keepEmail && claims?.emailVerified == true ? claims?.email : nil,
                phone: claims?.phone.flatMap(PhoneNumber.init)?.value,
                snils: ExternalSignIn.snils(claims?.snils).map(ExternalSignIn.maskedSNILS),
                provider: request.application.config.oidc?.displayName ?? "", error: error),
            status: error == nil ? .ok : .unprocessableEntity)
    }

    struct ConsentForm: Content {
        var consent: String?
    }

    /// The person agreed (or not) to the processing of their data: the account is made, once.
    @Sendable
    func consent(request: Request) async throws -> Response {
        guard let token = request.cookies[Self.signUpCookie]?.string,
            let signUp = try await ExternalSignUp.query(on: request.db).filter(\.$tokenHash == Secrets.hash(token)).first(),
            signUp.createdAt.addingTimeInterval(ExternalSignIn.attemptLifetime) > request.now
        else { return try await refuse(.staleAttempt, request) }
        let form = try request.content.decode(ConsentForm.self)
        guard form.consent?.nonBlank != nil else {
            return try await consentPage(request, signUp: signUp, error: ExternalSignInFailure.consentMissing.message)
        }
        guard try await Self.takeSignUp(tokenHash: signUp.tokenHash, on: request.db) else {
            return try await refuse(.staleAttempt, request)
        }
        let user: User
        do {
            user = try await ExternalAccounts.create(signUp, on: request)
        } catch let failure as ExternalSignInFailure {
            return try await refuse(failure, request)
        }
        let response = try await signIn(user, next: signUp.next, request)
        response.cookies[Self.signUpCookie] = HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), path: "/auth/oidc", isHTTPOnly: true, sameSite: .lax)
        return response
    }

    private func signIn(_ user: User, next: String?, _ request: Request) async throws -> Response {
        let response = request.seeOther(next ?? "/account")
        try await AccountService.startSession(for: user, on: request, response: response)
        response.cookies[Self.browserCookie] = HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), path: "/auth/oidc", isHTTPOnly: true, sameSite: .lax)
        return response
    }

    private static func sameBrowser(_ request: Request, _ hash: String) -> Bool {
        guard let browser = request.cookies[browserCookie]?.string else { return false }
        return Secrets.constantTimeEquals(Secrets.hash(browser), hash)
    }

    struct TakenAttempt {
        var browserHash: String
        var nonce: String
        var codeVerifier: String
        var next: String?
        var createdAt: Date
    }

    /// Deletes the attempt and returns it, in one statement: only one return can have it.
    static func takeAttempt(stateHash: String, on db: any Database) async throws -> TakenAttempt? {
        guard let sql = db as? any SQLDatabase else { return nil }
        guard let row = try await sql.delete(from: OIDCAttempt.schema).where("state_hash", .equal, stateHash)
            .returning("browser_hash", "nonce", "code_verifier", "next", "created_at").first()
        else { return nil }
        return TakenAttempt(
            browserHash: try row.decode(column: "browser_hash", as: String.self), nonce: try row.decode(column: "nonce", as: String.self),
            codeVerifier: try row.decode(column: "code_verifier", as: String.self),
            next: try row.decode(column: "next", as: String?.self), createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    /// True for the one request that deleted the pending sign-up.
    static func takeSignUp(tokenHash: String, on db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { return false }
        return try await sql.delete(from: ExternalSignUp.schema).where("token_hash", .equal, tokenHash).returning("id").first() != nil
    }
}
