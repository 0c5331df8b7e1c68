/// Who may use each route, kept as data beside the policy: the authorisation matrix test walks every
/// route of the application × every demo role × an object of their own organisation, of another, and
/// anonymously, and checks the answer against `RouteAccess.allows`. A route missing here fails that test,
/// and so does an entry for a route that no longer exists.
public enum RouteRule: Sendable, Hashable {
    /// Open to everyone, anonymous callers included (the portal, feeds, sign-in, the public API).
    case anyone
    /// Any signed-in account, citizens included.
    case signedIn
    /// Any staff member: a staff role platform-wide or in an active organisation.
    case staff
    /// Holders of any of these actions somewhere (`Policy.permitsAnywhere`).
    case anywhere([Action])
    /// Holders of the action platform-wide: region-wide reference data.
    case platform(Action)
    /// Holders of the action in the organisation of the object the path names.
    case scoped(Action, Subject)
    /// The citizen whose appeal it is, and holders of the action in the appeal's organisation.
    case ownerOr(Action, Subject)
    /// The citizen whose appeal it is, and nobody else.
    case owner(Subject)
    /// The person themselves, and holders of the action in their organisation.
    case selfOr(Action, Subject)
    /// A secret in the link (a rating, claim, chat or cancellation key, a partner's API key): without it
    /// everybody is refused, staff and admins included.
    case secret
    /// Statistics: staff whose roles read statistics (`StatisticsAccess.reach` is not `.none`).
    case statistics
    /// The region's figures (the municipal rating): platform-wide staff and the regional office.
    case regionStatistics

    public static func anywhere(_ action: Action) -> RouteRule { .anywhere([action]) }
}

/// What a route's path parameter names, so the matrix can place it in an organisation.
public enum Subject: String, Sendable, Hashable, CaseIterable {
    /// An appeal (`:number`); its organisation is the executor organisation (the platform while none).
    case appeal
    /// The staff thread about an appeal (`:id` of the channel); as the appeal.
    case appealThread
    /// An organisation (`:id`).
    case organisation
    /// A staff member (`:id`, `:user`); their organisation is that of their grants.
    case user
    /// An event (`:id`); its organisations are its organisers.
    case event
}

public enum RouteAccess {
    /// The caller and the object, as far as the rule needs them.
    public struct Case: Sendable {
        public var actor: Actor?
        public var tree: OrganisationTree
        /// Organisations whose staff see the region's figures (the regional office).
        public var regionWide: Set<OrganisationID>
        /// The organisation the path's object belongs to; nil for an object of the platform.
        public var subjectOrganisation: OrganisationID?
        /// The caller is the citizen whose appeal it is / the person the path names.
        public var isOwner: Bool

        public init(
            actor: Actor?, tree: OrganisationTree, regionWide: Set<OrganisationID>, subjectOrganisation: OrganisationID?,
            isOwner: Bool
        ) {
            self.actor = actor
            self.tree = tree
            self.regionWide = regionWide
            self.subjectOrganisation = subjectOrganisation
            self.isOwner = isOwner
        }

        var scope: Scope { subjectOrganisation.map(Scope.organisation) ?? .platform }
    }

    /// Whether the rule lets the caller through.
    public static func allows(_ rule: RouteRule, _ c: Case) -> Bool {
        if rule == .anyone { return true }
        guard let actor = c.actor else { return false }
        switch rule {
        case .anyone: return true
        case .signedIn: return true
        case .staff: return Policy.isActiveStaff(actor, tree: c.tree)
        case .anywhere(let actions): return actions.contains { Policy.permitsAnywhere(actor, $0, tree: c.tree) }
        case .platform(let action): return Policy.permits(actor, action, in: .platform, tree: c.tree)
        case .scoped(let action, _): return Policy.permits(actor, action, in: c.scope, tree: c.tree)
        case .ownerOr(let action, _), .selfOr(let action, _):
            return c.isOwner || Policy.permits(actor, action, in: c.scope, tree: c.tree)
        case .owner: return c.isOwner
        case .secret: return false
        case .statistics: return StatisticsAccess.reach(actor, tree: c.tree, regionWide: c.regionWide) != .none
        case .regionStatistics: return StatisticsAccess.reach(actor, tree: c.tree, regionWide: c.regionWide) == .region
        }
    }

    /// The object the rule places in an organisation, if any.
    public static func subject(of rule: RouteRule) -> Subject? {
        switch rule {
        case .scoped(_, let subject), .ownerOr(_, let subject), .owner(let subject), .selfOr(_, let subject): subject
        default: nil
        }
    }

    /// Every route of the application, `METHOD /path/:parameter` as the route table spells it.
    public static let routes: [String: RouteRule] = [
        // Operations, open data, feeds (no session). /metrics asks for METRICS_TOKEN when one is set.
        "GET /health/live": .anyone,
        "GET /health/ready": .anyone,
        "GET /metrics": .anyone,
        "GET /opendata/appeals.csv": .anyone,
        "GET /opendata/appeals.json": .anyone,
        "GET /news/rss.xml": .anyone,
        "GET /news/atom.xml": .anyone,
        "GET /events/calendar.ics": .anyone,

        // Open311 (a partner's api_key for writing) and the widget on municipal sites.
        "GET /open311/v2/:file": .anyone,
        "POST /open311/v2/:file": .secret,
        "GET /open311/v2/services/:file": .anyone,
        "GET /open311/v2/requests/:file": .anyone,
        "GET /open311/v2/tokens/:file": .secret,
        "GET /widget/form": .anyone,
        "POST /widget/form": .anyone,

        // Accounts and the directory (API).
        "POST /api/v1/auth/register": .anyone,
        "POST /api/v1/auth/token": .anyone,
        "DELETE /api/v1/auth/token": .signedIn,
        "GET /api/v1/me": .signedIn,
        "GET /api/v1/organisations": .anywhere(.viewOrganisations),
        "POST /api/v1/organisations": .scoped(.manageOrganisation, .organisation),  // the parent
        "GET /api/v1/organisations/:id": .anywhere(.viewOrganisations),
        "PATCH /api/v1/organisations/:id": .scoped(.manageOrganisation, .organisation),
        "GET /api/v1/organisations/:id/staff": .scoped(.viewStaff, .organisation),
        "GET /api/v1/territories": .anywhere(.viewOrganisations),
        "POST /api/v1/territories": .platform(.manageReferenceData),
        "PATCH /api/v1/territories/:id": .platform(.manageReferenceData),
        "GET /api/v1/spheres": .anyone,
        "POST /api/v1/staff": .anywhere(.manageStaff),
        "GET /api/v1/users/:id": .selfOr(.viewStaff, .user),
        "PATCH /api/v1/users/:id": .selfOr(.viewStaff, .user),
        "POST /api/v1/users/:id/grants": .scoped(.manageStaff, .user),
        "DELETE /api/v1/users/:id/grants/:grantId": .scoped(.manageStaff, .user),

        // Classifier and routing (API).
        "GET /api/v1/classifier": .anyone,
        "GET /api/v1/classifier/export": .platform(.manageClassifier),
        "POST /api/v1/classifier/import": .platform(.manageClassifier),
        "GET /api/v1/classifier/history": .platform(.manageClassifier),
        "GET /api/v1/routing-rules": .platform(.manageClassifier),
        "POST /api/v1/routing-rules": .platform(.manageClassifier),
        "DELETE /api/v1/routing-rules/:id": .platform(.manageClassifier),
        "GET /api/v1/routing/resolve": .anywhere(.viewOrganisations),

        // Appeals (API).
        "POST /api/v1/appeals": .signedIn,
        "GET /api/v1/appeals": .signedIn,
        "GET /api/v1/appeals/:number": .ownerOr(.viewAppeals, .appeal),
        "GET /api/v1/appeals/:number/history": .ownerOr(.viewAppeals, .appeal),
        "GET /api/v1/appeals/:number/attachments/:id": .ownerOr(.viewAppeals, .appeal),
        "POST /api/v1/appeals/:number/reply": .owner(.appeal),
        "POST /api/v1/appeals/:number/moderation": .scoped(.moderate, .appeal),
        "GET /api/v1/moderation/queue": .anywhere(.moderate),
        "GET /api/v1/workspace": .anywhere([.coordinate, .approveAnswers, .superviseQuality, .execute]),
        "POST /api/v1/appeals/:number/actions": .scoped(.viewAppeals, .appeal),
        "GET /api/v1/appeals/:number/notes": .scoped(.viewAppeals, .appeal),
        "POST /api/v1/appeals/:number/notes": .scoped(.viewAppeals, .appeal),

        // Portal (API).
        "GET /api/v1/search": .anyone,
        "GET /api/v1/kb/articles": .anyone,
        "GET /api/v1/kb/articles/:slug": .anyone,
        "GET /api/v1/faq": .anyone,
        "POST /api/v1/faq/:slug/vote": .signedIn,
        "GET /api/v1/claims": .anyone,
        "POST /api/v1/claims/:type": .anyone,
        "GET /api/v1/claims/d/:token/docx": .secret,
        "POST /api/v1/bot/ask": .anyone,
        "GET /api/v1/bot/queue": .anywhere(.editContent),
        "POST /api/v1/bot/queue/:id/teach": .anywhere(.editContent),
        "GET /api/v1/bot/menu": .anyone,

        // Consultations (API): the citizen's side needs the chat's key.
        "POST /api/v1/consultations/start": .anyone,
        "POST /api/v1/consultations/:id/operator": .secret,
        "POST /api/v1/consultations/:id/close": .secret,
        "POST /api/v1/consultations/:id/transcript": .secret,
        "POST /api/v1/consultations/:id/appeal": .secret,
        "GET /api/v1/consultations/:id/appeal-form": .secret,
        "GET /api/v1/operator/state": .anywhere(.answerConsultations),
        "POST /api/v1/operator/presence": .anywhere(.answerConsultations),
        "POST /api/v1/operator/chats/:id/take": .anywhere(.answerConsultations),
        "POST /api/v1/operator/chats/:id/transfer": .anywhere(.answerConsultations),
        "POST /api/v1/operator/chats/:id/close": .anywhere(.answerConsultations),
        "GET /api/v1/operator/chats/:id/appeal": .anywhere(.answerConsultations),
        "GET /api/v1/operator/quick": .anywhere(.answerConsultations),

        // Staff messaging (API) and the WebSocket (each topic is checked per frame).
        "GET /api/v1/messages/channels": .staff,
        "POST /api/v1/messages/channels": .staff,
        "POST /api/v1/messages/direct": .staff,
        "POST /api/v1/messages/appeal/:number": .scoped(.viewAppeals, .appeal),
        "GET /api/v1/messages/search": .staff,
        "GET /api/v1/messages/channels/:id/messages": .scoped(.viewAppeals, .appealThread),
        "GET /api/v1/ws": .anyone,

        // Quality, statistics, contacts, the personal-data log (API).
        "GET /api/v1/curator/appeals": .anywhere(.superviseQuality),
        "GET /api/v1/stats/dashboard": .statistics,
        "GET /api/v1/stats/report.xlsx": .statistics,
        "GET /api/v1/stats/report.csv": .statistics,
        "GET /api/v1/stats/appeals": .statistics,
        "GET /api/v1/stats/rating": .regionStatistics,
        "GET /api/v1/stats/rating.xlsx": .regionStatistics,
        "POST /api/v1/contacts": .anywhere(.recordContacts),
        "GET /api/v1/audit/personal-data": .platform(.auditPersonalData),

        // Portal pages.
        "GET /": .anyone,
        "GET /search": .anyone,
        "GET /kb": .anyone,
        "GET /kb/:sphere": .anyone,
        "GET /kb/:sphere/:slug": .anyone,
        "GET /faq": .anyone,
        "GET /faq/:slug": .anyone,
        "POST /faq/:slug/vote": .anyone,
        "GET /news": .anyone,
        "GET /news/:slug": .anyone,
        "GET /a11y": .anyone,
        "GET /claims": .anyone,
        "GET /claims/:type": .anyone,
        "POST /claims/:type": .anyone,
        "GET /claims/d/:token": .secret,
        "GET /claims/d/:token/docx": .secret,
        "GET /chat/menu": .anyone,
        "GET /openapi.json": .anyone,
        "GET /api/docs": .anyone,

        // Events: the public side, the seat cancellation link, the organisers' editor.
        "GET /events": .anyone,
        "GET /events/:slug": .anyone,
        "GET /events/:slug/event.ics": .anyone,
        "GET /events/:slug/materials/:material": .anyone,
        "POST /events/:slug/signup": .anyone,
        "GET /events/cancel/:token": .secret,
        "POST /events/cancel/:token": .secret,
        "GET /editor/events": .anywhere(.editContent),
        "GET /editor/events/new": .anywhere(.editContent),
        "POST /editor/events": .anywhere(.editContent),
        "GET /editor/events/:id": .scoped(.editContent, .event),
        "POST /editor/events/:id": .scoped(.editContent, .event),
        "POST /editor/events/:id/cancel": .scoped(.editContent, .event),
        "POST /editor/events/:id/report": .scoped(.editContent, .event),
        "POST /editor/events/:id/materials": .scoped(.editContent, .event),

        // The content editor: knowledge base, FAQ, news, the bot.
        "GET /editor": .anywhere(.editContent),
        "GET /editor/articles/new": .anywhere(.editContent),
        "POST /editor/articles": .anywhere(.editContent),
        "GET /editor/articles/:id": .anywhere(.editContent),
        "POST /editor/articles/:id": .anywhere(.editContent),
        "GET /editor/articles/:id/revisions": .anywhere(.editContent),
        "GET /editor/articles/:id/revisions/:number": .anywhere(.editContent),
        "POST /editor/articles/:id/revisions/:number/restore": .anywhere(.editContent),
        "GET /editor/faq/new": .anywhere(.editContent),
        "POST /editor/faq": .anywhere(.editContent),
        "GET /editor/faq/:id": .anywhere(.editContent),
        "POST /editor/faq/:id": .anywhere(.editContent),
        "GET /editor/news": .anywhere(.editContent),
        "GET /editor/news/new": .anywhere(.editContent),
        "POST /editor/news": .anywhere(.editContent),
        "GET /editor/news/:id": .anywhere(.editContent),
        "POST /editor/news/:id": .anywhere(.editContent),
        "GET /editor/bot": .anywhere(.editContent),
        "POST /editor/bot/:id/teach": .anywhere(.editContent),
        "POST /editor/bot/:id/dismiss": .anywhere(.editContent),
        "GET /editor/bot/menu": .anywhere(.editContent),
        "POST /editor/bot/menu": .anywhere(.editContent),
        "POST /editor/bot/menu/:id": .anywhere(.editContent),
        "POST /editor/bot/menu/:id/delete": .anywhere(.editContent),
        "POST /editor/bot/synonyms": .anywhere(.editContent),
        "POST /editor/bot/synonyms/:id/delete": .anywhere(.editContent),

        // The consultation: the citizen's side (a chat key) and the operators' console.
        "POST /chat/start": .anyone,
        "POST /chat/:id/operator": .secret,
        "POST /chat/:id/close": .secret,
        "POST /chat/:id/transcript": .secret,
        "POST /chat/:id/appeal": .secret,
        "GET /chat/:id/appeal-form": .secret,
        "GET /operator": .anywhere(.answerConsultations),
        "GET /operator/state": .anywhere(.answerConsultations),
        "POST /operator/presence": .anywhere(.answerConsultations),
        "POST /operator/chats/:id/take": .anywhere(.answerConsultations),
        "POST /operator/chats/:id/transfer": .anywhere(.answerConsultations),
        "POST /operator/chats/:id/close": .anywhere(.answerConsultations),
        "GET /operator/chats/:id/appeal": .anywhere(.answerConsultations),
        "GET /operator/quick": .anywhere(.answerConsultations),

        // Staff messaging pages.
        "GET /messages": .staff,
        "GET /messages/:id": .scoped(.viewAppeals, .appealThread),
        "POST /messages/channels": .staff,
        "POST /messages/direct": .staff,
        "GET /messages/appeal/:number": .scoped(.viewAppeals, .appeal),
        "GET /ws": .anyone,

        // Signing in and up.
        "GET /login": .anyone,
        "POST /login": .anyone,
        "POST /logout": .anyone,
        "GET /register": .anyone,
        "POST /register": .anyone,
        "GET /confirm-email": .secret,
        "GET /account": .signedIn,
        "GET /auth/oidc/start": .anyone,
        "GET /auth/oidc/callback": .anyone,
        "POST /auth/oidc/consent": .secret,

        // Administration: organisations, territories, people.
        "GET /admin": .anyone,
        "GET /admin/organisations": .anywhere(.viewOrganisations),
        "GET /admin/organisations/new": .anywhere(.manageOrganisation),
        "POST /admin/organisations": .scoped(.manageOrganisation, .organisation),  // the parent
        "GET /admin/organisations/:id": .anywhere(.viewOrganisations),
        "POST /admin/organisations/:id": .scoped(.manageOrganisation, .organisation),
        "GET /admin/organisations/:id/staff/new": .scoped(.manageStaff, .organisation),
        "POST /admin/organisations/:id/staff": .scoped(.manageStaff, .organisation),
        "GET /admin/territories": .anywhere(.viewOrganisations),
        "POST /admin/territories": .platform(.manageReferenceData),
        "GET /admin/territories/:id": .anywhere(.viewOrganisations),
        "POST /admin/territories/:id": .platform(.manageReferenceData),
        "GET /admin/users/:id": .selfOr(.viewStaff, .user),
        "POST /admin/users/:id/grants": .scoped(.manageStaff, .user),
        "POST /admin/users/:id/grants/:grantId/delete": .scoped(.manageStaff, .user),
        "POST /admin/users/:id/active": .scoped(.manageStaff, .user),
        "GET /admin/partners": .platform(.manageReferenceData),
        "POST /admin/partners": .platform(.manageReferenceData),
        "POST /admin/partners/:id/revoke": .platform(.manageReferenceData),
        "GET /admin/widget": .platform(.manageReferenceData),
        "POST /admin/widget": .platform(.manageReferenceData),
        "POST /admin/widget/:id/delete": .platform(.manageReferenceData),
        "GET /admin/webhooks": .platform(.manageReferenceData),
        "POST /admin/webhooks": .platform(.manageReferenceData),
        "POST /admin/webhooks/:id/toggle": .platform(.manageReferenceData),
        "POST /admin/webhooks/:id/delete": .platform(.manageReferenceData),
        "POST /admin/webhooks/deliveries/:id/retry": .platform(.manageReferenceData),
        "GET /admin/classifier": .platform(.manageClassifier),
        "GET /admin/classifier/export/:format": .platform(.manageClassifier),
        "POST /admin/classifier/import": .platform(.manageClassifier),
        "GET /admin/classifier/items/new": .platform(.manageClassifier),
        "POST /admin/classifier/items": .platform(.manageClassifier),
        "GET /admin/classifier/items/:code": .platform(.manageClassifier),
        "POST /admin/classifier/items/:code": .platform(.manageClassifier),
        "GET /admin/routing": .platform(.manageClassifier),
        "POST /admin/routing": .platform(.manageClassifier),
        "POST /admin/routing/:id/delete": .platform(.manageClassifier),
        "GET /admin/calendar": .platform(.manageCalendar),
        "POST /admin/calendar": .platform(.manageCalendar),
        "POST /admin/calendar/import": .platform(.manageCalendar),
        "GET /admin/personal-data": .platform(.auditPersonalData),

        // Appeals: the citizen's pages, moderation, the desk, ratings.
        "GET /appeals/new": .signedIn,
        "POST /appeals": .signedIn,
        "GET /appeals/:number/files/:id": .ownerOr(.viewAppeals, .appeal),
        "GET /my/appeals": .signedIn,
        "GET /my/appeals/:number": .ownerOr(.viewAppeals, .appeal),
        "POST /my/appeals/:number/reply": .owner(.appeal),
        "GET /moderation": .anywhere(.moderate),
        "GET /moderation/:number": .scoped(.moderate, .appeal),
        "POST /moderation/:number": .scoped(.moderate, .appeal),
        "GET /desk": .anywhere([.coordinate, .approveAnswers, .superviseQuality, .execute]),
        "GET /desk/appeals/:number": .scoped(.viewAppeals, .appeal),
        "POST /desk/appeals/:number": .scoped(.viewAppeals, .appeal),
        "POST /desk/appeals/:number/notes": .scoped(.viewAppeals, .appeal),
        "GET /desk/team": .scoped(.coordinate, .organisation),
        "POST /desk/team/:user": .scoped(.coordinate, .user),
        "GET /desk/rules": .scoped(.coordinate, .organisation),
        "POST /desk/rules": .scoped(.coordinate, .organisation),
        "POST /desk/rules/:id/delete": .scoped(.coordinate, .organisation),  // the rule's
        "GET /rate/:token/:score": .secret,
        "POST /rate/:token": .secret,
        "POST /rate/:token/comment": .secret,
        "GET /curator": .anywhere(.superviseQuality),

        // Statistics and reports pages, contacts.
        "GET /stats": .statistics,
        "GET /stats/appeals": .statistics,
        "GET /stats/report": .statistics,
        "GET /stats/report.xlsx": .statistics,
        "GET /stats/report.csv": .statistics,
        "GET /stats/rating": .regionStatistics,
        "GET /stats/rating.xlsx": .regionStatistics,
        "GET /stats/rating/settings": .platform(.manageReferenceData),
        "POST /stats/rating/settings": .platform(.manageReferenceData),
        "GET /stats/archive": .statistics,
        "GET /stats/archive/:id": .statistics,
        "GET /contacts": .anywhere(.recordContacts),
        "POST /contacts": .anywhere(.recordContacts),
    ]
}

extension Policy {
    /// A staff member who acts for someone: a staff role platform-wide or in an active organisation.
    public static func isActiveStaff(_ actor: Actor, tree: OrganisationTree) -> Bool {
        actor.grants.contains { grant in
            guard grant.role.isStaff else { return false }
            guard let org = grant.organisationID else { return grant.role.mayBePlatformWide }
            return !tree.inactive.contains(org)
        }
    }
}
