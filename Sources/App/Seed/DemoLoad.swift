import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// `consumerdesk demo-load --appeals N`: fills the database with N realistic appeals in every state,
/// routed by the real rules, with terms on the production calendar, for benchmarks and for trying the
/// product at scale. Rows go in with multi-row inserts, a few hundred per statement, each batch its own
/// transaction; the folder counters are recounted and the planner statistics refreshed at the end.
struct DemoLoadCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "appeals", help: "How many appeals to add (default 10000)") var appeals: Int?
        @Option(name: "seed", help: "Random seed, for the same data every time (default 1)") var seed: Int?
        @Option(name: "documents", help: "Also add N searchable documents (for the search benchmark)") var documents: Int?
    }

    var help: String { "Adds N realistic appeals in every state (for benchmarks and trying the product at scale)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if let documents = signature.documents {
            guard documents > 0 else { throw ValidationFailure([FieldError("documents", .outOfRange)]) }
            try await DemoDocuments.load(documents, seed: UInt64(signature.seed ?? 1), app: app)
            if signature.appeals == nil { return }
        }
        let total = signature.appeals ?? 10_000
        guard total > 0 else { throw ValidationFailure([FieldError("appeals", .outOfRange)]) }
        let loader = try await DemoLoader(app: app, seed: UInt64(signature.seed ?? 1), reserving: total)
        let started = Date()
        var done = 0
        let batch = 300
        while done < total {
            let count = min(batch, total - done)
            try await loader.insert(count: count, on: app.db)
            done += count
            Self.progress(done, of: total, since: started)
        }
        FileHandle.standardError.write(Data("\n".utf8))
        context.console.print("Recounting workspace folders and refreshing planner statistics…")
        try await FolderCounts.recount(on: app.db)
        if let sql = app.db as? any SQLDatabase { try await sql.raw("ANALYZE").run() }
        context.console.success("Added \(total) appeals in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
        // The statistics' monthly sums, as the running server would fold them in the background.
        let folded = try await StatisticsStore.foldAll(app: app)
        context.console.success("Folded \(folded.count) changes into the statistics in \(String(format: "%.1f", folded.seconds)) s.")
    }

    static func progress(_ done: Int, of total: Int, since start: Date) {
        let width = 40
        let filled = width * done / total
        let rate = Double(done) / max(Date().timeIntervalSince(start), 0.001)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data(String(format: "\r%@ %d/%d (%.0f/s)", bar, done, total, rate).utf8))
    }
}

/// Generates the rows. Deterministic for a seed: the same N gives the same data.
final class DemoLoader {
    struct Place {
        var territory: UUID
        var name: String
        var lineage: [UUID]
    }

    let app: Application
    var random: SeededRandom
    let subcategories: [Subcategory]
    let places: [Place]
    let rules: [RoutingRule]
    var executors: [UUID: [UUID]] = [:]
    var routes: [String: UUID?] = [:]
    let calendar: ProductionCalendar
    let year: Int
    var nextSequence: Int
    let now = Date()

    static let surnames = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков"]
    static let names = ["Александр", "Мария", "Сергей", "Елена", "Дмитрий", "Анна", "Андрей", "Ольга", "Николай", "Татьяна"]
    static let sellers = ["ООО «Техномир»", "ИП Гаврилов", "АО «Волгатрейд»", "ООО «Уют-Сервис»", "ООО «Быстрый займ»", "ПАО «Связь-Юг»"]
    static let problems = [
        "Продавец отказался вернуть деньги за неисправный товар, ссылаясь на истечение срока.",
        "Управляющая компания не производит перерасчёт за некачественную услугу отопления.",
        "Кафе не выдало кассовый чек, цены в меню не соответствуют оплаченным.",
        "Микрофинансовая организация начисляет проценты сверх установленного законом предела.",
        "Мастерская затянула ремонт телефона на два месяца и не отвечает на претензию.",
        "Туроператор не вернул деньги за отменённый тур, ссылаясь на форс-мажор.",
        "Оператор связи подключил платные услуги без моего согласия.",
        "Перевозчик не возместил стоимость утерянного багажа.",
    ]

    init(app: Application, seed: UInt64, reserving total: Int) async throws {
        self.app = app
        random = SeededRandom(seed: seed)
        calendar = app.productionCalendar
        year = calendar.year(of: now)
        subcategories = try await Subcategory.query(on: app.db).filter(\.$isRetired == false).with(\.$category).all()
        guard !subcategories.isEmpty else { throw AppError.badRequest("The classifier is empty") }
        let territories = try await Territory.query(on: app.db).all()
        let parents = Dictionary(territories.compactMap { t in t.id.map { ($0, t.$parent.id) } }, uniquingKeysWith: { a, _ in a })
        places = territories.compactMap { territory in
            guard let id = territory.id else { return nil }
            var lineage = [id]
            while let parent = parents[lineage.last!] ?? nil, !lineage.contains(parent) { lineage.append(parent) }
            return Place(territory: id, name: territory.name, lineage: lineage)
        }
        rules = try await RoutingService.rules(on: app.db)
        // Reserve the numbers for the whole load at once; live submissions meanwhile take the ones after.
        guard let sql = app.db as? any SQLDatabase else { throw AppError.badRequest("SQL database required") }
        let region = app.config.regionCode
        try await sql.raw(
            "INSERT INTO appeal_counters (region, year, last) VALUES (\(bind: region), \(bind: year), 0) ON CONFLICT (region, year) DO NOTHING"
        ).run()
        let row = try await sql.raw(
            "UPDATE appeal_counters SET last = last + \(bind: total) WHERE region = \(bind: region) AND year = \(bind: year) RETURNING last"
        ).first()
        nextSequence = (try row?.decode(column: "last", as: Int.self) ?? total) - total + 1
    }

    func organisation(for subcategory: Subcategory, place: Place) -> UUID? {
        let key = "\(subcategory.code)|\(place.territory)"
        if let known = routes[key] { return known }
        let resolved: UUID? =
            switch Routing.resolve(
                subcategory: subcategory.code, category: subcategory.category.code, territoryLineage: place.lineage, rules: rules)
            {
            case .organisation(let id): id
            case .ambiguous(let ids): ids.first
            case .none: nil
            }
        routes[key] = resolved
        return resolved
    }

    func people(of organisation: UUID, on db: any Database) async throws -> [UUID] {
        if let known = executors[organisation] { return known }
        let found = try await AssignmentService.executors(of: organisation, on: db).compactMap(\.id)
        executors[organisation] = found
        return found
    }

    static let columns = [
        "id", "number", "year", "sequence", "channel", "status", "subcategory_id", "subcategory_version", "category_code",
        "category_name", "subcategory_code", "subcategory_name", "kind", "fast_track", "answer_days", "day_type", "surname", "name",
        "patronymic", "phone", "email", "locality", "conflict_name", "text", "problem_address", "territory_id", "answers",
        "executor_organisation_id", "reject_reason", "registered_at", "moderation_due_at", "answer_due_at", "consent_at",
        "lock_version", "updated_at", "executor_id", "assigned_at", "taken_at", "delegated_by_rule", "stage", "returned", "folder",
        "coordination_due_at", "postponed_until", "awaiting_citizen", "outcome", "answered_at", "rating", "rated_at",
        "curator_attention", "sphere", "help_kind", "money_returned", "postponements", "conflict_inn",
    ]

    /// Help as it is given: mostly written answers, then claims, now and then a suit or a hearing.
    static let helps: [HelpKind] = [
        .writtenConsultation, .writtenConsultation, .writtenConsultation, .oralConsultation, .claimHelp, .claimHelp, .lawsuit,
        .court, .redirect,
    ]
    /// Valid taxpayer numbers of a few sellers (checksums as domain.md §5), so the hotspots find companies.
    static let sellerINNs = ["7707083893", "7736207543", "7702070139", "3444049638", "3435000467"]

    /// State shares of a year's register: most appeals are long answered, a few are still moving.
    static let states: [(AppealStatus, ReturnKind?, Int)] = [
        (.moderation, nil, 3), (.rejected, nil, 3), (.coordination, nil, 4), (.coordination, .fromOrganisation, 1),
        (.inWork, nil, 12), (.inWork, .withinOrganisation, 2), (.postponed, nil, 2), (.answerReview, nil, 3),
        (.answered, nil, 20), (.closed, nil, 50),
    ]

    func insert(count: Int, on db: any Database) async throws {
        var rows: [[any SQLExpression]] = []
        rows.reserveCapacity(count)
        let span = now.timeIntervalSince(calendar.start(of: LocalDate(year, 1, 1)))
        let stateTotal = Self.states.map(\.2).reduce(0, +)
        let channels: [IntakeChannel] = [.portal, .portal, .portal, .api, .widget, .hotline, .chat, .open311]
        for _ in 0..<count {
            let sequence = nextSequence
            nextSequence += 1
            let subcategory = subcategories[random.next(subcategories.count)]
            let place = places[random.next(places.count)]
            var pick = random.next(stateTotal)
            var state = Self.states[0]
            for candidate in Self.states {
                if pick < candidate.2 { state = candidate; break }
                pick -= candidate.2
            }
            let (status, returned, _) = state
            // Open appeals are recent; answered ones anywhere in the year.
            let age = [.answered, .closed, .rejected].contains(status) ? random.unit() * span : random.unit() * min(span, 40 * 86_400)
            let registered = now.addingTimeInterval(-age)
            let organisation = status == .moderation && random.next(10) == 0 ? nil : organisation(for: subcategory, place: place)
            let staff = try await organisation.asyncFlatMap { try await people(of: $0, on: db) } ?? []
            let hasExecutor = [.inWork, .postponed, .answerReview, .answered, .closed].contains(status)
            let executor = hasExecutor && !staff.isEmpty ? staff[random.next(staff.count)] : nil
            let answered = [.answered, .closed].contains(status)
            let answerDue = calendar.due(from: registered, days: subcategory.answerDays, type: subcategory.dayType)
            let answeredAt = answered ? min(now, registered.addingTimeInterval(random.unit() * max(answerDue.timeIntervalSince(registered), 3600) * 1.1)) : nil
            let rating = status == .closed ? 1 + random.next(5) : nil
            let surname = Self.surnames[random.next(Self.surnames.count)]
            let text = Self.problems[random.next(Self.problems.count)] + " Обращение \(sequence)."
            let folder = WorkspaceFolder.of(status: status, returned: returned)
            let outcome = answered ? AnswerOutcome.allCases[random.next(AnswerOutcome.allCases.count)] : nil
            let help = answered ? Self.helps[random.next(Self.helps.count)] : nil
            let money = outcome == .satisfied || outcome == .partly ? (random.next(3) == 0 ? 0 : 100 * (500 + random.next(50_000))) : nil
            let values: [(any Encodable & Sendable)?] = [
                UUID(), RegistrationNumber(region: app.config.regionCode, year: year, sequence: sequence).description, year, sequence,
                channels[random.next(channels.count)].rawValue, status.rawValue, subcategory.id, subcategory.version,
                subcategory.category.code, subcategory.category.name, subcategory.code, subcategory.name, subcategory.kind.rawValue,
                subcategory.fastTrack, subcategory.answerDays, subcategory.dayType.rawValue, surname,
                Self.names[random.next(Self.names.count)], "Петрович", "+7917\(String(format: "%07d", random.next(10_000_000)))",
                "user\(sequence)@example.test", place.name, Self.sellers[random.next(Self.sellers.count)], text,
                "г. Волгоград, ул. Мира, д. \(1 + random.next(120))", place.territory, "{}", organisation,
                status == .rejected ? RejectReason.allCases[random.next(RejectReason.allCases.count)].rawValue : nil, registered,
                calendar.due(from: registered, days: subcategory.moderationDays, type: .working), answerDue, registered, 1, registered,
                executor, executor.map { _ in registered.addingTimeInterval(3600) },
                executor.map { _ in registered.addingTimeInterval(7200) }, executor != nil && random.next(5) == 0,
                folder == nil ? nil : (random.next(6) == 0 ? AppealStage.fromHigher.rawValue : AppealStage.afterModeration.rawValue),
                returned?.rawValue, folder?.rawValue,
                folder == nil ? nil : calendar.due(from: registered, days: subcategory.coordinationDays, type: .working),
                status == .postponed ? calendar.localDate(of: answerDue).description : nil, false,
                outcome?.rawValue, answeredAt, rating,
                rating.map { _ in min(now, (answeredAt ?? registered).addingTimeInterval(86_400)) },
                (rating ?? 5) <= ProcessingTerms.lowRating && random.next(3) == 0,
                subcategory.category.sphere, help?.rawValue, money, status == .postponed ? 1 + random.next(2) : 0,
                random.next(3) == 0 ? Self.sellerINNs[random.next(Self.sellerINNs.count)] : nil,
            ]
            rows.append(values.map { value in value.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null })
        }
        let finalRows = rows
        try await db.transaction { db in
            guard let sql = db as? any SQLDatabase else { return }
            var insert = sql.insert(into: "appeals").columns(Self.columns)
            for row in finalRows { insert = insert.values(row) }
            try await insert.run()
        }
    }
}

/// SplitMix64: a tiny, fast generator with a seed, so a load can be repeated exactly.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func nextRaw() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(_ bound: Int) -> Int { Int(nextRaw() % UInt64(bound)) }
    mutating func unit() -> Double { Double(nextRaw() >> 11) / Double(1 << 53) }
}

/// Synthetic portal documents for the search benchmark, in the same table and index real articles use,
/// inserted in batches. Each is a title and eight sentences drawn from the shipped knowledge base
/// (Resources/Portal), so words are as common or rare as they are in real consumer-law texts — a corpus of
/// a dozen phrases would put every word in a third of all documents, which no knowledge base does.
enum DemoDocuments {
    struct Corpus {
        var titles: [String]
        var sentences: [String]
    }

    static func corpus(_ app: Application) throws -> Corpus {
        let content = try PortalSeed.prepare(PortalSeed.directory(app))
        let texts = content.articles.map { Markdown.plainText($0.0.body) } + content.faq.map { Markdown.plainText($0.0.answer) }
        let sentences = texts.flatMap { text in
            text.split(whereSeparator: { ".!?\n".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count > 20 }
        }
        let titles = content.articles.map(\.0.title) + content.faq.map(\.0.question)
        return Corpus(titles: titles, sentences: sentences)
    }

    static func load(_ total: Int, seed: UInt64, app: Application) async throws {
        var random = SeededRandom(seed: seed)
        let corpus = try corpus(app)
        let started = Date()
        var done = 0
        while done < total {
            let count = min(500, total - done)
            var rows: [[any SQLExpression]] = []
            var fts: [[any SQLExpression]] = []
            for index in done..<(done + count) {
                let title = corpus.titles[random.next(corpus.titles.count)]
                let body = (0..<8).map { _ in corpus.sentences[random.next(corpus.sentences.count)] }.joined(separator: ". ") + "."
                let id = UUID()
                let terms = SearchIndex.documentTerms(title: title, body: body)
                let kind = index % 3 == 0 ? "faq" : "article"
                rows.append([
                    SQLBind(id), SQLBind(kind), SQLBind("demo-\(index)"), SQLBind(title), SQLBind(body), SQLBind(terms),
                    SQLBind("/kb/demo-\(index)"), SQLBind(Date()),
                ])
                fts.append([SQLBind(kind), SQLBind(terms)])
            }
            let (batch, ftsBatch) = (rows, fts)
            try await app.db.transaction { db in
                let sql = db as! any SQLDatabase
                let sqlite = sql.dialect.name != "postgresql"
                let first = sqlite ? try await SearchIndex.FTS.nextRowID(on: sql) : 0
                var insert = sql.insert(into: "search_documents").columns("id", "kind", "ref", "title", "body", "terms", "url", "updated_at", "fts_rowid")
                for (offset, row) in batch.enumerated() { insert = insert.values(row + [SQLBind(sqlite ? first + Int64(offset) : nil)]) }
                try await insert.run()
                if sqlite {
                    var ftsInsert = sql.insert(into: "search_fts").columns("rowid", "kind", "terms")
                    for (offset, row) in ftsBatch.enumerated() { ftsInsert = ftsInsert.values([SQLBind(first + Int64(offset))] + row) }
                    try await ftsInsert.run()
                }
            }
            done += count
            DemoLoadCommand.progress(done, of: total, since: started)
        }
        FileHandle.standardError.write(Data("\n".utf8))
        if let sql = app.db as? any SQLDatabase { try await sql.raw("ANALYZE").run() }
    }
}
