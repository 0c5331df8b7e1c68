import Foundation

/// What a citizen may attach to an appeal: up to five photos or documents, each at most 10 MB, and
/// the type is decided by the file's first bytes, never by its name or the browser's claim — an
/// `.exe` renamed `.jpg` is refused.
public enum AttachmentKind: String, Sendable, Codable, CaseIterable {
    case jpeg, png, pdf
    /// A Word document the portal made itself (a claim); never accepted from an upload, since any ZIP
    /// archive starts like one.
    case docx

    public var mediaType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .pdf: "application/pdf"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
    }

    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .pdf: "pdf"
        case .docx: "docx"
        }
    }

    public var isImage: Bool { self == .jpeg || self == .png }

    /// The kind the bytes are, by their signature; nil for anything else.
    public static func sniff(_ bytes: some Collection<UInt8>) -> AttachmentKind? {
        let head = Array(bytes.prefix(8))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: Array("%PDF-".utf8)) { return .pdf }
        return nil
    }
}

public enum AttachmentRules {
    public static let maxFiles = 5
    public static let maxBytes = 10 * 1024 * 1024
    public static let maxNameLength = 200

    /// One file as received: its name as the sender gave it, its size and its first bytes.
    public struct Upload: Sendable {
        public var fileName: String
        public var size: Int
        public var head: [UInt8]
        /// The kind of a file the server made itself; uploads leave it nil and are sniffed.
        public var madeHere: AttachmentKind?

        public init(fileName: String, size: Int, head: [UInt8], madeHere: AttachmentKind? = nil) {
            self.fileName = fileName
            self.size = size
            self.head = head
            self.madeHere = madeHere
        }
    }

    /// A file that passed: its kind and a name safe to show and to offer for download.
    public struct Accepted: Sendable, Equatable {
        public var kind: AttachmentKind
        public var fileName: String
    }

    /// Checks every file and reports all problems at once: `attachments` for too many files,
    /// `attachments[i]` for the i-th file (0-based) that is too large or of a refused type.
    public static func validate(_ uploads: [Upload]) throws(ValidationFailure) -> [Accepted] {
        var errors = FieldErrors()
        if uploads.count > maxFiles { errors.add("attachments", .tooManyFiles) }
        var accepted: [Accepted] = []
        for (index, upload) in uploads.enumerated() {
            let field = "attachments[\(index)]"
            if upload.size > maxBytes { errors.add(field, .fileTooLarge) }
            if let kind = upload.madeHere ?? AttachmentKind.sniff(upload.head) {
                accepted.append(Accepted(kind: kind, fileName: displayName(upload.fileName, kind: kind)))
            } else {
                errors.add(field, .fileType)
            }
        }
        try errors.throwIfAny()
        return accepted
    }

    /// The sender's file name without any path, control characters or quotes, shortened, and with
    /// the extension its content deserves (a PNG sent as `scan.pdf` is offered back as `scan.png`).
    public static func displayName(_ raw: String, kind: AttachmentKind) -> String {
        let lastComponent = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(
            lastComponent.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && !"\"<>:|?*".unicodeScalars.contains($0) }
                .map(Character.init)
        ).trimmingCharacters(in: CharacterSet(charactersIn: " ."))
        var stem = cleaned
        if let dot = cleaned.lastIndex(of: "."), dot != cleaned.startIndex { stem = String(cleaned[..<dot]) }
        stem = String(stem.prefix(maxNameLength - 4))
        if stem.isEmpty { stem = "file" }
        return "\(stem).\(kind.fileExtension)"
    }
}
