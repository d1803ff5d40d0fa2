// Chat formats: exact renderings, label flags, prompts that prefix the training rendering, detection.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/fake_tokenizer.hpp"
#include "io/file.hpp"
#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"
#include "tokenizer/chat_format.hpp"
#include "util/error.hpp"

using lw::testing::FakeTokenizer;
using namespace lw::tok;
namespace fs = std::filesystem;

namespace {

std::string labelled_text(const Tokenizer& t, const RenderedChat& r) {
  std::string s;
  for (size_t i = 0; i < r.ids.size(); ++i)
    if (r.labels[i]) s += t.token_bytes(r.ids[i]);
  return s;
}

void expect_prompt_is_prefix(const ChatFormat& f, std::vector<ChatMessage> msgs) {
  RenderedChat full = f.render(msgs);
  msgs.pop_back();  // drop the final assistant turn
  std::vector<TokenId> prompt = f.render_prompt(msgs);
  // The final assistant turn starts after the last unlabelled token before its labelled run.
  size_t start = full.labels.size();
  while (start > 0 && full.labels[start - 1]) --start;
  ASSERT_EQ(prompt.size(), start) << f.name();
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), full.ids.begin())) << f.name();
}

}  // namespace

TEST(ChatFormat, Llama3LongWriter) {
  auto t = FakeTokenizer::llama3();
  ChatFormat f = ChatFormat::by_name("llama3-longwriter", t);
  std::vector<ChatMessage> m = {{"system", "S"}, {"user", "Hi"}, {"assistant", "Yo"}};
  RenderedChat r = f.render(m);
  ASSERT_EQ(r.ids.size(), r.labels.size());
  EXPECT_EQ(t.decode(r.ids), "<|begin_of_text|>[INST]<<SYS>>\nS\n<</SYS>>\n\nHi[/INST]Yo<|end_of_text|>");
  EXPECT_EQ(labelled_text(t, r), "Yo<|end_of_text|>");
  EXPECT_EQ(r.ids.front(), t.bos_id());
  EXPECT_EQ(r.ids.back(), t.eos_id());
  expect_prompt_is_prefix(f, m);
  // Multi-turn: every assistant turn ends with a labelled EOS.
  std::vector<ChatMessage> m2 = {{"user", "a"}, {"assistant", "b"}, {"user", "c"}, {"assistant", "d"}};
  RenderedChat r2 = f.render(m2);
  EXPECT_EQ(t.decode(r2.ids), "<|begin_of_text|>[INST]a[/INST]b<|end_of_text|>[INST]c[/INST]d<|end_of_text|>");
  EXPECT_EQ(labelled_text(t, r2), "b<|end_of_text|>d<|end_of_text|>");
  expect_prompt_is_prefix(f, m2);
}

TEST(ChatFormat, Llama3Official) {
  auto t = FakeTokenizer::llama3();
  ChatFormat f = ChatFormat::by_name("llama3", t);
  std::vector<ChatMessage> m = {{"system", "S"}, {"user", "Hi "}, {"assistant", " Yo\n"}};
  RenderedChat r = f.render(m);
  EXPECT_EQ(t.decode(r.ids),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nYo<|eot_id|>");
  EXPECT_EQ(labelled_text(t, r), "Yo<|eot_id|>");
  expect_prompt_is_prefix(f, m);
  auto stops = f.stop_ids();
  EXPECT_NE(std::find(stops.begin(), stops.end(), *t.token_to_id("<|eot_id|>")), stops.end());
}

TEST(ChatFormat, Glm4) {
  auto t = FakeTokenizer::glm4();
  ChatFormat f = ChatFormat::by_name("glm4", t);
  std::vector<ChatMessage> m = {{"system", "S"}, {"user", "Hi"}, {"assistant", "Yo"}, {"user", "Q"}, {"assistant", "A"}};
  RenderedChat r = f.render(m);
  EXPECT_EQ(t.decode(r.ids),
            "[gMASK]<sop><|system|>\nS<|user|>\nHi<|assistant|>\nYo<|user|>\nQ<|assistant|>\nA<|endoftext|>");
  // The role token after an assistant turn ends it, so it is labelled like EOS.
  EXPECT_EQ(labelled_text(t, r), "Yo<|user|>A<|endoftext|>");
  expect_prompt_is_prefix(f, {{"user", "Hi"}, {"assistant", "Yo"}});
  EXPECT_EQ(t.decode(f.render_prompt(std::vector<ChatMessage>{{"user", "Hi"}})), "[gMASK]<sop><|user|>\nHi<|assistant|>\n");
}

TEST(ChatFormat, ChatMl) {
  auto t = FakeTokenizer::chatml();
  ChatFormat f = ChatFormat::by_name("chatml", t);
  std::vector<ChatMessage> m = {{"system", "S"}, {"user", "Hi"}, {"assistant", "Yo"}};
  RenderedChat r = f.render(m);
  EXPECT_EQ(t.decode(r.ids),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>");
  EXPECT_EQ(labelled_text(t, r), "Yo<|im_end|>");
  expect_prompt_is_prefix(f, m);
}

TEST(ChatFormat, SpecialTextInMessagesIsNotASpecialToken) {
  auto t = FakeTokenizer::chatml();
  ChatFormat f = ChatFormat::by_name("chatml", t);
  RenderedChat r = f.render(std::vector<ChatMessage>{{"user", "<|im_end|>"}, {"assistant", "ok"}});
  int specials = 0;
  for (auto id : r.ids) specials += t.is_special(id);
  EXPECT_EQ(specials, 4);  // 2x <|im_start|> and 2x <|im_end|> from the format, none from the user text
  EXPECT_EQ(t.decode(r.ids).find("<|im_end|>"), std::string("<|im_start|>user\n").size());
}

TEST(ChatFormat, Errors) {
  auto t = FakeTokenizer::chatml();
  EXPECT_THROW(ChatFormat::by_name("vicuna", t), lw::InputError);
  EXPECT_THROW(ChatFormat::by_name("llama3", t), lw::InputError);  // no <|start_header_id|>
  ChatFormat f = ChatFormat::by_name("chatml", t);
  EXPECT_THROW(f.render(std::vector<ChatMessage>{{"tool", "x"}}), lw::InputError);
  EXPECT_EQ(chat_format_names().size(), 4u);
}

TEST(ChatFormatDetect, FromHints) {
  ChatFormatHints h;
  h.chat_template = "{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>...";
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::llama3);
  h.chat_template = "[gMASK]<sop>{% for item in messages %}<|{{ item.role }}|>";
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::glm4);
  h.chat_template = "{% for m in messages %}<|im_start|>{{ m.role }}\n";
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::chatml);
  h.chat_template = "{{ bos_token }}[INST]{{ m.content }}[/INST]";
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::llama3_longwriter);
  h = {};
  h.architectures = {"ChatGLMForConditionalGeneration"};
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::glm4);
  h = {};
  h.architectures = {"LlamaForCausalLM"};
  h.model_name = "LongWriter-llama3.1-8b";
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::llama3_longwriter);
  h.model_name = "Meta-Llama-3.1-8B-Instruct";
  EXPECT_FALSE(detect_chat_format(h).has_value());
  auto t = FakeTokenizer::llama3();
  h.has_token = [&](std::string_view s) { return t.token_to_id(s).has_value(); };
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::llama3);
  h.explicit_format = "chatml";
  EXPECT_EQ(detect_chat_format(h)->id, ChatFormatId::chatml);
}

TEST(ChatFormatDetect, FromModelDirectory) {
  fs::path d = fs::temp_directory_path() / fmt::format("lw_chatfmt_{}", ::getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  auto t = FakeTokenizer::chatml();
  EXPECT_THROW(detect_chat_format(d, nullptr), lw::InputError);
  EXPECT_EQ(detect_chat_format(d, &t).id, ChatFormatId::chatml);  // special tokens
  lw::io::write_file_atomic(d / "config.json", R"({"architectures": ["GlmForCausalLM"], "model_type": "glm"})");
  EXPECT_EQ(detect_chat_format(d, nullptr).id, ChatFormatId::glm4);
  lw::io::write_file_atomic(d / "tokenizer_config.json",
                            R"({"chat_template": [{"name": "default", "template": "<|im_start|>"}]})");
  EXPECT_EQ(detect_chat_format(d, nullptr).id, ChatFormatId::chatml);
  lw::io::write_file_atomic(d / "tokenizer_config.json", "{not json");
  EXPECT_THROW(detect_chat_format(d, nullptr), lw::InputError);
  fs::remove_all(d);
}

TEST(ChatFormatDetect, FromGgufFile) {
  fs::path d = fs::temp_directory_path() / fmt::format("lw_chatfmt_gguf_{}", ::getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  auto write = [&](const std::string& name, const std::string& arch, const std::string& tmpl) {
    lw::io::GgufStreamWriter w;
    w.set("general.architecture", lw::io::GgufValue::make_string(arch));
    w.set("general.name", lw::io::GgufValue::make_string(name));
    if (!tmpl.empty()) w.set("tokenizer.chat_template", lw::io::GgufValue::make_string(tmpl));
    w.write(d / (name + ".gguf"));
    return d / (name + ".gguf");
  };
  // LongWriter-glm4-9b: llama.cpp's chatglm architecture and GLM's template
  EXPECT_EQ(detect_chat_format(write("LongWriter-glm4-9b", "chatglm", "[gMASK]<sop>{% for m in messages %}<|user|>"), nullptr).id,
            ChatFormatId::glm4);
  EXPECT_EQ(detect_chat_format(write("glm", "chatglm", ""), nullptr).id, ChatFormatId::glm4);
  // LongWriter-llama3.1-8b embeds an [INST] template
  EXPECT_EQ(detect_chat_format(write("LongWriter-llama3.1-8b", "llama", "{{ '[INST]' + m + '[/INST]' }}"), nullptr).id,
            ChatFormatId::llama3_longwriter);
  EXPECT_EQ(detect_chat_format(write("Meta-Llama-3.1-8B-Instruct", "llama", "<|start_header_id|>user<|end_header_id|>"), nullptr).id,
            ChatFormatId::llama3);
  fs::remove_all(d);
}
