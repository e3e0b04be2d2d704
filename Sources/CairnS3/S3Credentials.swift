public import Cairn
internal import Foundation

/// The secret a request is signed with: an access key id, a secret access
/// key, an optional session token (temporary credentials), and a region.
public struct S3Credentials: Sendable {
  public let accessKeyID: String
  public let secretAccessKey: String
  public let sessionToken: String?
  public let region: String

  public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String = "us-east-1") {
    self.accessKeyID = accessKeyID
    self.secretAccessKey = secretAccessKey
    self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    self.region = region.isEmpty ? "us-east-1" : region
  }

  /// Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
  /// (optional) and AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1,
  /// from `environment` (the process's own when nil).
  public static func fromEnvironment(_ environment: [String: String]? = nil) throws(CairnError) -> S3Credentials {
    let environment = environment ?? ProcessInfo.processInfo.environment
    func value(_ name: String) -> String? {
      guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
        return nil
      }
      return text
    }
    guard let accessKeyID = value("AWS_ACCESS_KEY_ID") else {
      throw CairnError(.invalidArgument, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    }
    guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
      throw CairnError(.invalidArgument, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
    }
    return S3Credentials(
      accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"),
      region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1")
  }
}

extension S3Credentials: CustomStringConvertible {
  /// Never shows the secret.
  public var description: String { "S3Credentials(\(accessKeyID), region \(region))" }
}
