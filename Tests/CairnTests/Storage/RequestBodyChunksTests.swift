import NIOCore
import Testing

@testable import CairnS3

/// An upload's body, handed to the HTTP client in small buffers: the
/// buffers hold every byte once, in order, none larger than asked.
@Suite struct RequestBodyChunksTests {
  @Test(arguments: [0, 1, 999, 1000, 1001, 4000, 4321])
  func buffersHoldTheBodyInOrder(count: Int) async {
    let body = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    var joined: [UInt8] = []
    var sizes: [Int] = []
    for await buffer in RequestBodyChunks(body, chunkSize: 1000) {
      sizes.append(buffer.readableBytes)
      joined.append(contentsOf: buffer.readableBytesView)
    }
    #expect(joined == body)
    #expect(sizes.count == (count + 999) / 1000)
    #expect(sizes.allSatisfy { $0 > 0 && $0 <= 1000 })
  }
}
