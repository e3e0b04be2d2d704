import Testing

@testable import Cairn
@testable import CairnS3

@Suite struct S3LocationTests {
  @Test func customEndpointIsPathStyle() throws {
    let location = try S3Location(parsing: "s3:http://127.0.0.1:7480/cairn-test/repos/one/")
    #expect(location.scheme == "http")
    #expect(location.host == "127.0.0.1")
    #expect(location.port == 7480)
    #expect(location.bucket == "cairn-test")
    #expect(location.prefix == "repos/one")
    #expect(location.pathStyle)
    #expect(location.hostHeader == "127.0.0.1:7480")
    #expect(location.bucketPath == "/cairn-test")
    #expect(location.key("objects/ab/abc") == "repos/one/objects/ab/abc")
    #expect(location.description == "s3:http://127.0.0.1:7480/cairn-test/repos/one")
    #expect(location.endpoint == "http://127.0.0.1:7480")
    #expect(S3Location.isS3URL("s3:http://127.0.0.1:7480/cairn-test"))
    #expect(!S3Location.isS3URL("/mnt/backup/s3:x"))
  }

  @Test func awsIsVirtualHostedUnlessForced() throws {
    let aws = try S3Location(parsing: "s3:https://s3.eu-west-1.amazonaws.com/my-bucket")
    #expect(!aws.pathStyle)
    #expect(aws.hostHeader == "my-bucket.s3.eu-west-1.amazonaws.com")
    #expect(aws.bucketPath == "")
    #expect(aws.prefix == "")
    #expect(aws.key("config") == "config")
    let forced = try S3Location(parsing: "s3:https://s3.amazonaws.com/my-bucket/x", forcePathStyle: true)
    #expect(forced.pathStyle)
    #expect(forced.hostHeader == "s3.amazonaws.com")
    let dotted = try S3Location(parsing: "s3:https://s3.amazonaws.com/my.bucket")
    #expect(dotted.pathStyle, "a dotted bucket cannot be a TLS host name")
  }

  @Test(arguments: [
    ("s3:ftp://host/bucket", "not an S3 location"),
    ("s3:http://host", "names no bucket"),
    ("s3:http://host/", "names no bucket"),
    ("s3:http:///bucket", "names no host"),
    ("s3:http://host:99999/bucket", "invalid port"),
    ("s3:http://host:abc/bucket", "invalid port"),
    ("s3:http://key:secret@host/bucket", "credentials"),
    ("s3:http://host/b", "not a valid bucket name"),
    ("s3:http://host/bucket/../x", "'..'"),
    ("s3:http://host/bucket?x=1", "query"),
  ])
  func badLocationsSayWhatIsWrong(_ text: String, _ expected: String) {
    #expect {
      _ = try S3Location(parsing: text)
    } throws: { error in
      let message = "\(error)"
      return message.contains(expected) && !message.contains("\n")
    }
  }

  @Test func credentialsFromEnvironment() throws {
    let credentials = try S3Credentials.fromEnvironment([
      "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_DEFAULT_REGION": "eu-central-1",
    ])
    #expect(credentials.accessKeyID == "AK")
    #expect(credentials.secretAccessKey == "SK")
    #expect(credentials.sessionToken == nil)
    #expect(credentials.region == "eu-central-1")
    #expect(!"\(credentials)".contains("SK"))
    let withRegion = try S3Credentials.fromEnvironment([
      "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_REGION": "ap-south-1",
      "AWS_DEFAULT_REGION": "eu-central-1", "AWS_SESSION_TOKEN": "T",
    ])
    #expect(withRegion.region == "ap-south-1")
    #expect(withRegion.sessionToken == "T")
    #expect(
      try S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"]).region
        == "us-east-1")
    #expect(throws: CairnError.self) { try S3Credentials.fromEnvironment([:]) }
    #expect(throws: CairnError.self) { try S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AK"]) }
  }

  @Test func xmlScanner() {
    let xml: Substring = """
      <ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b&lt;c&#x41;&#66;</Key><Size>12</Size>\
      </Contents><Contents><Key>d</Key><Size>3</Size></Contents><NextContinuationToken>t/+=</NextContinuationToken>\
      </ListBucketResult>
      """
    let blocks = S3XML.blocks("Contents", in: xml)
    #expect(blocks.count == 2)
    #expect(S3XML.value("Key", in: blocks[0]) == "a&b<cAB")
    #expect(S3XML.value("Size", in: blocks[1]) == "3")
    #expect(S3XML.value("NextContinuationToken", in: xml) == "t/+=")
    #expect(S3XML.escape("a&<>\"'") == "a&amp;&lt;&gt;&quot;&apos;")
  }
}
