import Foundation
import Testing

@testable import Domain

@Suite("Chat rules and the bot's matching")
struct ChatTests {
    static let entries = [
        BotMatcher.Entry(id: "return-phone", question: "Можно ли вернуть исправный смартфон, если он не подошёл?"),
        BotMatcher.Entry(id: "repair-term", question: "Сколько длится гарантийный ремонт?"),
        BotMatcher.Entry(id: "flight-delay", question: "Что положено пассажиру при задержке рейса?"),
        BotMatcher.Entry(id: "recalculation", question: "Как сделать перерасчёт платы за отопление?"),
    ]

    @Test func answersAnInflectedQuestionAndIsUnsureOfOthers() {
        let bot = BotMatcher(entries: Self.entries)
        guard case .sure(let match) = bot.answer("хочу вернуть телефон, он мне не подошел") else {
            Issue.record("must answer")
            return
        }
        #expect(match.entryID == "return-phone" && match.confidence >= bot.threshold)
        #expect(bot.answer("задержка рейса: что мне положено?").sureID == "flight-delay")
        guard case .unsure = bot.answer("как оформить визу в Турцию") else {
            Issue.record("a question about something else is not answered")
            return
        }
        #expect(bot.answer("?!…") == .unsure([]))
        #expect(bot.answer(String(repeating: "ъ", count: 10_000)) == .unsure([]))
    }

    @Test func trainingAPhrasingAndSynonymsMakeItSure() {
        let question = "магазин не чинит ноутбук уже два месяца"
        let untrained = BotMatcher(entries: Self.entries)
        guard case .unsure = untrained.answer(question) else {
            Issue.record("not answered before training")
            return
        }
        var entries = Self.entries
        entries[1].phrasings = [question]
        let trained = BotMatcher(entries: entries)
        #expect(trained.answer(question).sureID == "repair-term")
        #expect(trained.answer("магазин два месяца не чинит мой ноутбук").sureID == "repair-term", "and its rephrasings")

        let withSynonyms = BotMatcher(entries: Self.entries, synonymGroups: [["самолёт", "рейс", "авиарейс"]])
        #expect(withSynonyms.answer("задержка самолёта").sureID == "flight-delay")
        #expect(BotMatcher(entries: Self.entries).answer("задержка самолёта").sureID == nil)
    }

    @Test func messagesAreCleanedAndBounded() throws {
        #expect(try ChatRules.message("  <script>alert(1)</script>\n ") == "<script>alert(1)</script>", "kept as text, shown escaped")
        #expect(try ChatRules.message("a\u{202E}b\u{0007}c\nd") == "abc\nd")
        #expect(try ChatRules.message("👩‍💻") == "👩‍💻")
        #expect(throws: ValidationFailure([FieldError("text", .required)])) { try ChatRules.message(" \u{200B} ") }
        #expect(throws: ValidationFailure([FieldError("text", .tooLong)])) {
            try ChatRules.message(String(repeating: "я", count: ChatRules.maxMessageLength + 1))
        }
        #expect(try ChatRules.message(String(repeating: "я", count: ChatRules.maxMessageLength)).count == ChatRules.maxMessageLength)
    }

    @Test func theRateLimiterAllowsBurstsThenRefills() {
        var limiter = RateLimiter(capacity: 5, perSecond: 1)
        var allowed = 0
        for _ in 0..<5 where limiter.allow(now: 0) { allowed += 1 }
        #expect(allowed == 5)
        var ok = limiter.allow(now: 0.1)
        #expect(!ok)
        #expect(abs(limiter.wait(now: 0.5) - 0.5) < 1e-9)
        ok = limiter.allow(now: 1.1)
        #expect(ok)
        ok = limiter.allow(now: 1.2)
        #expect(!ok)
        allowed = 0
        for _ in 0..<5 where limiter.allow(now: 100) { allowed += 1 }
        #expect(allowed == 5, "refilled to capacity, never beyond")
        ok = limiter.allow(now: 100)
        #expect(!ok)
    }
}

extension BotMatcher.Answer {
    var sureID: String? {
        if case .sure(let match) = self { return match.entryID }
        return nil
    }
}

@Suite("Consultation")
struct ConsultationTests {
    static let calendar: ProductionCalendar = CalendarTests.calendar
    static let a = UserID()
    static let b = UserID()

    /// Local time in the region (Europe/Volgograd, UTC+3).
    static func at(_ iso: String, _ hour: Int, _ minute: Int = 0) -> Date {
        calendar.start(of: LocalDate(iso: iso)!).addingTimeInterval(Double(hour * 3600 + minute * 60))
    }

    static func person(_ id: UserID, open: Int, capacity: Int = 3, contacts: Int = 0, present: Bool = true) -> LoadCandidate {
        LoadCandidate(userID: id, present: present, open: open, capacity: capacity, contactsToday: contacts)
    }

    @Test func routesByHoursPresenceAndLoad() {
        let monday = "2026-11-23"
        let open = Self.at(monday, 10)
        #expect(ConsultationRouting.route(at: open, hours: .standard, calendar: Self.calendar, operators: [Self.person(Self.a, open: 0, contacts: 5), Self.person(Self.b, open: 1, contacts: 2)]) == .assign(Self.b), "fewest contacts today")
        #expect(ConsultationRouting.route(at: open, hours: .standard, calendar: Self.calendar, operators: [Self.person(Self.a, open: 3), Self.person(Self.b, open: 3)]) == .queue, "everyone at the limit")
        #expect(ConsultationRouting.route(at: open, hours: .standard, calendar: Self.calendar, operators: [Self.person(Self.a, open: 0, present: false)]) == .bot(.nobodyOnline))
        #expect(ConsultationRouting.route(at: Self.at(monday, 18, 0), hours: .standard, calendar: Self.calendar, operators: [Self.person(Self.a, open: 0)]) == .bot(.afterHours))
        #expect(ConsultationRouting.route(at: Self.at(monday, 8, 59), hours: .standard, calendar: Self.calendar, operators: [Self.person(Self.a, open: 0)]) == .bot(.afterHours))
        #expect(ConsultationRouting.route(at: Self.at("2026-11-04", 12), hours: .standard, calendar: Self.calendar, operators: [Self.person(Self.a, open: 0)]) == .bot(.afterHours), "4 November is a holiday")
    }

    @Test func transitionsCheckStateAndOwner() throws {
        let waiting = Consultation(state: .waiting)
        let active = try waiting.applying(.assign(Self.a), by: Self.a)
        #expect(active == Consultation(state: .active, operatorID: Self.a))
        #expect(throws: ConsultationRefusal.notYours) { try active.applying(.transfer(to: Self.a), by: Self.b) }
        #expect(throws: ConsultationRefusal.sameOperator) { try active.applying(.transfer(to: Self.a), by: Self.a) }
        let moved = try active.applying(.transfer(to: Self.b), by: Self.a)
        #expect(moved.operatorID == Self.b)
        #expect(throws: ConsultationRefusal.notYours) { try moved.applying(.close(.answered), by: Self.a) }
        let closed = try moved.applying(.close(.appealCreated), by: Self.b)
        #expect(closed.state == .closed)
        #expect(throws: ConsultationRefusal.wrongState(.closed)) { try closed.applying(.assign(Self.a), by: Self.a) }
        #expect(try Consultation(state: .bot).applying(.queue, by: nil).state == .waiting)
        #expect(try Consultation(state: .bot).applying(.close(.abandoned), by: nil).state == .closed)
    }
}

@Suite("Staff channels")
struct StaffChannelTests {
    static let rpn = OrganisationID()
    static let department = OrganisationID()
    static let district = OrganisationID()
    static let other = OrganisationID()
    static let tree = OrganisationTree(parents: [(rpn, nil), (department, rpn), (district, nil), (other, nil)])

    static func staff(_ role: Role, at organisation: OrganisationID?) -> Actor {
        Actor(userID: UserID(), grants: [Grant(role: role, organisationID: organisation)])
    }

    @Test func onlyMembersReadAChannel() {
        let channel = StaffChannel(kind: .agencies, organisations: [Self.rpn, Self.district])
        #expect(ChannelAccess.mayRead(Self.staff(.coordinator, at: Self.district), channel, tree: Self.tree))
        #expect(ChannelAccess.mayRead(Self.staff(.executor, at: Self.rpn), channel, tree: Self.tree))
        #expect(!ChannelAccess.mayRead(Self.staff(.executor, at: Self.department), channel, tree: Self.tree), "not below unless the channel says so")
        var wide = channel
        wide.includesSubordinates = true
        #expect(ChannelAccess.mayRead(Self.staff(.executor, at: Self.department), wide, tree: Self.tree))
        #expect(!ChannelAccess.mayRead(Self.staff(.executor, at: Self.other), wide, tree: Self.tree))
        #expect(!ChannelAccess.mayRead(Actor(userID: UserID(), grants: [Grant(role: .citizen, organisationID: nil)]), wide, tree: Self.tree))
        let closed = OrganisationTree(parents: [(Self.rpn, nil), (Self.district, nil)], inactive: [Self.district])
        #expect(!ChannelAccess.mayRead(Self.staff(.coordinator, at: Self.district), channel, tree: closed), "a deactivated organisation's grants count for nothing")
    }

    @Test func directAndAppealChannels() {
        let alice = Self.staff(.executor, at: Self.rpn)
        let bob = Self.staff(.executor, at: Self.district)
        let direct = StaffChannel(kind: .direct, people: [alice.userID, bob.userID])
        #expect(ChannelAccess.check(direct))
        #expect(ChannelAccess.mayRead(alice, direct, tree: Self.tree) && ChannelAccess.mayRead(bob, direct, tree: Self.tree))
        #expect(!ChannelAccess.mayRead(Self.staff(.executor, at: Self.rpn), direct, tree: Self.tree))
        let thread = StaffChannel(kind: .appeal, appealScope: .organisation(Self.department))
        #expect(ChannelAccess.mayRead(Self.staff(.coordinator, at: Self.rpn), thread, tree: Self.tree), "a coordinator above sees the appeal")
        #expect(!ChannelAccess.mayRead(Self.staff(.executor, at: Self.rpn), thread, tree: Self.tree), "an executor only in their own organisation")
        #expect(!ChannelAccess.check(StaffChannel(kind: .agencies, organisations: [Self.rpn])))
        #expect(Unread.count(lastSeq: 10, lastRead: 7) == 3 && Unread.count(lastSeq: 10, lastRead: nil) == 10 && Unread.count(lastSeq: 3, lastRead: 5) == 0)
    }

    @Test func framesAreParsedStrictly() throws {
        let topic = UUID()
        #expect(try ChatFrames.parse(#"{"type":"subscribe","topic":"\#(topic)","after":7,"token":"k"}"#) == .subscribe(topic: topic, after: 7, token: "k"))
        #expect(try ChatFrames.parse(#"{"type":"subscribe","topic":"\#(topic)"}"#) == .subscribe(topic: topic, after: 0, token: nil))
        #expect(try ChatFrames.parse(#" {"type":"send","topic":"\#(topic)","text":"<b>привет</b>","ref":"1"}"#) == .send(topic: topic, text: "<b>привет</b>", ref: "1"))
        #expect(try ChatFrames.parse(#"{"type":"ping"}"#) == .ping)
        #expect(throws: FrameError.malformed) { try ChatFrames.parse("ping") }
        #expect(throws: FrameError.malformed) { try ChatFrames.parse("[1,2]") }
        #expect(throws: FrameError.malformed) { try ChatFrames.parse("{\"type\":") }
        #expect(throws: FrameError.malformed) { try ChatFrames.parse("{" + String(repeating: " ", count: ChatFrames.maxFrameBytes) + "}") }
        #expect(throws: FrameError.invalidField("type")) { try ChatFrames.parse(#"{"topic":"x"}"#) }
        #expect(throws: FrameError.invalidField("type")) { try ChatFrames.parse(#"{"type":5}"#) }
        #expect(throws: FrameError.unknownType("dance")) { try ChatFrames.parse(#"{"type":"dance"}"#) }
        #expect(throws: FrameError.invalidField("topic")) { try ChatFrames.parse(#"{"type":"unsubscribe","topic":"nope"}"#) }
        #expect(throws: FrameError.invalidField("after")) { try ChatFrames.parse(#"{"type":"subscribe","topic":"\#(topic)","after":-1}"#) }
        #expect(throws: FrameError.invalidField("after")) { try ChatFrames.parse(#"{"type":"subscribe","topic":"\#(topic)","after":1.5}"#) }
        #expect(throws: FrameError.invalidField("seq")) { try ChatFrames.parse(#"{"type":"read","topic":"\#(topic)","seq":true}"#) }
        #expect(throws: FrameError.invalidField("text")) { try ChatFrames.parse(#"{"type":"send","topic":"\#(topic)"}"#) }
        #expect(throws: FrameError.invalidField("ref")) {
            try ChatFrames.parse(#"{"type":"send","topic":"\#(topic)","text":"a","ref":"\#(String(repeating: "r", count: 101))"}"#)
        }
    }

    /// Whatever order and duplicates the numbers arrive in, a connection sends 1, 2, 3… once each.
    @Test func theGateSendsEachNumberOnceInOrder() {
        #expect(DeliveryGate.step(seq: 5, lastSent: 4, haveMessage: true) == .send)
        #expect(DeliveryGate.step(seq: 4, lastSent: 4, haveMessage: true) == .skip)
        #expect(DeliveryGate.step(seq: 7, lastSent: 4, haveMessage: true) == .fetch(after: 4))
        #expect(DeliveryGate.step(seq: 5, lastSent: 4, haveMessage: false) == .fetch(after: 4))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            // Arrivals: every number once, some twice, shuffled; a fetch reads the store (all up to the highest stored).
            let total = Int64.random(in: 1...30, using: &generator)
            var arrivals = Array(1...total) + (1...total).filter { _ in Bool.random(using: &generator) }
            arrivals.shuffle(using: &generator)
            var sent: [Int64] = []
            for seq in arrivals {
                switch DeliveryGate.step(seq: seq, lastSent: sent.last ?? 0, haveMessage: Bool.random(using: &generator)) {
                case .send: sent.append(seq)
                case .skip: break
                case .fetch(let after): sent += Array((after + 1)...seq)
                }
            }
            #expect(sent == Array(1...total))
        }
    }

    @Test func chatHoursAreReadFromTheSetting() {
        #expect(ChatHours("09:00-18:00") == .office(OfficeHours(opens: 540, closes: 1080)))
        #expect(ChatHours("always") == .always && ChatHours(" NEVER ") == .never)
        #expect(ChatHours("08:30-24:00") == .office(OfficeHours(opens: 510, closes: 1440)))
        for bad in ["", "9-18", "18:00-09:00", "25:00-26:00", "09:60-10:00", "sometimes"] { #expect(ChatHours(bad) == nil, "\(bad)") }
    }
}
