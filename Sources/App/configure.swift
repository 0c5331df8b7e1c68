import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit
import Domain
import Leaf
import NIOSSL
import Vapor

/// Builds the application from one configuration value; `serve`, the CLI and tests all come here.
public func configure(_ app: Application, _ config: AppConfig) async throws {
    app.config = config
    app.logger.logLevel = config.logLevel
    if let directory = config.workingDirectory {
        app.directory = DirectoryConfiguration(workingDirectory: directory.hasSuffix("/") ? directory : directory + "/")
    }
    app.http.server.configuration.hostname = config.host
    app.http.server.configuration.port = config.port
    app.routes.defaultMaxBodySize = "1mb"

    try configureDatabase(app, config.database)
    app.calendarStore = CalendarStore(
        shipped: try ProductionCalendarFile.parse(
            Data(contentsOf: URL(fileURLWithPath: app.directory.resourcesDirectory + "Calendar/production-calendar.json")),
            timeZone: config.timeZone))
    app.routingCache = RoutingCache()
    app.assignmentGate = AssignmentGate()
    app.statisticsGate = AssignmentGate()
    app.viewCounter = ViewCounter()
    app.botCache = BotService.Cache()
    // A person types a question every few seconds at most; a script flooding the training queue does not.
    app.botRateLimits = ClientRateLimits(capacity: 20, perSecond: 0.5)
    app.publicRateLimits = config.rateLimits ? .standard() : PublicRateLimits()
    // A few chats (and transcript mails) in a row, then one a minute per client address.
    app.chatStartLimits = ClientRateLimits(capacity: 5, perSecond: 1.0 / 60)
    app.chatHub = ChatHub(
        fetch: { [weak app] topic, after in
            guard let app else { return [] }
            return try await ChatStore.messages(of: topic, after: after, on: app.db)
        }, delivered: app.metrics.chatFanout)
    app.lifecycle.use(ChatHubLifecycle(hub: app.chatHub))
    app.appealWriter = AppealWriter(region: config.regionCode, database: { [unowned app] in app.db })
    Migrations.register(on: app)

    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    app.dummyPasswordHash = try await app.password.async.hash(Secrets.randomToken())

    app.views.use(.leaf)
    app.leaf.cache.isEnabled = app.environment.isRelease

    // Middleware order: observation outermost so it sees every response, errors mapped next.
    app.middleware = Middlewares()
    app.middleware.use(RequestObservationMiddleware(metrics: app.metrics))
    app.middleware.use(RequestLoggingMiddleware(logLevel: .info))
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(AppErrorMiddleware())
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory, defaultFile: nil))

    if case .sqliteFile = config.database, let sql = app.db as? any SQLDatabase {
        // Write-ahead logging: readers never wait for the writer, and a commit costs one fsync of the
        // log instead of the rollback journal's several. It survives kill -9 like the default does.
        try await sql.raw("PRAGMA journal_mode=WAL").run()
    }
    if config.autoMigrate {
        if let schema = config.postgresSearchPath?.first, let sql = app.db as? any SQLDatabase {
            try await sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
        }
        try await app.autoMigrate()
    }
    try await ClassifierService.loadShippedIfEmpty(app)
    try await app.calendarStore.reload(on: app.db)
    // Another node starting at the same moment may be doing the same; either copy serves, so a clash is
    // logged, not fatal.
    do {
        try await SearchIndex.reindexTopics(on: app.db, now: app.clock.now())
    } catch {
        app.logger.warning("Topics were not re-indexed for search: \(String(reflecting: error))")
    }
    do {
        try await SearchIndex.reindexTemplates(on: app.db, now: app.clock.now())
    } catch {
        app.logger.warning("Claim templates were not re-indexed for search: \(String(reflecting: error))")
    }
    if config.seedPortal {
        do {
            try await PortalSeed.loadIfEmpty(app)
        } catch let problem as PortalSeed.Problem {
            // A broken shipped file is a packaging error: stop rather than serve half a knowledge base.
            throw problem
        } catch {
            app.logger.warning("The knowledge base was not seeded (another node may be doing it): \(String(reflecting: error))")
        }
    }
    if config.demo {
        try await DemoData.load(on: app.db, app: app)
    } else {
        try await ReferenceData.load(on: app.db)
        try await DemoData.setAccountsActive(false, on: app.db, logger: app.logger)
    }
    // After the reference data: the menu's first level is the spheres.
    do {
        try await BotMenuService.seedIfEmpty(on: app.db, now: app.clock.now())
    } catch {
        app.logger.warning("The bot's menu was not seeded (another node may be doing it): \(String(reflecting: error))")
    }

    if let oidc = config.oidc { app.oidcProvider = OIDCProvider(settings: oidc) }

    if config.backgroundJobs {
        // Without SMTP, demo mode writes mail to the log; a real installation keeps it in the outbox
        // (nothing is lost, nothing secret lands in logs) until SMTP_HOST is set.
        var transport: (any MailTransport)?
        if let smtp = config.smtp {
            transport = SMTPTransport(settings: smtp, eventLoopGroup: app.eventLoopGroup)
        } else if config.demo {
            transport = LogMailTransport(logger: app.logger)
        } else {
            app.logger.warning("SMTP_HOST is not set: outgoing mail stays in the outbox until it is configured")
        }
        if let transport {
            let worker = MailWorker(app: app, transport: transport, from: config.mailFrom, lease: config.mailLease)
            app.mailWorker = worker
            app.lifecycle.use(MailWorkerLifecycle(worker: worker))
        }
        let webhooks = WebhookWorker(app: app)
        app.webhookWorker = webhooks
        app.lifecycle.use(WebhookWorkerLifecycle(worker: webhooks))
        app.lifecycle.use(PeriodicLifecycle.housekeeping)
        app.lifecycle.use(PeriodicLifecycle.scheduledJobs)
        app.lifecycle.use(PeriodicLifecycle.statistics)
        app.lifecycle.use(PeriodicLifecycle.reportArchive)
        app.lifecycle.use(PeriodicLifecycle.viewCounts)
    }

    try routes(app)
    // Built once now, while nothing else touches the application's storage.
    _ = app.openAPI
    app.chatBus?.start(app: app)
}

func configureDatabase(_ app: Application, _ database: AppConfig.DatabaseConfig) throws {
    switch database {
    case .sqliteMemory:
        app.databases.use(.sqlite(.memory), as: .sqlite)
    case .sqliteFile(let path):
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        app.databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
    case .postgres(let url):
        var configuration = try SQLPostgresConfiguration(url: url)
        configuration.searchPath = app.config.postgresSearchPath
        app.databases.use(
            .postgres(configuration: configuration, maxConnectionsPerEventLoop: 4, sqlLogLevel: .trace), as: .psql)
        // Chat messages reach the other nodes through LISTEN/NOTIFY, one channel per schema.
        // NOTIFY channel names stop at 63 bytes: a long schema name is shortened and told apart by its hash.
        let channel = "consumerdesk_chat" + (app.config.postgresSearchPath?.first.map { schema in
            "_" + String(schema.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }.prefix(24)) + "_"
                + String(Secrets.hash(schema).prefix(8))
        } ?? "")
        app.chatBusChannel = channel
        app.chatNode = String(UUID().uuidString.prefix(8))
        let bus = PostgresChatBus(configuration: configuration.coreConfiguration, channel: channel, logger: app.logger)
        app.lifecycle.use(ChatBusLifecycle(bus: bus))
        app.chatBus = bus
    }
}

struct MailWorkerLifecycle: LifecycleHandler {
    let worker: MailWorker

    func didBootAsync(_ application: Application) async throws {
        await worker.start()
    }

    func shutdownAsync(_ application: Application) async {
        await worker.stop()
    }
}

extension Application {
    private struct DummyHashKey: StorageKey { typealias Value = String }

    /// A bcrypt hash of a random string with the configured cost: unknown logins are checked against
    /// it so that a failed sign-in takes as long whether or not the account exists.
    var dummyPasswordHash: String {
        get { storage[DummyHashKey.self] ?? "" }
        set { storage[DummyHashKey.self] = newValue }
    }
}

