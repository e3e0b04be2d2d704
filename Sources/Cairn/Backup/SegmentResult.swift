/// What reading one segment of a file produced.
struct SegmentResult: Sendable {
  var blocks: [ObjectID] = []
  var bytes: UInt64 = 0
  var newObjects = 0
  var newBytes: UInt64 = 0
}
