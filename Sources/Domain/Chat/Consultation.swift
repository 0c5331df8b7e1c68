import Foundation

/// The online consultation (product.md §5, issue 7): a citizen's chat, answered by an operator while the
/// office is open and someone is free, by the bot otherwise.
public enum ConsultationState: String, Sendable, Codable, CaseIterable {
    /// Every operator is busy: in the queue (the bot keeps the citizen company meanwhile).
    case waiting
    /// After hours or nobody online: the bot answers and offers to leave a message.
    case bot
    /// An operator is on it.
    case active
    case closed
}

public enum ConsultationOutcome: String, Sendable, Codable, CaseIterable {
    /// Answered in the chat.
    case answered
    /// Turned into an appeal (channel «чат»).
    case appealCreated = "appeal_created"
    /// Sent to another body or to the portal's material.
    case referred
    /// The citizen left or stopped answering.
    case abandoned
    case spam
}

public enum ConsultationAction: Sendable, Hashable {
    case assign(UserID)
    case queue
    case handToBot
    case transfer(to: UserID)
    case close(ConsultationOutcome)
}

public enum ConsultationRefusal: Error, Equatable, Sendable {
    case wrongState(ConsultationState)
    /// Only the operator on the chat transfers or closes it.
    case notYours
    case sameOperator
}

public struct Consultation: Sendable, Hashable {
    public var state: ConsultationState
    public var operatorID: UserID?

    public init(state: ConsultationState, operatorID: UserID? = nil) {
        self.state = state
        self.operatorID = operatorID
    }

    /// Applies an action by `actor` (nil: the system — routing, the queue, the citizen leaving).
    public func applying(_ action: ConsultationAction, by actor: UserID?) throws(ConsultationRefusal) -> Consultation {
        switch action {
        case .assign(let person):
            // An operator takes a chat from the queue or from the bot (the citizen asked for a person).
            guard state == .waiting || state == .bot else { throw .wrongState(state) }
            return Consultation(state: .active, operatorID: person)
        case .queue:
            guard state == .bot else { throw .wrongState(state) }
            return Consultation(state: .waiting)
        case .handToBot:
            guard state == .waiting else { throw .wrongState(state) }
            return Consultation(state: .bot)
        case .transfer(let colleague):
            guard state == .active else { throw .wrongState(state) }
            guard let actor, actor == operatorID else { throw .notYours }
            guard colleague != actor else { throw .sameOperator }
            return Consultation(state: .active, operatorID: colleague)
        case .close:
            guard state != .closed else { throw .wrongState(state) }
            if state == .active, let actor, actor != operatorID { throw .notYours }
            return Consultation(state: .closed, operatorID: operatorID)
        }
    }
}

/// When operators answer: on working days between the office's hours, around the clock (a hotline
/// that never closes), or never (the bot alone, e.g. over long holidays).
public enum ChatHours: Sendable, Hashable {
    case office(OfficeHours)
    case always
    case never

    public static let standard = ChatHours.office(.standard)

    public func isOpen(at instant: Date, calendar: ProductionCalendar) -> Bool {
        switch self {
        case .office(let hours): hours.isOpen(at: instant, calendar: calendar)
        case .always: true
        case .never: false
        }
    }

    /// `09:00-18:00`, `always` or `never`.
    public init?(_ text: String) {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value == "always" { self = .always; return }
        if value == "never" { self = .never; return }
        let parts = value.split(separator: "-")
        func minutes(_ part: Substring) -> Int? {
            let hm = part.split(separator: ":")
            guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0..<60).contains(m) else { return nil }
            let total = h * 60 + m
            return total <= 24 * 60 ? total : nil
        }
        guard parts.count == 2, let opens = minutes(parts[0]), let closes = minutes(parts[1]), opens < closes else { return nil }
        self = .office(OfficeHours(opens: opens, closes: closes))
    }
}

/// When the office works: working days of the production calendar, between `opens` and `closes`
/// (minutes after local midnight).
public struct OfficeHours: Sendable, Hashable, Codable {
    public var opens: Int
    public var closes: Int

    public init(opens: Int, closes: Int) {
        self.opens = opens
        self.closes = closes
    }

    /// 9:00–18:00, as the regional office works.
    public static let standard = OfficeHours(opens: 9 * 60, closes: 18 * 60)

    public func isOpen(at instant: Date, calendar: ProductionCalendar) -> Bool {
        let day = calendar.localDate(of: instant)
        guard calendar.isWorkingDay(day) else { return false }
        let minutes = Int(instant.timeIntervalSince(calendar.start(of: day)) / 60)
        return minutes >= opens && minutes < closes
    }
}

/// Where a new chat goes: the same fair load as appeals (present, under the concurrent-chat limit, fewest
/// contacts today), the queue when everyone present is full, the bot after hours or with nobody online.
public enum ConsultationRouting {
    public enum Decision: Sendable, Hashable {
        case assign(UserID)
        case queue
        case bot(BotReason)
    }

    public enum BotReason: String, Sendable, Hashable, Codable {
        case afterHours = "after_hours"
        case nobodyOnline = "nobody_online"
    }

    public static func route(
        at instant: Date, hours: ChatHours, calendar: ProductionCalendar, operators: [LoadCandidate], sphere: String? = nil
    ) -> Decision {
        guard hours.isOpen(at: instant, calendar: calendar) else { return .bot(.afterHours) }
        let online = operators.filter(\.present)
        guard !online.isEmpty else { return .bot(.nobodyOnline) }
        if let chosen = FairLoad.pick(online, sphere: sphere, territoryLineage: []) { return .assign(chosen.userID) }
        return .queue
    }
}
