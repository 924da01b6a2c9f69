#if MPI
import CMPI
import RecurrentDepth

/// The ranks `mpirun` started, as a `TrainingGroup` over MPI's world communicator. Gradients are
/// summed with MPI_Alltoall and MPI_Allgather (a reduce-scatter whose additions loop does in rank
/// order, see `SliceGradient.summed`), not MPI_Allreduce, whose order of additions MPI leaves open.
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

    func allToAll(_ local: [Float], chunk: Int) throws -> [Float] {
        guard let count = Int32(exactly: chunk), local.count == chunk * size else {
            throw CLIError("MPI: cannot send \(local.count) values as \(size) blocks of \(chunk)")
        }
        var received = [Float](repeating: 0, count: local.count)
        let status = local.withUnsafeBufferPointer { send in
            received.withUnsafeMutableBufferPointer { receive in
                MPI_Alltoall(send.baseAddress, count, loop_mpi_float(), receive.baseAddress, count, loop_mpi_float(), loop_mpi_comm_world())
            }
        }
        guard status == MPI_SUCCESS else { throw CLIError("MPI_Alltoall failed with error \(status) on rank \(rank)") }
        return received
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
