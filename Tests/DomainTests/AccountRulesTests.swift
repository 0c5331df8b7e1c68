import Foundation
import Testing

@testable import Domain

@Suite("Account rules")
struct AccountRulesTests {
    @Test(arguments: [
        ("8 (917) 123-45-67", "+79171234567"), ("+7 917 1234567", "+79171234567"), ("79171234567", "+79171234567"),
        ("9171234567", "+79171234567"), ("+7 (8442) 24-36-47", "+78442243647"),
    ])
    func normalisesRussianPhones(raw: String, expected: String) {
        #expect(PhoneNumber(raw)?.value == expected)
    }

    @Test(arguments: ["12345", "+1 212 555 0100", "8917123456a", "+8 917 123 45 67", "", "1917123456", "89171234567890"])
    func refusesMalformedPhones(raw: String) {
        #expect(PhoneNumber(raw) == nil)
    }

    @Test func acceptsAndNormalisesEmails() {
        #expect(EmailAddress("  Ivanov@Mail.RU ")?.value == "ivanov@mail.ru")
        #expect(EmailAddress("maria@почта.рф")?.value == "maria@xn--80a1acny.xn--p1ai")
        #expect(EmailAddress("мария@mail.ru") == nil, "servers without SMTPUTF8 cannot take a Cyrillic mailbox")
        #expect(EmailAddress("a@и\u{0306}.рф") == EmailAddress("a@й.рф"), "decomposed and composed letters are one domain")
        #expect(EmailAddress("a@" + String(repeating: "д", count: 60) + ".рф") == nil, "an encoded label may not exceed 63")
        #expect(Punycode.asciiDomain("пример.испытание") == "xn--e1afmkfd.xn--80akhbyknj4f")
        for bad in ["ivanov", "ivanov@", "@mail.ru", "iva nov@mail.ru", "a@b", "a..b@mail.ru", "a@mail.r", "a@-x.ru"] {
            #expect(EmailAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func passwordRulesExplainEveryProblem() {
        let codes = PasswordRules.check("12345", login: []).map(\.code)
        #expect(codes.contains(.passwordTooShort))
        #expect(codes.contains(.passwordNeedsLetterAndDigit))
        #expect(PasswordRules.check("password1", login: []).map(\.code) == [.passwordTooCommon])
        #expect(PasswordRules.check("ivanov2026", login: ["ivanov"]).map(\.code) == [.passwordContainsLogin])
        #expect(PasswordRules.check("Kv7#pLq2-Zr9", login: ["ivanov"]).isEmpty)
    }

    @Test func registrationCollectsAllFieldErrors() {
        let input = RegistrationInput(
            surname: " ", name: "Мария1", patronymic: nil, email: "bad", phone: "123", password: "12345",
            passwordConfirm: "54321", consent: false)
        #expect(throws: ValidationFailure.self) { try Registration.validate(input, requireConfirmation: true) }
        do {
            _ = try Registration.validate(input, requireConfirmation: true)
        } catch {
            let fields = Set(error.errors.map(\.field))
            #expect(fields == ["surname", "name", "email", "phone", "password", "passwordConfirm", "consent"])
        }
    }

    @Test func registrationNeedsEmailOrPhone() throws {
        let base = RegistrationInput(
            surname: "Иванова", name: "Мария", patronymic: "", email: "", phone: nil, password: "Kv7pLq2Zr9",
            passwordConfirm: "Kv7pLq2Zr9", consent: true)
        #expect(throws: ValidationFailure([FieldError("email", .emailOrPhoneRequired)])) {
            try Registration.validate(base, requireConfirmation: true)
        }
        var byPhone = base
        byPhone.phone = "8 917 123 45 67"
        let valid = try Registration.validate(byPhone, requireConfirmation: true)
        #expect(valid.phone?.value == "+79171234567")
        #expect(valid.name.patronymic == nil)
        #expect(valid.name.full == "Иванова Мария")
    }

    @Test func namesAllowHyphensAndApostrophes() throws {
        var errors = FieldErrors()
        let name = PersonName.validate(surname: "Салтыков-Щедрин", name: "Михаил", patronymic: "Евграфович", into: &errors)
        #expect(errors.errors.isEmpty)
        #expect(name?.short == "Салтыков-Щедрин Михаил")
        _ = PersonName.validate(surname: "<script>", name: "Иван", patronymic: nil, into: &errors)
        #expect(errors.errors == [FieldError("surname", .invalidName)])
    }

    @Test func innChecksumIsVerified() {
        #expect(INN.isValid("7707083893"))  // Сбербанк
        #expect(INN.isValid("500100732259"))  // a valid 12-digit example
        #expect(!INN.isValid("7707083894"))
        #expect(!INN.isValid("77070838"))
        #expect(!INN.isValid("770708389a"))
    }
}

@Suite("Sign-in throttle")
struct SignInThrottleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func allowsUpToTheLimitThenBlocksUntilTheOldestCountedFailureAges() {
        let throttle = SignInThrottle(limit: 5, window: 900)
        let four = (0..<4).map { now.addingTimeInterval(Double(-60 * $0)) }
        #expect(throttle.retryAfter(failures: four, now: now) == nil)
        let five = four + [now.addingTimeInterval(-300)]
        #expect(throttle.retryAfter(failures: five, now: now) == 600)
    }

    @Test func failuresOutsideTheWindowDoNotCount() {
        let throttle = SignInThrottle.perAccount
        let old = (0..<10).map { now.addingTimeInterval(Double(-1000 - $0)) }
        #expect(throttle.retryAfter(failures: old, now: now) == nil)
    }
}

@Suite("Mail delivery policy")
struct MailDeliveryPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func backsOffExponentiallyWithACeilingThenGivesUp() {
        let policy = MailDeliveryPolicy()
        #expect(policy.afterFailure(attempts: 1, now: now) == .retry(at: now.addingTimeInterval(30)))
        #expect(policy.afterFailure(attempts: 3, now: now) == .retry(at: now.addingTimeInterval(120)))
        #expect(policy.afterFailure(attempts: 11, now: now) == .retry(at: now.addingTimeInterval(6 * 3600)))
        #expect(policy.afterFailure(attempts: 12, now: now) == .giveUp)
    }
}
