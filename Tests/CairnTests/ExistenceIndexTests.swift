import Foundation
import Testing

@testable import Cairn

/// How an object store on a remote storage learns what exists: a check per
/// object for the first few, then one listing of every object.
@Suite struct ExistenceIndexTests {
  /// A backup to a remote storage stores a handful of objects with a check
  /// each, and lists every object only when it has more to store.
  @Test func theObjectListingWaitsUntilItPays() async throws {
    let (repository, storage, ids) = try await RestorePipelineTests.repository(objects: 5, size: 100)
    let store = repository.store
    store.useListingForExistence()
    let listsBefore = storage.calls(of: .list)
    let sizesBefore = storage.calls(of: .size)
    // Five present objects: five checks, no listing.
    for index in 0..<5 {
      var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 100)
      bytes[0] = 0
      #expect(try await store.put(bytes).id == ids[index])
      #expect(try await !store.put(bytes).isNew)
    }
    #expect(storage.calls(of: .list) == listsBefore)
    #expect(storage.calls(of: .size) - sizesBefore == 10)
    // Many new objects: after the checks one by one, one listing of the 256 groups.
    var written: [ObjectID] = []
    for index in 0..<100 {
      let result = try await store.put(Array("object \(index)".utf8))
      #expect(result.isNew)
      written.append(result.id)
    }
    #expect(storage.calls(of: .list) - listsBefore == StorageFile.objectPrefixes.count)
    #expect(storage.calls(of: .size) - sizesBefore == ExistenceIndex.checksBeforeListing)
    // From then on the set answers, and it knows what was written since.
    for (index, id) in written.enumerated() {
      #expect(try await store.put(Array("object \(index)".utf8)).id == id)
    }
    #expect(storage.calls(of: .size) - sizesBefore == ExistenceIndex.checksBeforeListing)
    #expect(storage.calls(of: .list) - listsBefore == StorageFile.objectPrefixes.count)
  }
}
