import Foundation

/// An email address, trimmed and lower-cased so one mailbox is one account.
public struct EmailAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public let value: String

    /// Pragmatic checks, not RFC 5322 in full: one `@`, an ASCII local part without spaces or control
    /// characters, a domain of at least two dot-separated labels. Cyrillic domains such as `почта.рф`
    /// are accepted and stored in their ASCII (Punycode) form, which every mail server can deliver to.
    public init?(_ raw: String) {
        // NFC first: a decomposed «й» must give the same address as a composed one.
        let text = raw.trimmingWhitespace().precomposedStringWithCanonicalMapping.lowercased()
        guard text.count <= 254 else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty, local.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."),
            !local.contains("..")
        else { return nil }
        let localAllowed = Set("!#$%&'*+-/=?^_`{|}~.")
        guard local.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || localAllowed.contains($0)) }) else {
            return nil
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for label in labels {
            guard !label.isEmpty, label.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-"),
                label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
            else { return nil }
        }
        guard let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter) || tld.hasPrefix("xn--") else {
            return nil
        }
        guard let ascii = Punycode.asciiDomain(String(domain)), ascii.count <= 253,
            ascii.split(separator: ".").allSatisfy({ $0.count <= 63 })
        else { return nil }
        self.value = local + "@" + ascii
    }

    public var description: String { value }
}

/// A Russian phone number normalised to E.164 (`+7XXXXXXXXXX`), whatever way it was typed:
/// `8 (917) 123-45-67`, `+7 917 1234567`, `79171234567`.
public struct PhoneNumber: Sendable, Hashable, Codable, CustomStringConvertible {
    public let value: String

    public init?(_ raw: String) {
        let text = raw.trimmingWhitespace()
        guard !text.isEmpty, text.count <= 32 else { return nil }
        let allowedPunctuation = Set(" -()\u{00A0}")
        var digits = ""
        for (index, character) in text.enumerated() {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if character == "+" && index == 0 {
                continue
            } else if !allowedPunctuation.contains(character) {
                return nil
            }
        }
        let international = text.hasPrefix("+")
        if digits.count == 11, digits.first == "7" || (digits.first == "8" && !international) {
            digits.removeFirst()
        } else if digits.count != 10 || international {
            return nil
        }
        // Russian numbers start with 3, 4, 8 (geographic, toll-free) or 9 (mobile).
        guard let first = digits.first, "3489".contains(first) else { return nil }
        self.value = "+7" + digits
    }

    public var description: String { value }
}

/// What a person types into the «Email или телефон» box at sign-in.
public enum LoginIdentifier: Sendable, Hashable {
    case email(EmailAddress)
    case phone(PhoneNumber)

    public init?(_ raw: String) {
        if raw.contains("@") {
            guard let email = EmailAddress(raw) else { return nil }
            self = .email(email)
        } else {
            guard let phone = PhoneNumber(raw) else { return nil }
            self = .phone(phone)
        }
    }

    /// A stable key for throttling sign-in attempts against one account.
    public var throttleKey: String {
        switch self {
        case .email(let email): "email:" + email.value
        case .phone(let phone): "phone:" + phone.value
        }
    }
}

extension String {
    public func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    /// `nil` for an empty or whitespace-only string: optional form fields arrive as "".
    public var nonBlank: String? {
        let trimmed = trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }
}
