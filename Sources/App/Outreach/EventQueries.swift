import Domain
import Fluent
import Foundation
import Vapor

/// Who may see which events, and the lists the pages show.
enum EventQueries {
    static let pageSize = 30
    static let feedSize = 500

    /// What the person looking may see and do beyond reading published public events.
    struct Viewer {
        /// The organisations of the person's staff grants: they see those organisations' joint events.
        var staffOrganisations: Set<UUID>
        /// Where the person edits content (their editor or admin grants' reach): they plan, change and
        /// cancel events organised there, drafts included, and see who signed up.
        var manages: Set<UUID>
        /// A platform-wide editor or admin: every event.
        var managesAll: Bool
        /// Platform-wide staff (a curator, a moderator): every joint event, read only.
        var seesAllJoint: Bool

        static let anonymous = Viewer(staffOrganisations: [], manages: [], managesAll: false, seesAllJoint: false)

        var isEditor: Bool { managesAll || !manages.isEmpty }

        func mayManage(_ organisers: [UUID]) -> Bool { managesAll || !manages.isDisjoint(with: organisers) }
    }

    private struct ViewerKey: StorageKey { typealias Value = Viewer }

    /// Worked out once per request (pages ask for it while finding the event and again while drawing it).
    static func viewer(_ request: Request) async throws -> Viewer {
        if let known = request.storage[ViewerKey.self] { return known }
        let viewer = try await makeViewer(request)
        request.storage[ViewerKey.self] = viewer
        return viewer
    }

    private static func makeViewer(_ request: Request) async throws -> Viewer {
        guard request.currentUser != nil, let actor = try? await request.requireActor(), actor.isStaff else { return .anonymous }
        let tree = try await OrganisationQueries.tree(on: request.db)
        let staff = actor.grants.filter { $0.role.isStaff }
        let platformWide = staff.contains { $0.organisationID == nil && $0.role.mayBePlatformWide }
        let managesAll = actor.grants.contains { $0.organisationID == nil && Policy.rules[.editContent]?[$0.role] != nil && $0.role.mayBePlatformWide }
        return Viewer(
            staffOrganisations: Set(staff.compactMap(\.organisationID).filter { !tree.inactive.contains($0) }),
            manages: managesAll ? [] : Set(tree.ids.filter { Policy.permits(actor, .editContent, in: .organisation($0), tree: tree) }),
            managesAll: managesAll, seesAllJoint: platformWide)
    }

    static func organisers(of events: [UUID], on db: any Database) async throws -> [UUID: [UUID]] {
        guard !events.isEmpty else { return [:] }
        let rows = try await EventOrganiser.query(on: db).filter(\.$eventID ~~ events).all()
        return Dictionary(grouping: rows, by: \.eventID).mapValues { $0.map(\.organisationID) }
    }

    /// The events organised (or co-organised) by any of these organisations.
    static func organisedBy(_ organisations: Set<UUID>, on db: any Database) async throws -> [UUID] {
        guard !organisations.isEmpty else { return [] }
        return Array(Set(try await EventOrganiser.query(on: db).filter(\.$organisationID ~~ Array(organisations)).all().map(\.eventID)))
    }

    static func mayView(_ event: Event, organisers: [UUID], viewer: Viewer) -> Bool {
        if viewer.mayManage(organisers) { return true }
        guard event.status != .draft else { return false }
        switch event.audience {
        case .public: return true
        case .joint: return viewer.seesAllJoint || !viewer.staffOrganisations.isDisjoint(with: organisers)
        }
    }

    /// Events in a time window (`from` ..< `to`, by start) that the viewer may see, in start order; `after`
    /// pages on after the last one shown.
    static func window(
        from: Date?, to: Date?, endingAfter: Date? = nil, endedBy: Date? = nil, after: (Date, UUID)? = nil, descending: Bool = false, sphere: String?, organisation: UUID?,
        viewer: Viewer, limit: Int, on db: any Database
    ) async throws -> [Event] {
        var query = Event.query(on: db)
        if !viewer.managesAll {
            let managed = try await organisedBy(viewer.manages, on: db)
            let joint = viewer.seesAllJoint ? [] : try await organisedBy(viewer.staffOrganisations, on: db)
            let seesAllJoint = viewer.seesAllJoint
            query = query.group(.or) { group in
                // Published public events (and, for platform-wide staff, every published joint one) …
                group.group(.and) { and in
                    and.filter(\.$status != .draft)
                    if !seesAllJoint { and.filter(\.$audience == .public) }
                }
                // … the published joint events of one's organisations, and everything one manages.
                if !joint.isEmpty { group.group(.and) { $0.filter(\.$status != .draft).filter(\.$id ~~ joint) } }
                if !managed.isEmpty { group.filter(\.$id ~~ managed) }
            }
        }
        if let from { query = query.filter(\.$startsAt >= from) }
        if let endingAfter { query = query.filter(\.$endsAt > endingAfter) }
        if let endedBy { query = query.filter(\.$endsAt <= endedBy) }
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
        // The latest ones when there are too many: a subscribed calendar needs what is ahead.
        return try await query.sort(\.$startsAt, .descending).limit(feedSize).all().reversed()
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
