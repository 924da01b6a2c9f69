import XCTest
@testable import LoopCLI

/// How `loop` reacts to being started by `mpirun`, in a build without MPI (the tests' build).
final class DataParallelLaunchTests: XCTestCase {
    /// One of several ranks in a build without MPI would train its own copy and overwrite the
    /// others' files: refused, saying how to build with MPI. Alone, or as the only rank, it runs.
    func testABuildWithoutMPIRefusesToRunAsOneOfSeveralRanks() throws {
        XCTAssertFalse(DataParallel.isAvailable, "the test build has no MPI")
        for environment in [["OMPI_COMM_WORLD_SIZE": "2"], ["PMI_SIZE": "4"]] {
            let refusal = try XCTUnwrap(DataParallel.refusal(command: "train", environment: environment), "\(environment)")
            XCTAssertTrue(refusal.contains("--traits MPI"), refusal)
            XCTAssertTrue(refusal.contains("libopenmpi-dev"), refusal)
        }
        XCTAssertNil(DataParallel.refusal(command: "train", environment: [:]))
        XCTAssertNil(DataParallel.refusal(command: "train", environment: ["OMPI_COMM_WORLD_SIZE": "1"]))
        XCTAssertEqual(DataParallel.launchedRanks(["OMPI_COMM_WORLD_SIZE": "3"]), 3)
        XCTAssertNil(DataParallel.launchedRanks(["OMPI_COMM_WORLD_SIZE": "x"]))
    }
}
