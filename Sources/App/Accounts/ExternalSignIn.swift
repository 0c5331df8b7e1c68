import Domain
import Fluent
import Foundation
import JWTKit
import NIOCore
import Vapor

/// A sign-in between the redirect to the provider and its return (see M0029).
final class OIDCAttempt: Model, @unchecked Sendable {
    static let schema = "oidc_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "state_hash") var stateHash: String
    @Field(key: "browser_hash") var browserHash: String
    @Field(key: "nonce") var nonce: String
    @Field(key: "code_verifier") var codeVerifier: String
    @OptionalField(key: "next") var next: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A provider's subject, linked to a citizen's account.
final class UserIdentity: Model, @unchecked Sendable {
    static let schema = "user_identities"

    @ID(key: .id) var id: UUID?
    @Field(key: "provider") var provider: String
    @Field(key: "subject") var subject: String
    @Parent(key: "user_id") var user: User
    @OptionalField(key: "snils") var snils: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_sign_in_at") var lastSignInAt: Date

    init() {}
}

/// Why a sign-in through the provider was refused; each has the words the citizen reads.
enum ExternalSignInFailure: Error, Equatable {
    case notConfigured
    case providerUnavailable
    case staleAttempt
    /// The provider's words, when the return belongs to a sign-in this browser started.
    case cancelled(String?)
    case tokenRefused
    case badSignature
    case wrongIssuer
    case wrongAudience
    case expired
    case wrongNonce
    case noName
    case consentMissing
    case staffAccount
    case blocked

    var status: HTTPResponseStatus {
        switch self {
        case .notConfigured: .notFound
        case .providerUnavailable, .tokenRefused: .badGateway
        case .staffAccount, .blocked: .forbidden
        case .consentMissing: .unprocessableEntity
        default: .badRequest
        }
    }

    var message: String {
        switch self {
        case .notConfigured: "Вход через внешний сервис не настроен."
        case .providerUnavailable: "Сервис входа сейчас недоступен. Попробуйте позже или войдите по паролю."
        case .staleAttempt: "Ссылка входа устарела или уже использована. Начните вход заново."
        case .cancelled(let reason?): "Вход не выполнен: сервис входа сообщил «\(reason)»."
        case .cancelled(nil): "Вход отменён на стороне сервиса входа."
        case .tokenRefused: "Сервис входа не подтвердил вход. Начните вход заново."
        case .badSignature: "Ответ сервиса входа не прошёл проверку подписи. Вход отклонён."
        case .wrongIssuer: "Ответ пришёл не от того сервиса входа. Вход отклонён."
        case .wrongAudience: "Ответ сервиса входа выдан не для этого сайта. Вход отклонён."
        case .expired: "Срок действия ответа сервиса входа истёк. Начните вход заново."
        case .wrongNonce: "Ответ сервиса входа не относится к этому входу. Вход отклонён."
        case .noName: "Сервис входа не передал имя, без него учётную запись не создать."
        case .consentMissing: "Без согласия на обработку персональных данных учётную запись не создать."
        case .staffAccount:
            "Эта почта принадлежит учётной записи сотрудника. Сотрудники входят по паролю."
        case .blocked: "Учётная запись заблокирована."
        }
    }
}

/// The provider: its discovery document and keys (fetched when first needed and kept; the keys are
/// fetched again when a token names one not yet known, as providers rotate them), the code exchange and
/// the id_token's check.
actor OIDCProvider {
    struct Discovery: Decodable, Sendable {
        var issuer: String
        var authorizationEndpoint: String
        var tokenEndpoint: String
        var jwksURI: String

        enum CodingKeys: String, CodingKey {
            case issuer
            case authorizationEndpoint = "authorization_endpoint"
            case tokenEndpoint = "token_endpoint"
            case jwksURI = "jwks_uri"
        }
    }

    /// `email_verified` arrives as a boolean, or from some providers as text.
    struct FlexibleBool: Codable, Sendable {
        var value: Bool
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let bool = try? container.decode(Bool.self) { value = bool } else { value = (try? container.decode(String.self)) == "true" }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(value)
        }
    }

    /// The id_token's claims. Times, issuer, audience and nonce are checked by the caller against the
    /// sign-in (and the application's clock), after the signature.
    struct IDToken: JWTPayload {
        var iss: String
        var sub: String
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim?
        var nonce: String?
        var azp: String?
        var name: String?
        var givenName: String?
        var familyName: String?
        var middleName: String?
        var email: String?
        var emailVerified: FlexibleBool?
        var phoneNumber: String?
        var snils: String?

        enum CodingKeys: String, CodingKey {
            case iss, sub, aud, exp, iat, nonce, azp, name, email, snils
            case givenName = "given_name"
            case familyName = "family_name"
            case middleName = "middle_name"
            case emailVerified = "email_verified"
            case phoneNumber = "phone_number"
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}

        var claims: ExternalSignIn.Claims {
            .init(
                subject: sub, name: name, givenName: givenName, familyName: familyName, middleName: middleName, email: email,
                emailVerified: emailVerified?.value ?? false, phone: phoneNumber, snils: snils)
        }
    }

    struct TokenAnswer: Decodable {
        var idToken: String?
        enum CodingKeys: String, CodingKey { case idToken = "id_token" }
    }

    let settings: OIDCSettings
    private var discovery: Discovery?
    private var keys: JWTKeyCollection?
    private var keysFetchedAt: Date?

    /// Keys are fetched again at most this often when a token names an unknown one.
    static let keyRefreshInterval: TimeInterval = 60
    static let timeout: TimeAmount = .seconds(10)

    init(settings: OIDCSettings) {
        self.settings = settings
    }

    func endpoints(client: any Client) async throws(ExternalSignInFailure) -> Discovery {
        if let discovery { return discovery }
        let url = settings.issuer.trimmingTrailingSlashes + "/.well-known/openid-configuration"
        guard let response = try? await client.send(ClientRequest(method: .GET, url: URI(string: url), timeout: Self.timeout)),
            response.status == .ok, let found = try? response.content.decode(Discovery.self)
        else { throw .providerUnavailable }
        // The document must be the issuer's own (OpenID Connect Discovery §4.3).
        guard found.issuer == settings.issuer else { throw .wrongIssuer }
        discovery = found
        return found
    }

    private func keyCollection(client: any Client, refresh: Bool) async throws(ExternalSignInFailure) -> JWTKeyCollection {
        if let keys, !refresh { return keys }
        if refresh, let keysFetchedAt, let keys, Date().timeIntervalSince(keysFetchedAt) < Self.keyRefreshInterval { return keys }
        let endpoints = try await endpoints(client: client)
        guard let response = try? await client.send(
            ClientRequest(method: .GET, url: URI(string: endpoints.jwksURI), timeout: Self.timeout)),
            response.status == .ok, let body = response.body, let json = body.getString(at: body.readerIndex, length: body.readableBytes)
        else { throw .providerUnavailable }
        let collection = JWTKeyCollection()
        do {
            _ = try await collection.add(jwksJSON: json)
        } catch {
            throw .providerUnavailable
        }
        keys = collection
        keysFetchedAt = Date()
        return collection
    }

    /// The token's signature, by the provider's published keys (fetched again once if none fits).
    func verifiedToken(_ token: String, client: any Client) async throws(ExternalSignInFailure) -> IDToken {
        for refresh in [false, true] {
            let keys = try await keyCollection(client: client, refresh: refresh)
            if let payload = try? await keys.verify(token, as: IDToken.self) { return payload }
        }
        throw .badSignature
    }

    /// Trades the code (with the PKCE verifier) for tokens; returns the id_token.
    func exchange(code: String, verifier: String, redirectURI: String, client: any Client) async throws(ExternalSignInFailure)
        -> String
    {
        let endpoints = try await endpoints(client: client)
        var form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier),
        ]
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        headers.replaceOrAdd(name: .accept, value: "application/json")
        if let secret = settings.clientSecret {
            headers.basicAuthorization = BasicAuthorization(
                username: OIDCProvider.formEncode(settings.clientID), password: OIDCProvider.formEncode(secret))
        } else {
            form.append(("client_id", settings.clientID))
        }
        let body = form.map { "\(OIDCProvider.formEncode($0.0))=\(OIDCProvider.formEncode($0.1))" }.joined(separator: "&")
        let request = ClientRequest(
            method: .POST, url: URI(string: endpoints.tokenEndpoint), headers: headers, body: ByteBuffer(string: body),
            timeout: Self.timeout)
        guard let response = try? await client.send(request) else { throw .providerUnavailable }
        guard response.status == .ok, let answer = try? response.content.decode(TokenAnswer.self), let token = answer.idToken
        else { throw .tokenRefused }
        return token
    }

    /// `application/x-www-form-urlencoded` (also what RFC 6749 §2.3.1 asks for the Basic credentials).
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// PKCE S256: base64url of the SHA-256 of the verifier.
    static func challenge(for verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
    }
}

extension Data {
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension String {
    fileprivate var trimmingTrailingSlashes: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

/// A first sign-in waiting for the person's consent (see M0030).
final class ExternalSignUp: Model, @unchecked Sendable {
    static let schema = "oidc_signups"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "provider") var provider: String
    /// The verified claims, as JSON.
    @Field(key: "claims") var claimsJSON: String
    /// False when the email belongs to another account that never proved it: the new one goes without it.
    @Field(key: "keep_email") var keepEmail: Bool
    @OptionalField(key: "next") var next: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var claims: ExternalSignIn.Claims? { try? JSONDecoder().decode(ExternalSignIn.Claims.self, from: Data(claimsJSON.utf8)) }
}

/// The account behind a verified sign-in: the linked one; else the citizen who proved the email the
/// provider vouches for (linked now); else a new citizen account, made only after the person consents.
/// Staff accounts are never entered this way, and an account whose email was never confirmed is never
/// linked (anyone could have typed someone else's address into it).
enum ExternalAccounts {
    enum Found {
        case user(User)
        /// A new account is needed; `keepEmail` false when another account holds the address unproven.
        case newAccount(keepEmail: Bool)
    }

    static func find(_ claims: ExternalSignIn.Claims, provider: String, now: Date, on db: any Database) async throws -> Found {
        if let identity = try await UserIdentity.query(on: db).filter(\.$provider == provider)
            .filter(\.$subject == claims.subject).with(\.$user, { $0.with(\.$grants) }).first()
        {
            // Checked on every sign-in: a citizen later made staff signs in with the password from then on.
            guard identity.user.grants.allSatisfy({ $0.role == .citizen }) else { throw ExternalSignInFailure.staffAccount }
            guard identity.user.isActive else { throw ExternalSignInFailure.blocked }
            identity.lastSignInAt = now
            identity.snils = ExternalSignIn.snils(claims.snils) ?? identity.snils
            try await identity.update(on: db)
            return .user(identity.user)
        }
        guard claims.emailVerified, let email = claims.email.flatMap(EmailAddress.init),
            let existing = try await User.query(on: db).filter(\.$email == email.value).with(\.$grants).first()
        else { return .newAccount(keepEmail: true) }
        guard existing.grants.allSatisfy({ $0.role == .citizen }) else { throw ExternalSignInFailure.staffAccount }
        let otherIdentity = try await UserIdentity.query(on: db).filter(\.$provider == provider)
            .filter(\.$user.$id == existing.requireID()).count() > 0
        guard existing.emailConfirmedAt != nil, !otherIdentity else { return .newAccount(keepEmail: false) }
        guard existing.isActive else { throw ExternalSignInFailure.blocked }
        try await link(existing, claims: claims, provider: provider, now: now, on: db)
        return .user(existing)
    }

    /// The new citizen account (after consent) and its link, in one transaction. Two first sign-ins of one
    /// person at once: the second finds the first's account.
    static func create(_ signUp: ExternalSignUp, on request: Request) async throws -> User {
        guard var given = signUp.claims else { throw ExternalSignInFailure.staleAttempt }
        if !signUp.keepEmail { given.email = nil }
        let claims = given
        guard let name = ExternalSignIn.personName(claims) else { throw ExternalSignInFailure.noName }
        let now = request.now
        let passwordHash = try await request.password.async.hash(Secrets.randomToken())
        do {
            return try await request.db.transaction { db -> User in
                let email = claims.emailVerified ? claims.email.flatMap(EmailAddress.init)?.value : nil
                var phone = claims.phone.flatMap(PhoneNumber.init)?.value
                if let taken = phone, try await User.query(on: db).filter(\.$phone == taken).count() > 0 { phone = nil }
                let user = User(name: name, email: email, phone: phone, passwordHash: passwordHash)
                if email != nil { user.emailConfirmedAt = now }
                try await user.create(on: db)
                try await RoleGrant(userID: try user.requireID(), grant: Grant(role: .citizen, organisationID: nil), grantedBy: nil)
                    .create(on: db)
                try await link(user, claims: claims, provider: signUp.provider, now: now, on: db)
                return user
            }
        } catch {
            guard (error as? any DatabaseError)?.isConstraintFailure == true else { throw error }
            if case .user(let user) = try await find(claims, provider: signUp.provider, now: now, on: request.db) { return user }
            throw error
        }
    }

    private static func link(_ user: User, claims: ExternalSignIn.Claims, provider: String, now: Date, on db: any Database) async throws {
        let identity = UserIdentity()
        identity.provider = provider
        identity.subject = claims.subject
        identity.$user.id = try user.requireID()
        identity.snils = ExternalSignIn.snils(claims.snils)
        identity.createdAt = now
        identity.lastSignInAt = now
        try await identity.create(on: db)
    }
}

extension Application {
    private struct OIDCProviderKey: StorageKey { typealias Value = OIDCProvider }

    var oidcProvider: OIDCProvider? {
        get { storage[OIDCProviderKey.self] }
        set { storage[OIDCProviderKey.self] = newValue }
    }
}
