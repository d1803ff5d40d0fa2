#pragma once
// Text metrics with LongBench-Write's exact semantics.
#include <cstdint>
#include <string_view>

namespace lw::text {

// The number of code points in U+4E00..U+9FFF plus the number of matches of \b[a-zA-Z]+\b, where
// \b is a Unicode word boundary as in Python 3's `re` (letters, digits and underscore of every
// script are word characters). An ASCII-letter run therefore counts only when it is a whole word:
// "café" → 0, "don't" → 2, "中文abc" → 2, "abc_def" → 0. Invalid UTF-8 is read as U+FFFD (a
// non-word character), never an error.
int64_t count_words(std::string_view text);

// LongBench-Write's length score S_l in [0, 100]:
//   produced > required: 100·max(0, 1 − (produced/required − 1)/3)
//   otherwise:           100·max(0, 1 − (required/produced − 1)/2)
// produced == 0 scores 0. required <= 0 throws InputError.
double length_score(double required, double produced);

}  // namespace lw::text
