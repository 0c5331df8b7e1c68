import Foundation
import Vapor
import ZIPFoundation

/// An Office Open XML package (DOCX, XLSX): its parts zipped with deflate in memory, in the order given
/// (`[Content_Types].xml` first, as the convention asks).
enum ZipPackage {
    static func data(_ parts: [(path: String, data: Data)], created: Date) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for part in parts {
            let data = part.data
            try archive.addEntry(
                with: part.path, type: .file, uncompressedSize: Int64(data.count), modificationDate: created, compressionMethod: .deflate
            ) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw Abort(.internalServerError, reason: "the package was not produced") }
        return data
    }
}
