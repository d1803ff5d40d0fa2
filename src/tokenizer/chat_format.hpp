#pragma once
// Chat formats by name — the ONE rendering of conversations into token ids shared by packing
// (data/), generation (engine/) and serving (serve/), so training and inference never disagree on
// a prompt's tokens. docs/packing.md shows a rendered example of each.
//
//   llama3-longwriter  <BOS>[INST]<<SYS>>\n{system}\n<</SYS>>\n\n{user}[/INST]{assistant}<EOS>
//   llama3             <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>
//                      <|start_header_id|>assistant<|end_header_id|>\n\n{assistant}<|eot_id|>
//   glm4               [gMASK]<sop><|system|>\n{system}<|user|>\n{user}<|assistant|>\n{assistant}<EOS>
//   chatml             <|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{assistant}<|im_end|>
//
// Rendering works on segments: special tokens are looked up by name and inserted as ids (never
// matched inside message text, so user text cannot inject them); runs of text with the same label
// flag are encoded as one string with allow_special=false. Labelled (flag 1): the text of every
// assistant turn and the token that ends it (EOS, <|eot_id|>, <|im_end|>, or for glm4 between
// turns the next role token). Everything else (BOS, headers, system and user turns) is 0.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace lw::tok {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

struct RenderedChat {
  std::vector<TokenId> ids;
  std::vector<uint8_t> labels;  // (ids.size()) 1 = labelled (assistant text or its end token)
};

enum class ChatFormatId { llama3_longwriter, llama3, glm4, chatml };

// "llama3-longwriter", "llama3", "glm4", "chatml".
std::vector<std::string> chat_format_names();
// InputError listing the known names for an unknown one.
ChatFormatId parse_chat_format(std::string_view name);
std::string chat_format_name(ChatFormatId id);

class ChatFormat {
 public:
  // Resolves the format's special tokens in `tok`; InputError naming the missing token when the
  // vocabulary lacks one. `tok` must outlive the ChatFormat.
  ChatFormat(ChatFormatId id, const Tokenizer& tok);
  static ChatFormat by_name(std::string_view name, const Tokenizer& tok);

  ChatFormatId id() const { return id_; }
  std::string name() const { return chat_format_name(id_); }

  // A whole conversation for training: ids with per-token label flags. Roles other than system,
  // user and assistant throw InputError.
  RenderedChat render(std::span<const ChatMessage> messages) const;
  // A prompt for inference: the conversation (normally ending with a user turn) followed by the
  // assistant header, so the model's next token starts the reply. Same tokens as render() up to
  // where the assistant text would begin.
  std::vector<TokenId> render_prompt(std::span<const ChatMessage> messages) const;
  // Ids that end a reply in this format (plus the tokenizer's own stop ids).
  std::vector<TokenId> stop_ids() const;

 private:
  struct Segment {
    std::string text;
    TokenId special = -1;
    bool labelled = false;
  };
  std::vector<Segment> segments(std::span<const ChatMessage> messages, bool generation_prompt) const;
  RenderedChat encode_segments(const std::vector<Segment>& segs) const;
  TokenId need(std::string_view name, TokenId preferred = -1) const;

  ChatFormatId id_;
  const Tokenizer* tok_;
  TokenId bos_ = -1, eos_ = -1;
  TokenId t1_ = -1, t2_ = -1, t3_ = -1, t4_ = -1, t5_ = -1;  // format-specific specials
};

// What is known about a model when detecting its chat format.
struct ChatFormatHints {
  std::string explicit_format;         // config.json "longwriter_chat_format" (wins when set)
  std::string chat_template;           // tokenizer_config.json chat_template / GGUF tokenizer.chat_template
  std::vector<std::string> architectures;  // config.json "architectures" / GGUF general.architecture
  std::string model_type;              // config.json "model_type"
  std::string model_name;              // directory or file name
  std::function<bool(std::string_view)> has_token;  // vocabulary lookup (may be empty)
};

struct DetectedChatFormat {
  ChatFormatId id;
  std::string reason;  // e.g. "chat_template uses <|start_header_id|>"
};

// The known format a chat template renders, if any.
std::optional<ChatFormatId> chat_format_from_template(std::string_view chat_template);
// Detection order: explicit_format, chat_template, architecture/model_type, special tokens in the
// vocabulary. Returns nullopt when nothing matches.
std::optional<DetectedChatFormat> detect_chat_format(const ChatFormatHints& hints);
// Reads config.json and tokenizer_config.json of a model directory (either may be missing) and
// detects; `tok` (may be null) answers has_token. InputError when no format can be detected,
// asking for --format.
DetectedChatFormat detect_chat_format(const std::filesystem::path& model_dir, const Tokenizer* tok);

}  // namespace lw::tok
