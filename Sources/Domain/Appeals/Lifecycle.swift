import Foundation

/// Everything that moves an appeal after moderation (product.md §4 «Lifecycle»). Moderation has its own
/// enum (`ModerationAction`); together they are the whole state machine. Each transition says from which
/// states it may start, where it leads and which roles may make it; the app adds *where* (the policy's
/// organisation scope) and *who exactly* (the assigned executor).
public enum AppealTransition: String, Sendable, Codable, CaseIterable, Hashable {
    /// Coordinator → an executor of the organisation (by hand, by an auto-rule or by fair load).
    case assign
    /// Coordinator → another executor while the appeal is already in work.
    case reassign
    /// Coordinator → another organisation (the competent one); 59-ФЗ ст. 8 ч. 3.
    case redirect
    /// Coordinator → back to the organisation that sent it (not ours to answer).
    case sendBack = "send_back"
    /// Executor: «взять в работу».
    case take
    /// Executor: ask the citizen for more information. The clock keeps running (domain.md §1).
    case requestInfo = "request_info"
    /// Executor: put aside until a date, with a reason.
    case postpone
    /// Executor: back to work from postponed.
    case resume
    /// Manager (the head of the body): the one extension of a 59-ФЗ appeal, ≤ 30 days, with a reason.
    case extend
    /// Executor: the prepared answer goes to the manager.
    case submitAnswer = "submit_answer"
    /// Manager: the answer goes to the citizen.
    case approve
    /// Manager: the answer goes back to the executor with a comment.
    case returnAnswer = "return_answer"
    /// Curator: an answered appeal goes back to rework with a comment.
    case curatorReturn = "curator_return"
    /// Citizen (by the link in the answer email): a score 1–5.
    case rate

    /// The states this transition may start from.
    public var sources: Set<AppealStatus> {
        switch self {
        case .assign, .redirect, .sendBack: [.coordination]
        case .reassign: [.inWork, .postponed]
        case .take, .requestInfo, .postpone, .submitAnswer: [.inWork]
        case .resume: [.postponed]
        case .extend: [.coordination, .inWork, .postponed, .answerReview]
        case .approve, .returnAnswer: [.answerReview]
        case .curatorReturn: [.answered, .closed]
        case .rate: [.answered]
        }
    }

    /// Where the appeal is afterwards (`from` for transitions that do not change the state).
    public func target(from status: AppealStatus) -> AppealStatus {
        switch self {
        case .assign, .resume, .returnAnswer, .curatorReturn: .inWork
        case .redirect, .sendBack: .coordination
        case .postpone: .postponed
        case .submitAnswer: .answerReview
        case .approve: .answered
        case .rate: .closed
        case .reassign, .take, .requestInfo, .extend: status
        }
    }

    /// Who may make it. Platform and organisation admins may stand in for coordinators only.
    public var roles: Set<Role> {
        switch self {
        case .assign, .reassign, .redirect, .sendBack: [.coordinator, .admin]
        case .take, .requestInfo, .postpone, .resume, .submitAnswer: [.executor]
        case .extend, .approve, .returnAnswer: [.manager]
        case .curatorReturn: [.curator]
        case .rate: [.citizen]
        }
    }

    /// The policy action that decides *where* a person may make the transition.
    public var policyAction: Action {
        switch self {
        case .assign, .reassign, .redirect, .sendBack: .coordinate
        case .take, .requestInfo, .postpone, .resume, .submitAnswer: .execute
        case .extend, .approve, .returnAnswer: .approveAnswers
        case .curatorReturn: .superviseQuality
        case .rate: .viewAppeals
        }
    }

    /// Transitions an executor may make only on appeals assigned to them.
    public var needsAssignee: Bool {
        switch self {
        case .take, .requestInfo, .postpone, .resume, .submitAnswer: true
        default: false
        }
    }

    /// Whether the citizen is told by mail.
    public var notifiesCitizen: Bool {
        switch self {
        case .redirect, .requestInfo, .extend, .approve, .curatorReturn: true
        default: false
        }
    }
}

/// Why a transition is refused: the reason goes back to the person as a 409.
public enum LifecycleRefusal: Error, Equatable, Sendable {
    /// The appeal is not in a state the transition starts from (someone else moved it, or it never was).
    case wrongState(AppealTransition, AppealStatus)
    /// None of the person's roles may make the transition.
    case notPermitted(AppealTransition)
    /// The executor acts only on their own appeals.
    case notAssignee
    /// 59-ФЗ ст. 12 ч. 2: the term is extended once.
    case alreadyExtended
    /// The extension applies to 59-ФЗ appeals, not to ПОС messages with their own short terms.
    case notExtendable
    /// 59-ФЗ ст. 8 ч. 3: redirect within 7 days of registration.
    case redirectTooLate
    /// Redirect to the organisation that already has it.
    case sameOrganisation

    public var reason: String {
        switch self {
        case .wrongState(let transition, let status):
            "The appeal is \(status.rawValue); \(transition.rawValue) is not possible now"
        case .notPermitted(let transition): "Your roles do not allow \(transition.rawValue)"
        case .notAssignee: "The appeal is assigned to another executor"
        case .alreadyExtended: "The answer term has already been extended once"
        case .notExtendable: "Only appeals under 59-FZ can be extended"
        case .redirectTooLate: "The 7 days for a redirect have passed"
        case .sameOrganisation: "The appeal is already with this organisation"
        }
    }
}

public enum Lifecycle {
    /// May `roles` make `transition` on an appeal in `status`? The state is checked first: a person who
    /// acted on a stale view learns that the appeal moved on, not that they lack a role.
    public static func check(_ transition: AppealTransition, from status: AppealStatus, roles: Set<Role>) throws(LifecycleRefusal) {
        guard transition.sources.contains(status) else { throw .wrongState(transition, status) }
        guard !transition.roles.isDisjoint(with: roles) else { throw .notPermitted(transition) }
    }
}

/// The coordinator workspace's folders (product.md §4, seed 004). Every open appeal of an executor
/// organisation is in exactly one; moderation and rejected appeals are in none.
public enum WorkspaceFolder: String, Sendable, Codable, CaseIterable, Hashable {
    /// Новые: accepted by the moderator or redirected here, not yet assigned.
    case new
    /// Подготовлен ответ: the answer waits for the manager.
    case answerPrepared = "answer_prepared"
    /// В работе.
    case inWork = "in_work"
    /// Возвращены — в рамках организации: the manager or a curator sent the answer back to rework.
    case returnedWithin = "returned_within"
    /// Возвращены — из организации: another organisation sent the appeal back.
    case returnedFrom = "returned_from"
    /// Отложенные.
    case postponed
    /// Отработанные: answered (rated or not).
    case done

    public static func of(status: AppealStatus, returned: ReturnKind?) -> WorkspaceFolder? {
        switch status {
        case .moderation, .rejected: nil
        case .coordination: returned == .fromOrganisation ? .returnedFrom : .new
        case .inWork: returned == .withinOrganisation ? .returnedWithin : .inWork
        case .postponed: .postponed
        case .answerReview: .answerPrepared
        case .answered, .closed: .done
        }
    }
}

/// How an appeal came back, for the «Возвращены» folders.
public enum ReturnKind: String, Sendable, Codable, CaseIterable, Hashable {
    case withinOrganisation = "within"
    case fromOrganisation = "from"
}

/// What the receiving organisation sees about how an appeal reached it (product.md §4 «Redirects keep
/// the stage the receiver sees»).
public enum AppealStage: String, Sendable, Codable, CaseIterable, Hashable {
    case afterModeration = "after_moderation"
    case fromHigher = "from_higher"
    case fromLower = "from_lower"
    case fromNonSubordinate = "from_non_subordinate"

    /// The stage of an appeal sent by `sender` to `receiver`.
    public static func of(sender: OrganisationID, receiver: OrganisationID, tree: OrganisationTree) -> AppealStage {
        if tree.isWithin(receiver, subtreeOf: sender) { return .fromHigher }
        if tree.isWithin(sender, subtreeOf: receiver) { return .fromLower }
        return .fromNonSubordinate
    }
}

/// The outcome of an answer (product.md §4 card; «перенаправлено» is a redirect, not an answer).
public enum AnswerOutcome: String, Sendable, Codable, CaseIterable, Hashable {
    case satisfied
    case partly
    case notSatisfied = "not_satisfied"
    case explained
}

/// Deadlines of processing: the one extension, the redirect window, postponements (domain.md §1).
public enum ProcessingTerms {
    /// 59-ФЗ ст. 12 ч. 2: extended once by at most 30 days.
    public static let maxExtensionDays = 30
    /// 59-ФЗ ст. 8 ч. 3: redirect within 7 days of registration.
    public static let redirectDays = 7
    /// A rating below or at this score puts the appeal in the curator's queue.
    public static let lowRating = 2

    public enum ExtensionProblem: Error, Equatable, Sendable {
        case daysRequired, daysOutOfRange, reasonRequired
    }

    /// The answer due moment after extending by `days` calendar days counted from the current due day
    /// (ст. 12 ч. 2); a term ending on a day off ends on the next working day, as any calendar term.
    public static func extendedDue(_ due: Date, days: Int?, reason: String?, calendar: ProductionCalendar)
        throws(ExtensionProblem) -> Date
    {
        guard let days else { throw .daysRequired }
        guard (1...maxExtensionDays).contains(days) else { throw .daysOutOfRange }
        guard let reason, !reason.trimmingWhitespace().isEmpty else { throw .reasonRequired }
        return calendar.due(from: due, days: days, type: .calendar)
    }

    /// The last moment a 59-ФЗ appeal may be redirected: the end of the 7th calendar day after
    /// registration, in the region's time.
    public static func redirectDue(registeredAt: Date, calendar: ProductionCalendar) -> Date {
        calendar.due(from: registeredAt, days: redirectDays, type: .calendar)
    }

    public enum PostponeProblem: Error, Equatable, Sendable {
        case reasonRequired, dateRequired, dateNotAhead, dateBeyondDeadline
    }

    /// A postponement needs a reason and a date after today and no later than the answer's due day:
    /// postponing never moves the legal deadline.
    public static func checkPostpone(until: LocalDate?, reason: String?, today: LocalDate, dueDay: LocalDate)
        throws(PostponeProblem)
    {
        guard let reason, !reason.trimmingWhitespace().isEmpty else { throw .reasonRequired }
        guard let until else { throw .dateRequired }
        guard until > today else { throw .dateNotAhead }
        guard until <= dueDay else { throw .dateBeyondDeadline }
    }
}
