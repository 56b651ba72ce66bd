// Inline-PTX building blocks of Hopper warpgroup kernels (sm_90a only: wgmma.mma_async needs the
// architecture-specific target; callers compile their bodies under EMBER_WGMMA): 128-byte
// swizzled shared-memory tiles (a cp.async loader and the matrix descriptors), wgmma with float
// accumulators, the fences that order it, and a two-float reduction to global memory.
#pragma once

#include <cstdint>
#include <type_traits>

#include "mma.cuh"

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define EMBER_WGMMA 1
#endif

namespace ember_cuda {

// The 128-byte swizzle of a tile of 64 16-bit columns (128-byte rows): in every 1024-byte group of
// 8 rows (1024-byte aligned), the 16-byte chunk c of row r sits at chunk c ^ (r % 8). wgmma reads
// such tiles through a descriptor (PTX ISA, "Matrix Descriptor Format"): bits 0-13 the start
// address, 16-29 the leading and 32-45 the stride byte offset (all >> 4), 62-63 the swizzle mode
// (1: 128 bytes). For a K-major operand (rows along M or N, K contiguous) the stride offset is that
// of 8-row groups and a k-step of 16 moves the start by 32 bytes within the 128-byte row; for an
// MN-major one (K along rows, M or N contiguous) the stride offset steps 8 rows of K and the
// leading offset steps 64 columns of M or N.
__device__ inline uint32_t swizzle128(int row, int chunk) {
  return static_cast<uint32_t>(row * 128 + ((chunk ^ (row & 7)) << 4));
}

// kRows x kCols 16-bit elements of a row-major source (row stride kCols) into that layout at dst:
// kCols / 64 blocks of kRows 128-byte rows, with cp.async by all kThreads threads; rows at or past
// `valid` become zeros.
template <int kRows, int kCols, int kThreads, class T>
__device__ inline void load_swizzled(uint32_t dst, const T* src, int64_t valid) {
  constexpr int kChunks = kCols / 8;
  static_assert(kCols % 64 == 0 && kRows * kChunks % kThreads == 0);
#pragma unroll
  for (int u = 0; u < kRows * kChunks / kThreads; ++u) {
    const int x = static_cast<int>(threadIdx.x) + u * kThreads;
    const int r = x / kChunks, c = x % kChunks;
    const bool ok = r < valid;
    cp_async16(dst + c / 8 * (kRows * 128) + swizzle128(r, c % 8),
               src + (ok ? r : 0) * int64_t{kCols} + c * 8, ok);
  }
}

__device__ inline uint64_t wgmma_desc(uint32_t smem_addr, uint32_t lead_bytes,
                                      uint32_t stride_bytes) {
  return uint64_t{(smem_addr & 0x3FFFFu) >> 4} | uint64_t{(lead_bytes >> 4) & 0x3FFFu} << 16 |
         uint64_t{(stride_bytes >> 4) & 0x3FFFu} << 32 | uint64_t{1} << 62;
}

#ifdef EMBER_WGMMA

// Generic-proxy writes to shared memory (cp.async, st.shared) made visible to wgmma's reads.
__device__ inline void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
// Orders register accesses of the accumulators and A operands before the next wgmma.
__device__ inline void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ inline void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
// Waits until at most N committed wgmma groups are in flight.
template <int N>
__device__ inline void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the compiler from moving accesses of accumulator registers across a wgmma in flight.
template <int kN>
__device__ inline void wgmma_pin(float (&d)[kN][4]) {
#pragma unroll
  for (int i = 0; i < kN; ++i) {
#pragma unroll
    for (int c = 0; c < 4; ++c) asm volatile("" : "+f"(d[i][c])::"memory");
  }
}

// The accumulator of wgmma m64nNk16 with float D: warp w of the warpgroup holds rows 16 w .. + 15
// in mma.sync's C layout, repeated over the N / 8 n-tiles: d[nt][c] is row 16 w + g + 8 (c / 2),
// column 8 nt + 2 t + c % 2 (g = lane / 4, t = lane % 4). An A operand in registers has mma.sync's
// m16n8k16 A layout for the warp's 16 rows.
#define EMBER_WG_D4(i) "+f"(d[i][0]), "+f"(d[i][1]), "+f"(d[i][2]), "+f"(d[i][3])
#define EMBER_WG_D8x4                                                                             \
  EMBER_WG_D4(0), EMBER_WG_D4(1), EMBER_WG_D4(2), EMBER_WG_D4(3), EMBER_WG_D4(4), EMBER_WG_D4(5), \
      EMBER_WG_D4(6), EMBER_WG_D4(7)
#define EMBER_WG_D16x4                                                             \
  EMBER_WG_D8x4, EMBER_WG_D4(8), EMBER_WG_D4(9), EMBER_WG_D4(10), EMBER_WG_D4(11), \
      EMBER_WG_D4(12), EMBER_WG_D4(13), EMBER_WG_D4(14), EMBER_WG_D4(15)
#define EMBER_WG_R32                                                                            \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, " \
  "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}"
#define EMBER_WG_R64                                                                            \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, " \
  "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, "  \
  "%38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, "  \
  "%56, %57, %58, %59, %60, %61, %62, %63}"

// d += A B over m64 x N x k16 with both operands in shared memory: kTA / kTB 0 for K-major
// operands, 1 for MN-major ones (A M-major, B N-major).
template <class T, int kTA, int kTB>
__device__ inline void wgmma_ss(float (&d)[8][4], uint64_t a, uint64_t b) {
  if constexpr (std::is_same_v<T, __half>) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 " EMBER_WG_R32
        ", %32, %33, p, 1, 1, %35, %36;\n}\n"
        : EMBER_WG_D8x4
        : "l"(a), "l"(b), "r"(1), "n"(kTA), "n"(kTB));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 " EMBER_WG_R32
        ", %32, %33, p, 1, 1, %35, %36;\n}\n"
        : EMBER_WG_D8x4
        : "l"(a), "l"(b), "r"(1), "n"(kTA), "n"(kTB));
  }
}
template <class T, int kTA, int kTB>
__device__ inline void wgmma_ss(float (&d)[16][4], uint64_t a, uint64_t b) {
  if constexpr (std::is_same_v<T, __half>) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 " EMBER_WG_R64
        ", %64, %65, p, 1, 1, %67, %68;\n}\n"
        : EMBER_WG_D16x4
        : "l"(a), "l"(b), "r"(1), "n"(kTA), "n"(kTB));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " EMBER_WG_R64
        ", %64, %65, p, 1, 1, %67, %68;\n}\n"
        : EMBER_WG_D16x4
        : "l"(a), "l"(b), "r"(1), "n"(kTA), "n"(kTB));
  }
}
// d += A B over m64 x N x k16 with A in registers and B in shared memory (kTB as above).
template <class T, int kTB>
__device__ inline void wgmma_rs(float (&d)[8][4], const uint32_t (&a)[4], uint64_t b) {
  if constexpr (std::is_same_v<T, __half>) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 " EMBER_WG_R32
        ", {%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"
        : EMBER_WG_D8x4
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1), "n"(kTB));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 " EMBER_WG_R32
        ", {%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"
        : EMBER_WG_D8x4
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1), "n"(kTB));
  }
}
template <class T, int kTB>
__device__ inline void wgmma_rs(float (&d)[16][4], const uint32_t (&a)[4], uint64_t b) {
  if constexpr (std::is_same_v<T, __half>) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 " EMBER_WG_R64
        ", {%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}\n"
        : EMBER_WG_D16x4
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1), "n"(kTB));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " EMBER_WG_R64
        ", {%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}\n"
        : EMBER_WG_D16x4
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1), "n"(kTB));
  }
}

// *p += (x, y) for two adjacent floats in global memory, one reduction (sm_90).
__device__ inline void red_add2(float* p, float x, float y) {
  asm volatile("red.global.add.v2.f32 [%0], {%1, %2};\n" ::"l"(p), "f"(x), "f"(y) : "memory");
}

#undef EMBER_WG_D4
#undef EMBER_WG_D8x4
#undef EMBER_WG_D16x4
#undef EMBER_WG_R32
#undef EMBER_WG_R64

#endif  // EMBER_WGMMA

}  // namespace ember_cuda
