#pragma once
// The pack file format lives in io (io/pack_format.hpp); the packing pipeline uses its names.
#include "io/pack_format.hpp"

namespace lw::data {

using io::kIgnoreLabel;
using io::PackManifest;
using io::PackReader;
using io::PackRow;
using io::PackRowView;
using io::PackTokenizerInfo;
using io::PackWriter;
using io::ReferenceWriter;
using io::row_labels;
using io::validate_row;

}  // namespace lw::data
