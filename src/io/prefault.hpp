#pragma once
// Faulting in the pages of a read-only file mapping up front. The engine maps weights (safetensors,
// GGUF) and would otherwise take a page fault per 4 KB on the first forward pass: a 600 MB model's
// first prefill then runs at a few tokens/s and `generate` reports that as its speed. Prefaulting
// at load time moves the cost to loading, where it is reported as such, and does it in large
// batches (one madvise call) instead of one fault at a time.
#include <cstddef>

namespace lw::io {

// Makes the pages of [p, p + n) resident and mapped (MADV_POPULATE_READ; on kernels without it, one
// read per page). p need not be page-aligned. Reading a file larger than memory this way evicts
// its own first pages, which is no worse than the faults it replaces.
void prefault(const void* p, size_t n);
// The fallback: reads one byte in every page that [p, p + n) touches, and nothing outside it.
void touch_pages(const void* p, size_t n);

}  // namespace lw::io
