#pragma once
// SHA-256 lives in io (checkpoints, pack manifests and agentwrite row checksums all use it); the
// data module's callers keep their names.
#include "io/sha256.hpp"

namespace lw::data {

using io::Sha256;
using io::sha256_file;
using io::sha256_hex;

}  // namespace lw::data
