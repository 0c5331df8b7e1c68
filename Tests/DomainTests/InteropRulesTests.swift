import Foundation
import Testing

@testable import Domain

@Suite("Webhook rules")
struct InteropRulesTests {
    @Test func aWebhookEndpointIsAnHTTPURLWithoutCredentials() {
        #expect(WebhookRules.endpoint(" https://sed.volgograd.example/hooks/cd?x=1 ") == "https://sed.volgograd.example/hooks/cd?x=1")
        #expect(WebhookRules.endpoint("http://127.0.0.1:9000/hook") == "http://127.0.0.1:9000/hook")
        for bad in ["", "ftp://sed.example/", "https://", "https://user:pw@sed.example/", "javascript:alert(1)",
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
}
