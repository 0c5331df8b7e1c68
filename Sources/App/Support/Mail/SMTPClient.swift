// A small SMTP client on SwiftNIO: plain, STARTTLS or implicit TLS, AUTH PLAIN/LOGIN,
// one message to one recipient per connection. The MIME rendering lives in the pure
// `MIMEMessage` enum so it can be tested without a network.
//
// Only NIOCore, NIOPosix, NIOSSL and Foundation are used, so the file does not depend on Vapor.

import Foundation
import NIOCore
import NIOPosix
import NIOSSL

// MARK: - Public API

/// One plain-text message to one recipient.
public struct OutgoingMail: Sendable, Equatable {
    /// `"ConsumerDesk <noreply@consumerdesk.test>"` or a bare address.
    public var from: String
    /// A bare address (`"Name <addr>"` is accepted too).
    public var to: String
    /// UTF-8; encoded as RFC 2047 words when needed.
    public var subject: String
    /// UTF-8 plain text; sent base64-encoded with CRLF line breaks.
    public var textBody: String
    /// Unique, without angle brackets, e.g. `"uuid@consumerdesk"`.
    public var messageID: String

    /// A text file sent along (the .ics of an event), or nil for a plain message.
    public var attachment: MailAttachment?

    public init(
        from: String, to: String, subject: String, textBody: String, messageID: String, attachment: MailAttachment? = nil
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.messageID = messageID
        self.attachment = attachment
    }
}

/// A UTF-8 text file attached to a message.
public struct MailAttachment: Sendable, Equatable {
    /// ASCII, e.g. `event.ics`.
    public var fileName: String
    /// e.g. `text/calendar; method=PUBLISH`; `charset=utf-8` is added.
    public var contentType: String
    public var text: String

    public init(fileName: String, contentType: String, text: String) {
        self.fileName = fileName
        self.contentType = contentType
        self.text = text
    }
}

public struct SMTPSettings: Sendable {
    public enum Security: String, Sendable {
        /// Never use TLS.
        case none
        /// Use STARTTLS when the server advertises it, plain text otherwise.
        case startTLSIfAvailable = "starttls"
        /// Use STARTTLS; fail with `SMTPError.startTLSUnavailable` when the server does not offer it.
        case startTLSRequired = "starttls-required"
        /// TLS from the first byte (SMTPS, usually port 465).
        case tls
    }

    public var host: String
    public var port: Int
    /// Authenticate when set and non-empty.
    public var username: String?
    public var password: String?
    public var security: Security
    /// The name sent with EHLO/HELO.
    public var heloName: String
    /// Limit for each network step (connect, each command and its reply, the message data).
    public var timeout: TimeAmount
    /// Set to `false` only for tests against servers with self-signed certificates.
    public var verifyCertificates: Bool

    public init(
        host: String,
        port: Int,
        username: String? = nil,
        password: String? = nil,
        security: Security = .startTLSIfAvailable,
        heloName: String = "localhost",
        timeout: TimeAmount = .seconds(30),
        verifyCertificates: Bool = true
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.heloName = heloName
        self.timeout = timeout
        self.verifyCertificates = verifyCertificates
    }
}

public enum SMTPError: Error, Sendable, Equatable {
    /// The server answered `command` with a reply other than the expected one.
    /// `command` never contains credentials.
    case unexpectedReply(command: String, code: Int, text: String)
    /// `startTLSRequired` was set (or credentials are configured) but the server does not offer STARTTLS.
    case startTLSUnavailable
    /// A username is set but the server offers neither AUTH PLAIN nor AUTH LOGIN.
    case authenticationUnavailable
    /// The server closed the connection before the conversation was over.
    case connectionClosed
    /// A network step took longer than `SMTPSettings.timeout`.
    case timeout
    /// An address is empty, malformed or contains CR/LF.
    case invalidAddress(String)
}

public protocol MailTransport: Sendable {
    func send(_ mail: OutgoingMail) async throws
}

/// Sends each message over its own SMTP connection.
public struct SMTPTransport: MailTransport {
    public let settings: SMTPSettings
    public let eventLoopGroup: any EventLoopGroup

    public init(settings: SMTPSettings, eventLoopGroup: any EventLoopGroup) {
        self.settings = settings
        self.eventLoopGroup = eventLoopGroup
    }

    public func send(_ mail: OutgoingMail) async throws {
        // Everything that can be checked without the network is checked first.
        let sender = try SMTPAddress.validatedAddress(mail.from)
        let recipient = try SMTPAddress.validatedAddress(mail.to)
        let message = MIMEMessage.render(mail, date: Date())
        let settings = self.settings

        let tls: SMTPTLS?
        if settings.security == .none {
            tls = nil
        } else {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if !settings.verifyCertificates {
                configuration.certificateVerification = .none
            }
            let context = try NIOSSLContext(configuration: configuration)
            // SNI must not carry an IP address (NIOSSL refuses it).
            let isIPAddress = (try? SocketAddress(ipAddress: settings.host, port: 0)) != nil
            tls = SMTPTLS(context: context, serverHostname: isIPAddress ? nil : settings.host)
        }
        let implicitTLS = settings.security == .tls ? tls : nil

        let asyncChannel: NIOAsyncChannel<SMTPReply, ByteBuffer>
        do {
            asyncChannel = try await ClientBootstrap(group: self.eventLoopGroup)
                .connectTimeout(settings.timeout)
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        if let implicitTLS {
                            try sync.addHandler(
                                NIOSSLClientHandler(
                                    context: implicitTLS.context,
                                    serverHostname: implicitTLS.serverHostname
                                )
                            )
                        }
                        try sync.addHandler(SMTPReplyDecoder())
                        return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch ChannelError.connectTimeout {
            throw SMTPError.timeout
        }

        // `executeThenClose` closes the channel whatever the body does.
        try await asyncChannel.executeThenClose { inbound, outbound in
            let conversation = SMTPConversation(
                channel: asyncChannel.channel,
                replies: inbound.makeAsyncIterator(),
                outbound: outbound,
                settings: settings,
                tls: tls,
                tlsActive: implicitTLS != nil
            )
            try await conversation.deliver(sender: sender, recipient: recipient, message: message)
        }
    }
}

// MARK: - MIME rendering (pure)

/// Renders an `OutgoingMail` as an RFC 5322 / MIME message: CRLF line endings, no line
/// longer than 78 characters (except an address too long to fit on its own), the body
/// base64-encoded in lines of 76. The result does not include the SMTP terminating dot.
enum MIMEMessage {
    static let maxLineLength = 78
    static let maxEncodedWordLength = 75

    static func render(_ mail: OutgoingMail, date: Date) -> String {
        var lines: [String] = []
        lines.append(mailboxHeader(name: "From", value: mail.from))
        lines.append(mailboxHeader(name: "To", value: mail.to))
        lines.append(unstructuredHeader(name: "Subject", value: mail.subject))
        lines.append("Date: " + rfc5322Date(date))
        lines.append("Message-ID: <" + messageIDValue(mail.messageID) + ">")
        lines.append("MIME-Version: 1.0")
        guard let attachment = mail.attachment else {
            lines.append("Content-Type: text/plain; charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            var result = lines.joined(separator: "\r\n") + "\r\n\r\n"
            for line in base64Lines(Array(canonicalText(mail.textBody).utf8)) {
                result += line + "\r\n"
            }
            return result
        }
        // The boundary comes from the message id: unique, and base64 lines (A–Z, a–z, 0–9, +, /, =) never
        // contain its `_`.
        let boundary = "=_cd_" + String(messageIDValue(mail.messageID).filter { $0.isLetter || $0.isNumber }.prefix(40))
        let name = sanitizeHeaderText(attachment.fileName).filter { $0.isASCII && $0 != "\"" }
        lines.append("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
        var result = lines.joined(separator: "\r\n") + "\r\n\r\n"
        result += "--\(boundary)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        for line in base64Lines(Array(canonicalText(mail.textBody).utf8)) { result += line + "\r\n" }
        result += "--\(boundary)\r\nContent-Type: \(sanitizeHeaderText(attachment.contentType)); charset=utf-8; name=\"\(name)\"\r\n"
        result += "Content-Disposition: attachment; filename=\"\(name)\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        for line in base64Lines(Array(attachment.text.utf8)) { result += line + "\r\n" }
        result += "--\(boundary)--\r\n"
        return result
    }

    // MARK: Headers

    /// `From`/`To`: `Name <addr>`, quoting or RFC 2047-encoding the display name as needed.
    static func mailboxHeader(name: String, value: String) -> String {
        let parsed = SMTPAddress.parse(value)
        let address = sanitizeAddress(parsed.address)
        let displayName = sanitizeHeaderText(parsed.displayName).trimmingCharacters(in: .whitespaces)
        if displayName.isEmpty {
            return fold(name: name, tokens: [address])
        }
        let angleAddress = "<" + address + ">"
        if isPrintableASCII(displayName), !displayName.contains("=?") {
            let phrase = isAtomPhrase(displayName) ? displayName : quotedString(displayName)
            // The address goes on a folded line of its own when the whole does not fit.
            if name.utf8.count + 2 + phrase.utf8.count <= maxLineLength {
                return fold(name: name, tokens: [phrase, angleAddress])
            }
        }
        let words = encodedWords(displayName, firstLineRoom: maxLineLength - name.utf8.count - 2)
        return fold(name: name, tokens: words + [angleAddress])
    }

    /// `Subject`: as is when it is printable ASCII (folded at spaces if long), otherwise
    /// RFC 2047 `=?UTF-8?B?...?=` words of at most 75 characters.
    static func unstructuredHeader(name: String, value: String) -> String {
        let text = sanitizeHeaderText(value)
        if text.isEmpty {
            return name + ":"
        }
        if isPrintableASCII(text), !text.contains("=?") {
            let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let firstRoom = maxLineLength - name.utf8.count - 2
            // Fold only at single spaces, so that unfolding gives back the same text.
            let foldable = !words.contains(where: \.isEmpty)
                && (words.first?.utf8.count ?? 0) <= firstRoom
                && words.allSatisfy { $0.utf8.count < maxLineLength }
            if foldable {
                return fold(name: name, tokens: words)
            }
        }
        return fold(name: name, tokens: encodedWords(text, firstLineRoom: maxLineLength - name.utf8.count - 2))
    }

    /// Joins tokens with single spaces, folding (CRLF + space) before a token that would
    /// make the line longer than 78 characters. The first token stays on the header line.
    static func fold(name: String, tokens: [String]) -> String {
        var result = name + ":"
        var lineLength = result.utf8.count
        for (index, token) in tokens.enumerated() {
            let length = token.utf8.count
            if index == 0 || lineLength + 1 + length <= maxLineLength {
                result += " " + token
                lineLength += 1 + length
            } else {
                result += "\r\n " + token
                lineLength = 1 + length
            }
        }
        return result
    }

    /// RFC 2047 B-encoded words. The first word fits in `firstLineRoom` characters, every
    /// other in 75; words are split between characters (or, for a character too long to fit
    /// in one word, between Unicode scalars), never inside a UTF-8 sequence.
    static func encodedWords(_ text: String, firstLineRoom: Int) -> [String] {
        let prefix = "=?UTF-8?B?"
        let suffix = "?="
        func byteBudget(_ wordLength: Int) -> Int {
            // 4 base64 characters carry 3 bytes; keep room for at least one 4-byte scalar.
            max(((wordLength - prefix.utf8.count - suffix.utf8.count) / 4) * 3, 6)
        }
        var words: [String] = []
        var chunk: [UInt8] = []
        var budget = byteBudget(min(firstLineRoom, maxEncodedWordLength))

        func flush() {
            words.append(prefix + Data(chunk).base64EncodedString() + suffix)
            chunk.removeAll(keepingCapacity: true)
            budget = byteBudget(maxEncodedWordLength)
        }
        func append(_ bytes: some Collection<UInt8>) {
            if chunk.count + bytes.count > budget, !chunk.isEmpty {
                flush()
            }
            chunk.append(contentsOf: bytes)
        }

        for character in text {
            let utf8 = String(character).utf8
            if utf8.count <= budget {
                append(utf8)
            } else {
                for scalar in character.unicodeScalars {
                    append(String(scalar).utf8)
                }
            }
        }
        if !chunk.isEmpty || words.isEmpty {
            flush()
        }
        return words
    }

    /// `Thu, 05 Mar 2026 14:03:09 +0000`: RFC 5322 date-time in UTC with English names,
    /// independent of the process locale.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.locale = Locale(identifier: "en_US_POSIX")
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String {
            let value = value ?? 0
            return value < 10 ? "0\(value)" : "\(value)"
        }
        let day = days[((parts.weekday ?? 1) - 1 + 7) % 7]
        let month = months[((parts.month ?? 1) - 1 + 12) % 12]
        return "\(day), \(two(parts.day)) \(month) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }

    // MARK: Body

    /// Text in canonical form: every line break (LF, CR or CRLF) becomes CRLF.
    static func canonicalText(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                result += "\r\n"
                previousWasCR = true
            case "\n":
                if !previousWasCR {
                    result += "\r\n"
                }
                previousWasCR = false
            default:
                result.unicodeScalars.append(scalar)
                previousWasCR = false
            }
        }
        return result
    }

    static func base64Lines(_ bytes: [UInt8], lineLength: Int = 76) -> [String] {
        let encoded = Data(bytes).base64EncodedString()
        var lines: [String] = []
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: lineLength, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[start..<end]))
            start = end
        }
        return lines
    }

    // MARK: Helpers

    /// Header text on one line: CR, LF and other control characters become spaces.
    static func sanitizeHeaderText(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? " " : scalar
        }))
    }

    static func sanitizeAddress(_ address: String) -> String {
        String(String.UnicodeScalarView(address.unicodeScalars.filter { scalar in
            scalar.properties.generalCategory != .control && scalar != " " && scalar != "<" && scalar != ">"
        }))
    }

    static func messageIDValue(_ id: String) -> String {
        let cleaned = sanitizeAddress(id)
        return cleaned.isEmpty ? UUID().uuidString + "@localhost" : cleaned
    }

    static func isPrintableASCII(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
    }

    /// Whether the text is a sequence of RFC 5322 atoms separated by single spaces.
    static func isAtomPhrase(_ text: String) -> Bool {
        let atext = Set("!#$%&'*+-/=?^_`{|}~".unicodeScalars)
        return !text.hasPrefix(" ") && !text.hasSuffix(" ") && !text.contains("  ")
            && text.unicodeScalars.allSatisfy { scalar in
                scalar == " " || atext.contains(scalar)
                    || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            }
    }

    static func quotedString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" {
                result += "\\"
            }
            result.unicodeScalars.append(scalar)
        }
        return result + "\""
    }
}

// MARK: - Addresses

enum SMTPAddress {
    /// Splits `Name <addr>` (or `"Name" <addr>`, or a bare address) leniently.
    static func parse(_ raw: String) -> (displayName: String, address: String) {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") else {
            return ("", trimmed)
        }
        let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
            var unquoted = ""
            var escaped = false
            for character in name.dropFirst().dropLast() {
                if !escaped, character == "\\" {
                    escaped = true
                    continue
                }
                unquoted.append(character)
                escaped = false
            }
            name = unquoted
        }
        return (name, address.trimmingCharacters(in: .whitespaces))
    }

    /// The bare address for MAIL FROM / RCPT TO, or `SMTPError.invalidAddress`.
    static func validatedAddress(_ raw: String) throws -> String {
        if raw.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw SMTPError.invalidAddress(raw)
        }
        let address = parse(raw).address
        let forbidden = address.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
                || scalar == "<" || scalar == ">"
        }
        guard !forbidden, let at = address.lastIndex(of: "@"),
            at != address.startIndex, address.index(after: at) != address.endIndex
        else {
            throw SMTPError.invalidAddress(raw)
        }
        return address
    }
}

// MARK: - SMTP conversation

private struct SMTPTLS: Sendable {
    let context: NIOSSLContext
    let serverHostname: String?
}

/// One complete reply: a code and its text lines (without the code and separator).
private struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
    var text: String { self.lines.joined(separator: "\n") }
}

/// Drives one connection. Not Sendable: it lives inside one `executeThenClose` body.
private final class SMTPConversation {
    private let channel: any Channel
    private var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let settings: SMTPSettings
    private let tls: SMTPTLS?
    private var tlsActive: Bool
    /// Watchdogs of finished steps; one that fired explains a later failure as a timeout.
    private var previousWatchdog: Scheduled<Bool>?

    private struct Capabilities {
        var startTLS = false
        var authMechanisms: Set<String> = []
    }

    init(
        channel: any Channel,
        replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        settings: SMTPSettings,
        tls: SMTPTLS?,
        tlsActive: Bool
    ) {
        self.channel = channel
        self.replies = replies
        self.outbound = outbound
        self.settings = settings
        self.tls = tls
        self.tlsActive = tlsActive
    }

    func deliver(sender: String, recipient: String, message: String) async throws {
        let greeting = try await self.step { try await self.readReply() }
        try Self.expect(greeting, [220], command: "CONNECT")

        var capabilities = try await self.hello()

        if !self.tlsActive, let tls = self.tls {
            if capabilities.startTLS {
                try await self.startTLS(tls)
                capabilities = try await self.hello()
            } else if self.settings.security == .startTLSRequired {
                throw SMTPError.startTLSUnavailable
            }
        }

        if let username = self.settings.username, !username.isEmpty {
            // Credentials never cross the wire in clear text unless plain SMTP was chosen explicitly:
            // a man in the middle could strip STARTTLS from the capabilities to read them.
            if !self.tlsActive && self.settings.security != .none {
                throw SMTPError.startTLSUnavailable
            }
            try await self.authenticate(
                username: username,
                password: self.settings.password ?? "",
                capabilities: capabilities
            )
        }

        try Self.expect(try await self.command("MAIL FROM:<\(sender)>"), [250], command: "MAIL FROM")
        try Self.expect(try await self.command("RCPT TO:<\(recipient)>"), [250, 251], command: "RCPT TO")
        try Self.expect(try await self.command("DATA"), [354], command: "DATA")
        let accepted = try await self.step {
            var data = Self.dotStuffed(message)
            if !data.hasSuffix("\r\n") {
                data += "\r\n"
            }
            data += ".\r\n"
            try await self.write(data)
            return try await self.readReply()
        }
        try Self.expect(accepted, [250], command: "DATA (end of message)")

        // The message is accepted; a failing QUIT must not turn that into an error.
        _ = try? await self.command("QUIT")
    }

    // MARK: Steps

    /// EHLO, or HELO when the server refuses EHLO.
    private func hello() async throws -> Capabilities {
        let name = Self.heloName(self.settings.heloName)
        let reply = try await self.command("EHLO \(name)")
        if reply.code == 250 {
            var capabilities = Capabilities()
            for line in reply.lines.dropFirst() {
                let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
                guard let keyword = words.first else { continue }
                switch keyword {
                case "STARTTLS":
                    capabilities.startTLS = true
                case "AUTH":
                    capabilities.authMechanisms.formUnion(words.dropFirst())
                default:
                    break
                }
            }
            return capabilities
        }
        guard (500..<600).contains(reply.code) else {
            throw SMTPError.unexpectedReply(command: "EHLO", code: reply.code, text: reply.text)
        }
        try Self.expect(try await self.command("HELO \(name)"), [250], command: "HELO")
        return Capabilities()
    }

    private func startTLS(_ tls: SMTPTLS) async throws {
        let channel = self.channel
        // From the STARTTLS reply on, the decoder refuses plaintext until TLS is in place,
        // so a reply injected after the 220 cannot be taken for a reply sent over TLS.
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: SMTPReplyDecoder.self).expectStartTLSReply()
        }.get()
        let reply = try await self.command("STARTTLS")
        try Self.expect(reply, [220], command: "STARTTLS")
        try await channel.eventLoop.submit {
            let sync = channel.pipeline.syncOperations
            let decoder = try sync.handler(type: SMTPReplyDecoder.self)
            try sync.addHandler(
                NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverHostname),
                position: .first
            )
            decoder.tlsInstalled()
        }.get()
        self.tlsActive = true
    }

    private func authenticate(username: String, password: String, capabilities: Capabilities) async throws {
        let mechanisms = capabilities.authMechanisms
        if mechanisms.contains("PLAIN") {
            let token = Self.base64("\0\(username)\0\(password)")
            let reply = try await self.command("AUTH PLAIN \(token)")
            try Self.expect(reply, [235], command: "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            try Self.expect(try await self.command("AUTH LOGIN"), [334], command: "AUTH LOGIN")
            try Self.expect(
                try await self.command(Self.base64(username)),
                [334],
                command: "AUTH LOGIN (username)"
            )
            try Self.expect(
                try await self.command(Self.base64(password)),
                [235],
                command: "AUTH LOGIN (password)"
            )
        } else {
            throw SMTPError.authenticationUnavailable
        }
    }

    // MARK: Plumbing

    /// Sends one command line and reads its reply, within one timeout. Errors name the
    /// command through `expect`, never the line itself (which may carry credentials).
    private func command(_ line: String) async throws -> SMTPReply {
        try await self.step {
            try await self.write(line + "\r\n")
            return try await self.readReply()
        }
    }

    private func write(_ text: String) async throws {
        try await self.outbound.write(ByteBuffer(string: text))
    }

    private func readReply() async throws -> SMTPReply {
        guard let reply = try await self.replies.next() else {
            try Task.checkCancellation()
            throw SMTPError.connectionClosed
        }
        return reply
    }

    /// Runs one network step under the timeout: a watchdog on the event loop closes the
    /// channel when it expires, which ends any pending read or write.
    private func step<T>(_ body: () async throws -> T) async throws -> T {
        try Task.checkCancellation()
        let channel = self.channel
        let watchdog = channel.eventLoop.scheduleTask(in: self.settings.timeout) { () -> Bool in
            channel.close(promise: nil)
            return true
        }
        do {
            let value = try await body()
            watchdog.cancel()
            self.previousWatchdog = watchdog
            return value
        } catch {
            watchdog.cancel()
            for candidate in [watchdog, self.previousWatchdog].compactMap({ $0 }) {
                if (try? await candidate.futureResult.get()) == true {
                    throw SMTPError.timeout
                }
            }
            throw Self.translate(error)
        }
    }

    private static func translate(_ error: any Error) -> any Error {
        switch error {
        case let channelError as ChannelError:
            switch channelError {
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed:
                return SMTPError.connectionClosed
            default:
                return error
            }
        case NIOSSLError.uncleanShutdown:
            return SMTPError.connectionClosed
        default:
            return error
        }
    }

    private static func expect(_ reply: SMTPReply, _ codes: [Int], command: String) throws {
        guard codes.contains(reply.code) else {
            throw SMTPError.unexpectedReply(command: command, code: reply.code, text: reply.text)
        }
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    /// The EHLO argument: no spaces or control characters, `localhost` when nothing is left.
    private static func heloName(_ name: String) -> String {
        let cleaned = String(String.UnicodeScalarView(name.unicodeScalars.filter { scalar in
            !scalar.properties.isWhitespace && scalar.properties.generalCategory != .control
        }))
        return cleaned.isEmpty ? "localhost" : cleaned
    }

    /// RFC 5321 transparency: a line starting with "." gets another ".". (Base64 bodies and
    /// headers never start with one; this is a safety net.)
    private static func dotStuffed(_ message: String) -> String {
        guard message.hasPrefix(".") || message.contains("\n.") else {
            return message
        }
        var result = message.hasPrefix(".") ? "." : ""
        result += message.replacingOccurrences(of: "\n.", with: "\n..")
        return result
    }
}

// MARK: - Reply decoder

/// Splits the byte stream into lines and groups `250-...` continuation lines with their
/// final `250 ...` line into one `SMTPReply`.
private final class SMTPReplyDecoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPReply

    private static let maxLineLength = 4096
    private static let maxLinesPerReply = 512

    private enum TLSState {
        case plain
        case awaitingStartTLSReply
        case awaitingTLS
    }

    private var buffer = ByteBuffer()
    private var code: Int?
    private var lines: [String] = []
    private var tlsState = TLSState.plain
    private var failed = false

    func expectStartTLSReply() {
        self.tlsState = .awaitingStartTLSReply
    }

    func tlsInstalled() {
        self.tlsState = .plain
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        var incoming = Self.unwrapInboundIn(data)
        if self.tlsState == .awaitingTLS {
            self.fail(context: context, text: "plaintext data after the STARTTLS reply")
            return
        }
        self.buffer.writeBuffer(&incoming)
        self.decode(context: context)
    }

    private func decode(context: ChannelHandlerContext) {
        while !self.failed, let newline = self.buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - self.buffer.readerIndex
            guard var bytes = self.buffer.readBytes(length: length) else { return }
            self.buffer.moveReaderIndex(forwardBy: 1)
            if bytes.last == UInt8(ascii: "\r") {
                bytes.removeLast()
            }
            guard let reply = self.consumeLine(bytes, context: context) else { continue }
            if self.tlsState == .awaitingStartTLSReply {
                if reply.code == 220 {
                    // Nothing may follow the 220 before the TLS handshake.
                    guard self.buffer.readableBytes == 0 else {
                        self.fail(context: context, text: "plaintext data after the STARTTLS reply")
                        return
                    }
                    self.tlsState = .awaitingTLS
                } else {
                    self.tlsState = .plain
                }
            }
            context.fireChannelRead(Self.wrapInboundOut(reply))
        }
        if self.buffer.readableBytes > Self.maxLineLength {
            self.fail(context: context, text: "reply line too long")
            return
        }
        self.buffer.discardReadBytes()
    }

    /// Returns a reply when `bytes` was its last line.
    private func consumeLine(_ bytes: [UInt8], context: ChannelHandlerContext) -> SMTPReply? {
        guard bytes.count >= 3, bytes.prefix(3).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            self.fail(context: context, text: String(decoding: bytes, as: UTF8.self))
            return nil
        }
        let code = bytes.prefix(3).reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-"),
            self.code == nil || self.code == code, self.lines.count < Self.maxLinesPerReply
        else {
            self.fail(context: context, text: String(decoding: bytes, as: UTF8.self))
            return nil
        }
        self.code = code
        self.lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard separator == UInt8(ascii: " ") else { return nil }
        let reply = SMTPReply(code: code, lines: self.lines)
        self.code = nil
        self.lines = []
        return reply
    }

    private func fail(context: ChannelHandlerContext, text: String) {
        self.failed = true
        self.buffer.clear()
        context.fireErrorCaught(SMTPError.unexpectedReply(command: "(malformed reply)", code: 0, text: text))
        context.close(promise: nil)
    }
}
