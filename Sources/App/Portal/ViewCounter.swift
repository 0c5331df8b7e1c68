import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Page views of articles and FAQ entries, counted in memory and written in one short transaction every
/// few seconds: a popular answer read a thousand times a second must not take SQLite's single write lock a
/// thousand times. Views not yet written when the process is killed are lost; they only order lists.
final class ViewCounter: Sendable {
    enum Kind: String, Sendable {
        case article = "kb_articles"
        case faq = "faq_entries"
    }

    private let pending = NIOLockedValueBox<[Kind: [UUID: Int]]>([:])

    func count(_ kind: Kind, _ id: UUID) {
        pending.withLockedValue { $0[kind, default: [:]][id, default: 0] += 1 }
    }

    /// Writes what was counted (and forgets it); on failure it is counted again next time.
    func flush(on db: any Database) async throws {
        let taken = pending.withLockedValue { current in
            defer { current = [:] }
            return current
        }
        guard !taken.isEmpty, db is any SQLDatabase else { return }
        do {
            try await db.transaction { db in
                let sql = db as! any SQLDatabase
                for (kind, counts) in taken {
                    for (id, views) in counts {
                        try await sql.update(kind.rawValue).set(SQLIdentifier("views"), to: SQLRaw("views + \(views)"))
                            .where("id", .equal, id).run()
                    }
                }
            }
        } catch {
            pending.withLockedValue { current in
                for (kind, counts) in taken { for (id, views) in counts { current[kind, default: [:]][id, default: 0] += views } }
            }
            throw error
        }
    }
}

extension Application {
    private struct ViewCounterKey: StorageKey { typealias Value = ViewCounter }

    /// Set up once in `configure`, before any request can arrive (storage is not for concurrent first use).
    var viewCounter: ViewCounter {
        get { configured(ViewCounterKey.self) }
        set { storage[ViewCounterKey.self] = newValue }
    }
}

extension PeriodicLifecycle {
    /// Page views to the database every five seconds, and once more on shutdown.
    static var viewCounts: PeriodicLifecycle {
        PeriodicLifecycle("View counts", every: .seconds(5), onShutdown: true) { application in
            try await application.viewCounter.flush(on: application.db)
        }
    }
}
