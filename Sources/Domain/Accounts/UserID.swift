import Foundation

public typealias UserID = UUID
