import Domain
import Fluent
import Foundation
import Vapor

/// Who may see which events, and the lists the pages show.
enum EventQueries {
    static let pageSize = 30
    static let feedSize = 500

    /// What the person looking may see beyond published public events.
    struct Viewer {
        /// Editors (and admins) see everything, drafts included.
        var editor: Bool
        /// Staff see the joint events their organisations take part in; platform-wide staff see all.
        var organisations: Set<UUID>
        var allJoint: Bool

        static let anonymous = Viewer(editor: false, organisations: [], allJoint: false)
    }

    static func viewer(_ request: Request) async throws -> Viewer {
        guard request.currentUser != nil, let actor = try? await request.requireActor(), actor.isStaff else { return .anonymous }
        let tree = try await OrganisationQueries.tree(on: request.db)
        let editor = Policy.permitsAnywhere(actor, .editContent, tree: tree)
        let staff = actor.grants.filter { $0.role.isStaff }
        return Viewer(
            editor: editor, organisations: Set(staff.compactMap(\.organisationID).filter { !tree.inactive.contains($0) }),
            allJoint: editor || staff.contains { $0.organisationID == nil && $0.role.mayBePlatformWide })
    }

    static func organisers(of events: [UUID], on db: any Database) async throws -> [UUID: [UUID]] {
        guard !events.isEmpty else { return [:] }
        let rows = try await EventOrganiser.query(on: db).filter(\.$eventID ~~ events).all()
        return Dictionary(grouping: rows, by: \.eventID).mapValues { $0.map(\.organisationID) }
    }

    static func mayView(_ event: Event, organisers: [UUID], viewer: Viewer) -> Bool {
        if viewer.editor { return true }
        guard event.status != .draft else { return false }
        switch event.audience {
        case .public: return true
        case .joint: return viewer.allJoint || !viewer.organisations.isDisjoint(with: organisers)
        }
    }

    /// Events in a time window (`from` ..< `to`, by start) that the viewer may see, in start order; `after`
    /// pages on after the last one shown.
    static func window(
        from: Date?, to: Date?, after: (Date, UUID)? = nil, descending: Bool = false, sphere: String?, organisation: UUID?,
        viewer: Viewer, limit: Int, on db: any Database
    ) async throws -> [Event] {
        var query = Event.query(on: db)
        if !viewer.editor { query = query.filter(\.$status != .draft) }
        if !viewer.allJoint {
            let mine = try await EventOrganiser.query(on: db).filter(\.$organisationID ~~ Array(viewer.organisations)).all().map(\.eventID)
            query = query.group(.or) { group in
                group.filter(\.$audience == .public)
                if !mine.isEmpty { group.filter(\.$id ~~ mine) }
            }
        }
        if let from { query = query.filter(\.$startsAt >= from) }
        if let to { query = query.filter(\.$startsAt < to) }
        if let sphere { query = query.filter(\.$sphere == sphere) }
        if let organisation {
            query = query.join(EventOrganiser.self, on: \Event.$id == \EventOrganiser.$eventID)
                .filter(EventOrganiser.self, \.$organisationID == organisation)
        }
        if let (at, id) = after {
            query = query.group(.or) { group in
                group.filter(\.$startsAt, descending ? .lessThan : .greaterThan, at)
                    .group(.and) { $0.filter(\.$startsAt == at).filter(\.$id, descending ? .lessThan : .greaterThan, id) }
            }
        }
        return try await query.sort(\.$startsAt, descending ? .descending : .ascending)
            .sort(\.$id, descending ? .descending : .ascending).limit(limit).all()
    }

    /// Public events the calendar feed carries: from three months back, published or cancelled (so a
    /// subscribed calendar learns of a cancellation).
    static func feed(sphere: String?, organisation: UUID?, now: Date, on db: any Database) async throws -> [Event] {
        var query = Event.query(on: db).filter(\.$audience == .public).filter(\.$status != .draft)
            .filter(\.$startsAt >= now.addingTimeInterval(-92 * 86400))
        if let sphere { query = query.filter(\.$sphere == sphere) }
        if let organisation {
            query = query.join(EventOrganiser.self, on: \Event.$id == \EventOrganiser.$eventID)
                .filter(EventOrganiser.self, \.$organisationID == organisation)
        }
        return try await query.sort(\.$startsAt).limit(feedSize).all()
    }

    /// Events held in a period (published, ended) with their attendees: the statistics' figures.
    struct Held: Equatable {
        var events: Int
        var attendees: Int
    }

    static func held(from: Date, to: Date, organisations: Set<UUID>?, now: Date, on db: any Database) async throws -> Held {
        var query = Event.query(on: db).filter(\.$status == .published)
            .filter(\.$startsAt >= from).filter(\.$startsAt < to).filter(\.$endsAt <= now)
        if let organisations {
            guard !organisations.isEmpty else { return Held(events: 0, attendees: 0) }
            let ids = try await EventOrganiser.query(on: db).filter(\.$organisationID ~~ Array(organisations)).all().map(\.eventID)
            guard !ids.isEmpty else { return Held(events: 0, attendees: 0) }
            query = query.filter(\.$id ~~ Array(Set(ids)))
        }
        let events = try await query.field(\.$id).field(\.$attendees).all()
        return Held(events: events.count, attendees: events.reduce(0) { $0 + ($1.attendees ?? 0) })
    }
}
