#if MPI
import CMPI
import RecurrentDepth

/// The ranks `mpirun` started, as a `TrainingGroup` over MPI's world communicator. The gather is
/// MPI_Allgather (every rank receives every rank's buffer, in rank order), not MPI_Allreduce,
/// whose summation order MPI leaves open: the sum is then done by each rank in rank order.
final class MPITrainingGroup: TrainingGroup {
    let rank: Int
    let size: Int

    /// Initializes MPI; call once per process.
    init() throws {
        guard MPI_Init(nil, nil) == MPI_SUCCESS else { throw CLIError("MPI_Init failed") }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(loop_mpi_comm_world(), &rank)
        MPI_Comm_size(loop_mpi_comm_world(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    func allGather(_ local: [Float]) throws -> [Float] {
        guard let count = Int32(exactly: local.count) else { throw CLIError("MPI: a buffer of \(local.count) values is too large to send") }
        var all = [Float](repeating: 0, count: local.count * size)
        let status = local.withUnsafeBufferPointer { send in
            all.withUnsafeMutableBufferPointer { receive in
                MPI_Allgather(send.baseAddress, count, loop_mpi_float(), receive.baseAddress, count, loop_mpi_float(), loop_mpi_comm_world())
            }
        }
        guard status == MPI_SUCCESS else { throw CLIError("MPI_Allgather failed with error \(status) on rank \(rank)") }
        return all
    }

    /// Ends MPI after every rank finished.
    func finish() { MPI_Finalize() }

    /// Stops every rank, so that the others do not wait forever for one that failed.
    func abort() -> Never {
        MPI_Abort(loop_mpi_comm_world(), 1)
        fatalError("MPI_Abort returned")
    }
}
#endif
