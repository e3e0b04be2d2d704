import Testing

@testable import Cairn
@testable import CairnS3

/// SigV4 against AWS's published vectors: the aws-sig-v4-test-suite cases
/// (service `service`, key AKIDEXAMPLE, 2015-08-30T12:36:00Z) and the S3
/// documentation's examples (key AKIAIOSFODNN7EXAMPLE, 2013-05-24).
@Suite struct SigV4SignerTests {
  struct Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let method: String
    let path: String
    let query: [(String, String)]
    let headers: [(String, String)]
    let body: String
    let signedHeaders: String
    let signature: String
    var testDescription: String { name }
  }

  static let suiteCredentials = S3Credentials(
    accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1")
  static let suiteHeaders = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]

  static let suiteVectors: [Vector] = [
    Vector(
      name: "get-vanilla", method: "GET", path: "/", query: [], headers: suiteHeaders, body: "",
      signedHeaders: "host;x-amz-date", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    Vector(
      name: "get-vanilla-empty-query-key", method: "GET", path: "/", query: [("Param1", "value1")],
      headers: suiteHeaders, body: "", signedHeaders: "host;x-amz-date",
      signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
    Vector(
      name: "get-vanilla-query-order-key", method: "GET", path: "/",
      query: [("Param1", "value2"), ("Param1", "Value1")],
      headers: suiteHeaders, body: "", signedHeaders: "host;x-amz-date",
      signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
    Vector(
      name: "get-vanilla-query-order-key-case", method: "GET", path: "/",
      query: [("Param2", "value2"), ("Param1", "value1")], headers: suiteHeaders, body: "",
      signedHeaders: "host;x-amz-date", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    Vector(
      name: "get-vanilla-query-order-value", method: "GET", path: "/",
      query: [("Param1", "value2"), ("Param1", "value1")], headers: suiteHeaders, body: "",
      signedHeaders: "host;x-amz-date", signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
    Vector(
      name: "get-vanilla-utf8-query", method: "GET", path: "/", query: [("\u{1234}", "bar")], headers: suiteHeaders,
      body: "", signedHeaders: "host;x-amz-date",
      signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    Vector(
      name: "get-unreserved", method: "GET",
      path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", query: [], headers: suiteHeaders,
      body: "", signedHeaders: "host;x-amz-date",
      signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    Vector(
      name: "get-header-value-trim", method: "GET", path: "/", query: [],
      headers: suiteHeaders + [("My-Header1", "value1"), ("My-Header2", "\"a   b   c\"")], body: "",
      signedHeaders: "host;my-header1;my-header2;x-amz-date",
      signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    Vector(
      name: "get-header-key-duplicate", method: "GET", path: "/", query: [],
      headers: suiteHeaders + [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")], body: "",
      signedHeaders: "host;my-header1;x-amz-date",
      signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    Vector(
      name: "post-x-www-form-urlencoded", method: "POST", path: "/", query: [],
      headers: suiteHeaders + [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1",
      signedHeaders: "content-type;host;x-amz-date",
      signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
  ]

  @Test(arguments: suiteVectors) func awsTestSuite(_ vector: Vector) {
    let signer = SigV4Signer(credentials: Self.suiteCredentials, service: "service")
    let request = SigV4Signer.Request(
      method: vector.method, path: SigV4Signer.encodePath(vector.path),
      query: vector.query.map { (name: $0.0, value: $0.1) }, headers: vector.headers.map { (name: $0.0, value: $0.1) },
      payloadHash: SHA256.hash(Array(vector.body.utf8)).hex)
    let expected =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      + "SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
    #expect(signer.authorization(for: request, amzDate: "20150830T123600Z") == expected)
  }

  @Test func canonicalRequestOfGetVanillaQueryOrderKey() {
    let signer = SigV4Signer(credentials: Self.suiteCredentials, service: "service")
    let request = SigV4Signer.Request(
      method: "GET", path: "/", query: [(name: "Param1", value: "value2"), (name: "Param1", value: "Value1")],
      headers: Self.suiteHeaders.map { (name: $0.0, value: $0.1) },
      payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      signer.canonicalRequest(for: request)
        == "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        + "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      signer.stringToSign(for: request, amzDate: "20150830T123600Z")
        == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        + "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89")
  }

  static let s3Credentials = S3Credentials(
    accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    region: "us-east-1")
  static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

  @Test func s3DocumentationGetObject() {
    let signer = SigV4Signer(credentials: Self.s3Credentials)
    let request = SigV4Signer.Request(
      method: "GET", path: "/test.txt",
      headers: [
        ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"), ("x-amz-content-sha256", Self.emptyHash),
        ("x-amz-date", "20130524T000000Z"),
      ].map { (name: $0.0, value: $0.1) }, payloadHash: Self.emptyHash)
    #expect(
      signer.authorization(for: request, amzDate: "20130524T000000Z")
        == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
  }

  @Test func s3DocumentationPutObject() {
    let signer = SigV4Signer(credentials: Self.s3Credentials)
    let body = Array("Welcome to Amazon S3.".utf8)
    let hash = SHA256.hash(body).hex
    #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
    let request = SigV4Signer.Request(
      method: "PUT", path: SigV4Signer.encodePath("/test$file.text"),
      headers: [
        ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
        ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", hash),
      ].map { (name: $0.0, value: $0.1) }, payloadHash: hash)
    #expect(request.path == "/test%24file.text")
    #expect(
      signer.authorization(for: request, amzDate: "20130524T000000Z").hasSuffix(
        "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
          + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
  }

  @Test func s3DocumentationListObjects() {
    let signer = SigV4Signer(credentials: Self.s3Credentials)
    let request = SigV4Signer.Request(
      method: "GET", path: "/", query: [(name: "max-keys", value: "2"), (name: "prefix", value: "J")],
      headers: [
        ("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", Self.emptyHash),
        ("x-amz-date", "20130524T000000Z"),
      ].map { (name: $0.0, value: $0.1) }, payloadHash: Self.emptyHash)
    #expect(
      signer.authorization(for: request, amzDate: "20130524T000000Z").hasSuffix(
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
  }

  @Test func signAddsDateTokenAndAuthorization() {
    let credentials = S3Credentials(
      accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "TOKEN", region: "eu-west-1")
    var request = SigV4Signer.Request(
      method: "GET", path: "/b/k", headers: [(name: "host", value: "h")], payloadHash: Self.emptyHash)
    SigV4Signer(credentials: credentials).sign(&request, amzDate: "20260101T000000Z")
    let names = request.headers.map(\.name)
    #expect(names == ["host", "x-amz-date", "x-amz-security-token", "authorization"])
    #expect(request.headers.last!.value.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"))
    #expect(request.headers.last!.value.contains("/20260101/eu-west-1/s3/aws4_request"))
  }

  @Test func amzDateFormatting() {
    #expect(SigV4Signer.amzDate(secondsSince1970: 1_440_938_160) == "20150830T123600Z")
    #expect(SigV4Signer.amzDate(secondsSince1970: 0) == "19700101T000000Z")
    #expect(SigV4Signer.amzDate(secondsSince1970: 951_782_400) == "20000229T000000Z")
    #expect(SigV4Signer.amzDate(secondsSince1970: 1_369_353_600) == "20130524T000000Z")
  }

  @Test func digestsAndEncodings() {
    #expect(S3Digest.hex(S3Digest.md5([])) == "d41d8cd98f00b204e9800998ecf8427e")
    #expect(S3Digest.base64(S3Digest.md5(Array("abc".utf8))) == "kAFQmDzST7DWlj99KOF/cg==")
    #expect(S3Digest.base64(Array("f".utf8)) == "Zg==")
    #expect(S3Digest.base64(Array("fo".utf8)) == "Zm8=")
    #expect(S3Digest.base64(Array("foo".utf8)) == "Zm9v")
    // RFC 4231 test case 2.
    #expect(
      S3Digest.hex(S3Digest.hmac(Array("Jefe".utf8), "what do ya want for nothing?"))
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    #expect(SigV4Signer.encode("a b/c~*") == "a%20b%2Fc~%2A")
    #expect(SigV4Signer.encodePath("/a b/ü") == "/a%20b/%C3%BC")
  }
}
