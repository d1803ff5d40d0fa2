#pragma once
// A directory that carries its own proof: manifest.json lists every file with its size and SHA-256,
// and is written last (atomically), so a directory whose manifest verifies is complete and
// unaltered. Used by training checkpoints (docs/training.md).
//
//   {"format": "longwriter-files", "version": 1,
//    "files": [{"name": "model.safetensors", "bytes": 123, "sha256": "ab..."}, ...]}
#include <filesystem>
#include <string>
#include <vector>

namespace lw::io {

inline constexpr const char* kDirManifest = "manifest.json";

// Hashes the named files of dir and writes dir/manifest.json atomically.
void write_dir_manifest(const std::filesystem::path& dir, const std::vector<std::string>& names);

// Checks dir against its manifest: the manifest present and well-formed, every name in `required`
// listed, every listed file present with its size and SHA-256. Throws InputError naming the file
// and the field (bytes, sha256) with what was expected.
void verify_dir_manifest(const std::filesystem::path& dir, const std::vector<std::string>& required);

}  // namespace lw::io
