import Foundation
import Testing

@testable import Domain

@Suite("Webhook and external sign-in rules")
struct InteropRulesTests {
    @Test func aWebhookEndpointIsAnHTTPURLWithoutCredentials() {
        #expect(WebhookRules.endpoint(" https://sed.volgograd.example/hooks/cd?x=1 ") == "https://sed.volgograd.example/hooks/cd?x=1")
        #expect(WebhookRules.endpoint("http://127.0.0.1:9000/hook") == "http://127.0.0.1:9000/hook")
        for bad in ["", "ftp://sed.example/", "http://sed.example/hook", "https://", "https://user:pw@sed.example/", "javascript:alert(1)",
            "https://sed.example/a b", "https://sed.example/#frag", "sed.example/hook", "https://sed.example/" + String(repeating: "a", count: 500)]
        {
            #expect(WebhookRules.endpoint(bad) == nil, "\(bad)")
        }
    }

    @Test func deliveriesAreDoneOn2xxAndEventsFilter() {
        #expect(WebhookRules.delivered(status: 200) && WebhookRules.delivered(status: 204))
        #expect(!WebhookRules.delivered(status: 301) && !WebhookRules.delivered(status: 500) && !WebhookRules.delivered(status: 410))
        #expect(WebhookRules.wants([], "appeal.accepted"))
        #expect(WebhookRules.wants(["appeal.accepted"], "appeal.accepted"))
        #expect(!WebhookRules.wants(["appeal.accepted"], "appeal.rejected"))
        #expect(WebhookRules.signedText(timestamp: 1_700_000_000, body: Data("{}".utf8)) == Data("1700000000.{}".utf8))
    }

    @Test func retriesBackOffAndGiveUp() {
        let now = Date(timeIntervalSince1970: 0)
        #expect(WebhookRules.policy.afterFailure(attempts: 1, now: now) == .retry(at: now.addingTimeInterval(60)))
        #expect(WebhookRules.policy.afterFailure(attempts: 3, now: now) == .retry(at: now.addingTimeInterval(240)))
        #expect(WebhookRules.policy.afterFailure(attempts: 11, now: now) == .retry(at: now.addingTimeInterval(6 * 3600)))
        #expect(WebhookRules.policy.afterFailure(attempts: 12, now: now) == .giveUp)
    }

    @Test func theProvidersClaimsMakeARussianName() {
        typealias C = ExternalSignIn.Claims
        #expect(ExternalSignIn.personName(C(subject: "1", name: "Иван Иванов")) == PersonName(surname: "Иванов", name: "Иван", patronymic: nil))
        #expect(
            ExternalSignIn.personName(C(subject: "1", name: "Сидоров Иван Петрович"))
                == PersonName(surname: "Сидоров", name: "Иван", patronymic: "Петрович"))
        #expect(
            ExternalSignIn.personName(C(subject: "1", name: "Иванова Мария Ильинична"))
                == PersonName(surname: "Иванова", name: "Мария", patronymic: "Ильинична"))
        #expect(
            ExternalSignIn.personName(C(subject: "1", name: "Anna Maria Smith"))
                == PersonName(surname: "Smith", name: "Anna", patronymic: "Maria"))
        // The separate claims win over `name`.
        #expect(
            ExternalSignIn.personName(C(subject: "1", name: "x y", givenName: "Ольга", familyName: "Петрова", middleName: "Сергеевна"))
                == PersonName(surname: "Петрова", name: "Ольга", patronymic: "Сергеевна"))
        #expect(ExternalSignIn.personName(C(subject: "1", name: "   ")) == nil)
        #expect(ExternalSignIn.personName(C(subject: "1")) == nil)
    }

    @Test func tokenTimesAllowAMinuteOfSkew() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        try ExternalSignIn.checkTimes(expires: now.addingTimeInterval(30), issued: now, now: now)
        try ExternalSignIn.checkTimes(expires: now.addingTimeInterval(-30), issued: now.addingTimeInterval(30), now: now)
        #expect(throws: ExternalSignIn.TimeProblem.expired) {
            try ExternalSignIn.checkTimes(expires: now.addingTimeInterval(-61), issued: nil, now: now)
        }
        #expect(throws: ExternalSignIn.TimeProblem.issuedInTheFuture) {
            try ExternalSignIn.checkTimes(expires: now.addingTimeInterval(600), issued: now.addingTimeInterval(120), now: now)
        }
        #expect(ExternalSignIn.snils("112-233-445 95") == "11223344595")
        #expect(ExternalSignIn.snils("123") == nil && ExternalSignIn.snils(nil) == nil)
    }
}
