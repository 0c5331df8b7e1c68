import Domain
import Foundation
import Vapor

/// All configuration, decoded once from environment variables (README «Configuration» lists them).
/// Tests build the same app from a value of this type, with an in-memory database.
public struct AppConfig: Sendable {
    public enum DatabaseConfig: Sendable, Equatable {
        case sqliteFile(path: String)
        case sqliteMemory
        case postgres(url: String)
    }

    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var database: DatabaseConfig = .sqliteFile(path: "data/consumerdesk.sqlite")
    /// Load reference and demo data on start and print the demo passwords.
    public var demo: Bool = true
    /// Run migrations on start (the CLI `migrate` command does it on demand otherwise).
    public var autoMigrate: Bool = true
    /// The address people reach the product at; used in links sent by email.
    public var publicURL: String = "http://127.0.0.1:8080"
    public var smtp: SMTPSettings?
    public var mailFrom: String = "ConsumerDesk <noreply@consumerdesk.local>"
    /// How long a node holds a mail it is sending before another may try it (MAIL_LEASE_SECONDS). Longer
    /// than the worst SMTP conversation, so that a live send never loses its claim; a node killed
    /// mid-send delays that mail by this much.
    public var mailLease: TimeInterval = 15 * 60
    /// Run the outbox worker and housekeeping in this process (tests drive them by hand).
    public var backgroundJobs: Bool = true
    /// Mark the session cookie `Secure` (set when served over HTTPS behind a proxy).
    public var secureCookies: Bool = false
    public var sessionLifetime: TimeInterval = 12 * 3600
    public var tokenLifetime: TimeInterval = 30 * 24 * 3600
    public var logLevel: Logger.Level = .info
    /// Limit the public endpoints per client (`PublicRateLimits`); off only for load tests (RATE_LIMITS).
    public var rateLimits: Bool = true
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you run).
    public var trustForwardedFor: Bool = false
    /// Working directory holding Resources/ and Public/.
    public var workingDirectory: String?
    /// bcrypt work factor; tests lower it to keep hashing fast (still real bcrypt).
    public var bcryptCost: Int = 12
    /// Region code in appeal numbers (`34-2026-000123`): 34 is Volgograd oblast.
    public var regionCode: Int = 34
    /// The region's time zone: days and deadlines are counted in it (REGION_TIME_ZONE).
    public var timeZone: TimeZone = TimeZone(identifier: "Europe/Volgograd")!
    /// When operators take chats (`CHAT_HOURS`: `09:00-18:00` on working days, `always`, `never`).
    public var chatHours: ChatHours = .standard
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// Where appeal attachments are kept (outside the database). Back it up with the database.
    public var attachmentsDirectory: String = "data/attachments"
    /// PostgreSQL schema search path (tests run each app in its own schema).
    public var postgresSearchPath: [String]?
    /// Load the shipped knowledge base (Resources/Portal) into an empty one on start. Always on in the
    /// product; tests that check exact search results start without it.
    public var seedPortal: Bool = true
    /// Sign-in through an OpenID Connect provider (ЕСИА or another); off unless OIDC_ISSUER is set.
    public var oidc: OIDCSettings?

    public init() {}

    /// Reads the process environment. Unknown or malformed values stop the start with a clear message
    /// rather than being silently ignored.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfig {
        var config = AppConfig()
        if let host = env["HOST"]?.nonEmpty { config.host = host }
        if let port = env["PORT"]?.nonEmpty {
            guard let value = Int(port), (1...65535).contains(value) else { throw ConfigError.invalid("PORT", port) }
            config.port = value
        }
        if let url = env["DATABASE_URL"]?.nonEmpty {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw ConfigError.invalid("DATABASE_URL", "only postgres:// URLs are supported")
            }
            config.database = .postgres(url: url)
            config.demo = false
        } else if let path = env["SQLITE_PATH"]?.nonEmpty {
            config.database = path == ":memory:" ? .sqliteMemory : .sqliteFile(path: path)
        }
        if let directory = env["ATTACHMENTS_DIR"]?.nonEmpty { config.attachmentsDirectory = directory }
        if let demo = env["DEMO"]?.nonEmpty { config.demo = try bool("DEMO", demo) }
        if let value = env["AUTO_MIGRATE"]?.nonEmpty { config.autoMigrate = try bool("AUTO_MIGRATE", value) }
        config.publicURL = env["PUBLIC_URL"]?.nonEmpty ?? "http://\(config.host):\(config.port)"
        while config.publicURL.hasSuffix("/") { config.publicURL.removeLast() }
        if let smtpHost = env["SMTP_HOST"]?.nonEmpty {
            var port = 587
            if let raw = env["SMTP_PORT"]?.nonEmpty {
                guard let value = Int(raw), (1...65535).contains(value) else { throw ConfigError.invalid("SMTP_PORT", raw) }
                port = value
            }
            var security = SMTPSettings.Security.startTLSIfAvailable
            if let raw = env["SMTP_SECURITY"]?.nonEmpty {
                guard let value = SMTPSettings.Security(rawValue: raw) else {
                    throw ConfigError.invalid("SMTP_SECURITY", "\(raw) (none, starttls, starttls-required, tls)")
                }
                security = value
            }
            config.smtp = SMTPSettings(
                host: smtpHost, port: port, username: env["SMTP_USERNAME"]?.nonEmpty,
                password: env["SMTP_PASSWORD"]?.nonEmpty, security: security)
        }
        if let from = env["MAIL_FROM"]?.nonEmpty { config.mailFrom = from }
        if let value = env["MAIL_LEASE_SECONDS"]?.nonEmpty {
            guard let seconds = Double(value), seconds >= 1 else { throw ConfigError.invalid("MAIL_LEASE_SECONDS", value) }
            config.mailLease = seconds
        }
        if let value = env["SECURE_COOKIES"]?.nonEmpty { config.secureCookies = try bool("SECURE_COOKIES", value) }
        if let value = env["SESSION_HOURS"]?.nonEmpty {
            guard let hours = Double(value), hours > 0 else { throw ConfigError.invalid("SESSION_HOURS", value) }
            config.sessionLifetime = hours * 3600
        }
        if let value = env["TOKEN_DAYS"]?.nonEmpty {
            guard let days = Double(value), days > 0 else { throw ConfigError.invalid("TOKEN_DAYS", value) }
            config.tokenLifetime = days * 24 * 3600
        }
        if let value = env["LOG_LEVEL"]?.nonEmpty {
            guard let level = Logger.Level(rawValue: value) else { throw ConfigError.invalid("LOG_LEVEL", value) }
            config.logLevel = level
        }
        if let value = env["RATE_LIMITS"]?.nonEmpty { config.rateLimits = try bool("RATE_LIMITS", value) }
        if let value = env["TRUST_FORWARDED_FOR"]?.nonEmpty {
            config.trustForwardedFor = try bool("TRUST_FORWARDED_FOR", value)
        }
        config.workingDirectory = env["WORKDIR"]?.nonEmpty
        if let issuer = env["OIDC_ISSUER"]?.nonEmpty {
            guard let url = URLComponents(string: issuer), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigError.invalid("OIDC_ISSUER", issuer)
            }
            guard let client = env["OIDC_CLIENT_ID"]?.nonEmpty else {
                throw ConfigError.invalid("OIDC_CLIENT_ID", "required with OIDC_ISSUER")
            }
            var settings = OIDCSettings(issuer: issuer, clientID: client, clientSecret: env["OIDC_CLIENT_SECRET"]?.nonEmpty)
            if let scope = env["OIDC_SCOPE"]?.nonEmpty {
                guard scope.split(separator: " ").contains("openid") else { throw ConfigError.invalid("OIDC_SCOPE", "must include openid") }
                settings.scope = scope
            }
            if let name = env["OIDC_NAME"]?.nonEmpty { settings.displayName = name }
            config.oidc = settings
        }
        // Demo accounts share a published password: on by default only for a purely local run — not
        // when listening elsewhere, published under another address, or behind a proxy.
        if env["DEMO"]?.nonEmpty == nil {
            let local = ["127.0.0.1", "localhost", "::1"]
            let publicHost = URLComponents(string: config.publicURL)?.host ?? ""
            if !local.contains(config.host) || !local.contains(publicHost) || config.trustForwardedFor
                || config.secureCookies
            {
                config.demo = false
            }
        }
        config.metricsToken = env["METRICS_TOKEN"]?.nonEmpty
        if let value = env["REGION_CODE"]?.nonEmpty {
            guard let code = Int(value), (1...99).contains(code) else { throw ConfigError.invalid("REGION_CODE", value) }
            config.regionCode = code
        }
        if let value = env["REGION_TIME_ZONE"]?.nonEmpty {
            guard let zone = TimeZone(identifier: value) else { throw ConfigError.invalid("REGION_TIME_ZONE", value) }
            config.timeZone = zone
        }
        if let schema = env["DATABASE_SCHEMA"]?.nonEmpty { config.postgresSearchPath = [schema] }
        if let value = env["CHAT_HOURS"]?.nonEmpty {
            guard let hours = ChatHours(value) else { throw ConfigError.invalid("CHAT_HOURS", value) }
            config.chatHours = hours
        }
        if let value = env["BCRYPT_COST"]?.nonEmpty {
            guard let cost = Int(value), (4...31).contains(cost) else { throw ConfigError.invalid("BCRYPT_COST", value) }
            config.bcryptCost = cost
        }
        return config
    }

    private static func bool(_ name: String, _ value: String) throws -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError.invalid(name, value)
        }
    }

    /// An in-memory configuration for tests: no mail worker, no demo printing.
    public static func testing(database: DatabaseConfig) -> AppConfig {
        var config = AppConfig()
        config.database = database
        config.demo = false
        config.seedPortal = false
        config.backgroundJobs = false
        config.publicURL = "http://127.0.0.1:8080"
        config.logLevel = .warning
        config.bcryptCost = 4
        // Each test app keeps its files apart; `withApp` removes the directory afterwards.
        config.attachmentsDirectory = NSTemporaryDirectory() + "consumerdesk-tests/" + UUID().uuidString
        return config
    }
}

public enum ConfigError: Error, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let name, let value): "Invalid value for \(name): \(value)"
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

extension Application {
    /// A service `configure` sets up before any request can arrive; reading it earlier is a bug.
    func configured<Key: StorageKey>(_ key: Key.Type) -> Key.Value {
        guard let value = storage[key] else { fatalError("configure() sets up \(Key.Value.self) before use") }
        return value
    }
}

/// The OpenID Connect provider citizens may sign in with. The redirect URI registered with it is
/// `PUBLIC_URL/auth/oidc/callback`.
public struct OIDCSettings: Sendable, Hashable {
    /// Exactly as the provider's discovery document states it (the id_token's `iss` must equal it).
    public var issuer: String
    public var clientID: String
    /// Sent with HTTP Basic to the token endpoint; a public client (PKCE only) has none.
    public var clientSecret: String?
    public var scope = "openid profile email phone"
    /// The button's words: «Войти через …».
    public var displayName = "Госуслуги"

    public init(issuer: String, clientID: String, clientSecret: String?) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}
