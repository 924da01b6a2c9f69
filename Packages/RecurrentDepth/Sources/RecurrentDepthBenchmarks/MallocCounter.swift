// Counts calls to the C allocator, so the benchmark can show that a steady-state training step
// allocates nothing. The executable defines `malloc`, `calloc`, `realloc`, `posix_memalign` and
// `aligned_alloc`; the dynamic linker binds every library's calls to these, which count and forward
// to glibc's own entry points (`__libc_*`). Linux/glibc only; elsewhere nothing is counted.
#if os(Linux)
import Glibc

// A plain global: statically zero-initialized, so counting never runs Swift's lazy initialization
// (which could itself allocate). Increments from several threads may race and lose a count, never
// invent one: a zero stays a true zero.
nonisolated(unsafe) var allocatorCalls = 0

@_silgen_name("__libc_malloc") func libcMalloc(_ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_calloc") func libcCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_realloc") func libcRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_memalign") func libcMemalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer?

@_cdecl("malloc") func countedMalloc(_ size: Int) -> UnsafeMutableRawPointer? {
    allocatorCalls &+= 1
    return libcMalloc(size)
}

@_cdecl("calloc") func countedCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    allocatorCalls &+= 1
    return libcCalloc(count, size)
}

@_cdecl("realloc") func countedRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    allocatorCalls &+= 1
    return libcRealloc(pointer, size)
}

@_cdecl("posix_memalign") func countedPosixMemalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                                    _ alignment: Int, _ size: Int) -> Int32 {
    allocatorCalls &+= 1
    guard let p = libcMemalign(alignment, size) else { return ENOMEM }
    result.pointee = p
    return 0
}

@_cdecl("aligned_alloc") func countedAlignedAlloc(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    allocatorCalls &+= 1
    return libcMemalign(alignment, size)
}

/// Calls to the C allocator so far in this process, or nil where they are not counted.
func allocatorCallCount() -> Int? { allocatorCalls }
#else
func allocatorCallCount() -> Int? { nil }
#endif
