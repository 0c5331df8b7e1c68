import Domain
import Fluent
import Foundation
import Vapor

/// Account operations shared by the HTML forms and the API, so both follow the same rules.
enum AccountService {
    static let confirmationLifetime: TimeInterval = 48 * 3600
    /// An unconfirmed account that tries to sign in gets a fresh link at most this often.
    static let confirmationResendInterval: TimeInterval = 5 * 60

    /// Registers a citizen: user, citizen role, email confirmation and its mail, in one transaction.
    static func registerCitizen(_ input: RegistrationInput, requireConfirmation: Bool, on request: Request)
        async throws -> User
    {
        let valid = try Registration.validate(input, requireConfirmation: requireConfirmation)
        try await ensureUnique(email: valid.email, phone: valid.phone, on: request.db)
        let hash = try await request.password.async.hash(valid.password)
        let now = request.now
        let config = request.application.config
        let user = User(name: valid.name, email: valid.email?.value, phone: valid.phone?.value, passwordHash: hash)
        do {
            try await request.db.transaction { db in
                try await user.create(on: db)
                let userID = try user.requireID()
                try await RoleGrant(userID: userID, grant: Grant(role: .citizen, organisationID: nil), grantedBy: nil)
                    .create(on: db)
                if let email = valid.email {
                    let link = try await createConfirmation(for: user, email: email.value, on: db, now: now, config: config)
                    try await MailOutbox.enqueue(
                        to: email.value, subject: Strings.confirmationSubject,
                        body: Strings.confirmationBody(name: valid.name.short, link: link), on: db, now: now)
                }
            }
        } catch {
            // Two registrations raced past the check above; the unique index decided.
            if let databaseError = error as? any DatabaseError, databaseError.isConstraintFailure {
                try await ensureUnique(email: valid.email, phone: valid.phone, on: request.db)
            }
            throw error
        }
        request.application.mailWorker?.wake()
        return user
    }

    static func ensureUnique(email: EmailAddress?, phone: PhoneNumber?, on db: any Database) async throws {
        var errors = FieldErrors()
        if let email, try await User.query(on: db).filter(\.$email == email.value).count() > 0 {
            errors.add("email", .emailTaken)
        }
        if let phone, try await User.query(on: db).filter(\.$phone == phone.value).count() > 0 {
            errors.add("phone", .phoneTaken)
        }
        try errors.throwIfAny()
    }

    /// Stores a new confirmation token (hashed) and returns the link to mail.
    static func createConfirmation(
        for user: User, email: String, on db: any Database, now: Date, config: AppConfig
    ) async throws -> String {
        let token = Secrets.randomToken()
        let confirmation = EmailConfirmation()
        confirmation.$user.id = try user.requireID()
        confirmation.email = email
        confirmation.tokenHash = Secrets.hash(token)
        confirmation.expiresAt = now.addingTimeInterval(confirmationLifetime)
        try await confirmation.create(on: db)
        return "\(config.publicURL)/confirm-email?token=\(token)"
    }

    /// Confirms the address the token was issued for. Returns false for an unknown, used or expired token.
    static func confirmEmail(token: String, on request: Request) async throws -> Bool {
        let now = request.now
        return try await request.db.transaction { db in
            guard let confirmation = try await EmailConfirmation.query(on: db)
                .filter(\.$tokenHash == Secrets.hash(token))
                .filter(\.$usedAt == nil)
                .filter(\.$expiresAt > now)
                .with(\.$user)
                .first(),
                confirmation.user.email == confirmation.email
            else { return false }
            confirmation.usedAt = now
            try await confirmation.update(on: db)
            if confirmation.user.emailConfirmedAt == nil {
                confirmation.user.emailConfirmedAt = now
                try await confirmation.user.update(on: db)
            }
            return true
        }
    }

    /// Checks a password sign-in, with throttling per account and per address. The attempt is
    /// recorded *before* the (slow) password check and counted together with everything recorded so
    /// far, so parallel guesses cannot all slip past the limit; a successful attempt removes its
    /// record and clears the account's failures. The sixth attempt in the window is refused with 429.
    static func authenticate(login: String, password: String, on request: Request) async throws -> User {
        let now = request.now
        let identifier = LoginIdentifier(login)
        var user: User?
        switch identifier {
        case .email(let email): user = try await User.query(on: request.db).filter(\.$email == email.value).first()
        case .phone(let phone): user = try await User.query(on: request.db).filter(\.$phone == phone.value).first()
        case nil: user = nil
        }
        // One key per account whatever it is signed in with; unknown logins by what was typed.
        let accountKey = try user.map { "user:" + (try $0.requireID().uuidString) }
            ?? "login:" + (identifier?.throttleKey ?? login.lowercased().trimmingWhitespace())
        let addressKey = "ip:" + request.clientAddress
        let attempts = try await recordAttempt(keys: [accountKey, addressKey], now: now, on: request.db)
        do {
            try await checkThrottle(accountKey, .perAccount, excluding: attempts, now: now, on: request.db)
            try await checkThrottle(addressKey, .perAddress, excluding: attempts, now: now, on: request.db)
        } catch {
            // A refused attempt does not lengthen the lock.
            try await SignInFailure.query(on: request.db).filter(\.$id ~~ attempts).delete()
            throw error
        }

        // Verify against a dummy hash for unknown logins too, so timing does not reveal which exist.
        let ok = try await request.password.async.verify(
            password, created: user?.passwordHash ?? request.application.dummyPasswordHash)
        guard let user, ok else { throw AppError.invalidCredentials }
        try await SignInFailure.query(on: request.db).filter(\.$id ~~ attempts).delete()
        guard user.isActive else { throw AppError.accountBlocked }
        if user.email != nil, user.emailConfirmedAt == nil, case .email = identifier {
            try await resendConfirmation(to: user, on: request)
            throw AppError.emailNotConfirmed
        }
        try await SignInFailure.query(on: request.db).filter(\.$key == accountKey).delete()
        return user
    }

    private static func checkThrottle(
        _ key: String, _ throttle: SignInThrottle, excluding own: [UUID], now: Date, on db: any Database
    ) async throws {
        let recent = try await SignInFailure.query(on: db)
            .filter(\.$key == key)
            .filter(\.$at > throttle.horizon(now: now))
            .filter(\.$id !~ own)
            .sort(\.$at, .descending)
            .limit(throttle.limit)
            .all()
            .map(\.at)
        if let seconds = throttle.retryAfter(failures: recent, now: now) {
            throw AppError.throttled(retryAfter: seconds)
        }
    }

    /// Writes one attempt per key (committed at once, so concurrent requests see each other) and
    /// prunes records older than any window.
    private static func recordAttempt(keys: [String], now: Date, on db: any Database) async throws -> [UUID] {
        var ids: [UUID] = []
        for key in keys {
            let row = SignInFailure(key: key, at: now)
            try await row.create(on: db)
            ids.append(try row.requireID())
        }
        let horizon = now.addingTimeInterval(-max(SignInThrottle.perAccount.window, SignInThrottle.perAddress.window))
        try await SignInFailure.query(on: db).filter(\.$key ~~ keys).filter(\.$at < horizon).delete()
        return ids
    }

    /// At most one new link per five minutes and five a day, so nobody can flood an address
    /// that was registered by someone else.
    private static func resendConfirmation(to user: User, on request: Request) async throws {
        guard let email = user.email else { return }
        let now = request.now
        let recent = try await EmailConfirmation.query(on: request.db)
            .filter(\.$user.$id == user.requireID())
            .filter(\.$createdAt > now.addingTimeInterval(-confirmationResendInterval))
            .count()
        let today = try await EmailConfirmation.query(on: request.db)
            .filter(\.$user.$id == user.requireID())
            .filter(\.$createdAt > now.addingTimeInterval(-24 * 3600))
            .count()
        guard recent == 0, today < 5 else { return }
        let config = request.application.config
        try await request.db.transaction { db in
            let link = try await createConfirmation(for: user, email: email, on: db, now: now, config: config)
            try await MailOutbox.enqueue(
                to: email, subject: Strings.confirmationSubject,
                body: Strings.confirmationBody(name: user.personName.short, link: link), on: db, now: now)
        }
        request.application.mailWorker?.wake()
    }

    /// Starts a browser session: a random key in the cookie, its hash in the database.
    static func startSession(for user: User, on request: Request, response: Response) async throws {
        let key = Secrets.randomToken()
        let row = SessionRow()
        row.key = Secrets.hash(key)
        row.$user.id = try user.requireID()
        row.ip = request.clientAddress
        row.expiresAt = request.now.addingTimeInterval(request.application.config.sessionLifetime)
        try await row.create(on: request.db)
        let secure = request.isSecure
        response.cookies[Cookies.session] = HTTPCookies.Value(
            string: key, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
        // A new CSRF value after sign-in, so a value planted before it is worthless.
        response.cookies[Cookies.csrf] = CSRFMiddleware.cookie(Secrets.randomToken(), secure: secure)
    }

    static func endSession(on request: Request, response: Response) async throws {
        if let row = request.storage[CurrentSessionKey.self] {
            try await row.delete(on: request.db)
        }
        request.auth.logout(User.self)
        response.cookies[Cookies.session] = HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), path: "/", isHTTPOnly: true, sameSite: .lax)
    }

    /// Issues an API token; only its hash is stored.
    static func issueToken(for user: User, on request: Request) async throws -> (token: String, expiresAt: Date) {
        let token = Secrets.randomToken()
        let row = APIToken()
        row.$user.id = try user.requireID()
        row.tokenHash = Secrets.hash(token)
        row.expiresAt = request.now.addingTimeInterval(request.application.config.tokenLifetime)
        try await row.create(on: request.db)
        return (token, row.expiresAt)
    }
}
