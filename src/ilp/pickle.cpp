// SPDX-License-Identifier: MIT
// Mirrors: CPython Lib/pickletools.py opcode descriptions for protocol 0 (text opcodes only).
#include "pickle.hpp"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ilpkit/error.hpp"

namespace ilpkit::pickle {

const Object* Object::get(std::string_view key) const {
  if (kind != Kind::Dict) return nullptr;
  for (const auto& [k, v] : entries)
    if (k && k->kind == Kind::String && k->text == key) return v.get();
  return nullptr;
}

namespace {

using MutablePtr = std::shared_ptr<Object>;

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Machine {
 public:
  Machine(std::string_view bytes, std::size_t max_ops) : in_(bytes), max_ops_(max_ops) {}

  Result run() {
    Result result;
    std::size_t ops = 0;
    while (true) {
      if (pos_ >= in_.size()) fail("pickle ends without STOP ('.')");
      if (++ops > max_ops_) fail(fmt::format("more than {} opcodes", max_ops_));
      op_pos_ = pos_;
      char op = in_[pos_++];
      switch (op) {
        case 'c': {
          auto module = line();
          auto name = line();
          auto g = make(Object::Kind::Global);
          g->module = std::string(module);
          g->name = std::string(name);
          g->text = g->module + "." + g->name;
          push(g);
          break;
        }
        case 'p': memo_[index(line())] = top(); break;
        case 'g': {
          auto it = memo_.find(index(line()));
          if (it == memo_.end()) fail("GET of an unset memo entry");
          push(it->second);
          break;
        }
        case '(': marks_.push_back(stack_.size()); break;
        case 't': {
          auto t = make(Object::Kind::Tuple);
          t->items = pop_to_mark();
          push(t);
          break;
        }
        case 'l': {
          auto l = make(Object::Kind::List);
          l->items = pop_to_mark();
          push(l);
          break;
        }
        case 'd': {
          auto items = pop_to_mark();
          if (items.size() % 2) fail("DICT with an odd number of items");
          auto d = make(Object::Kind::Dict);
          for (std::size_t i = 0; i < items.size(); i += 2) d->entries.emplace_back(items[i], items[i + 1]);
          push(d);
          break;
        }
        case 'N': push(make(Object::Kind::None)); break;
        case 'I': push(parse_int(line())); break;
        case 'L': {
          auto text = line();
          if (!text.empty() && (text.back() == 'L' || text.back() == 'l')) text.remove_suffix(1);
          push(parse_int(text));
          break;
        }
        case 'F': {
          std::string text(line());
          char* end = nullptr;
          errno = 0;
          double v = std::strtod(text.c_str(), &end);
          if (text.empty() || end != text.c_str() + text.size()) fail(fmt::format("bad FLOAT literal '{}'", text));
          auto f = make(Object::Kind::Float);
          f->real = v;
          push(f);
          break;
        }
        case 'V': {
          auto s = make(Object::Kind::String);
          s->text = decode_raw_unicode_escape(line());
          push(s);
          break;
        }
        case 'S': {
          auto s = make(Object::Kind::String);
          s->text = decode_python_string(line());
          last_was_py2_string_ = true;
          push(s);
          break;
        }
        case 's': {
          auto value = pop();
          auto key = pop();
          auto dict = mutable_top(Object::Kind::Dict, "SETITEM");
          if (key->kind == Object::Kind::String && key_is_py2_.count(key.get())) result.python2_keys = true;
          dict->entries.emplace_back(key, value);
          break;
        }
        case 'u': {
          auto items = pop_to_mark();
          if (items.size() % 2) fail("SETITEMS with an odd number of items");
          auto dict = mutable_top(Object::Kind::Dict, "SETITEMS");
          for (std::size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'a': {
          auto value = pop();
          mutable_top(Object::Kind::List, "APPEND")->items.push_back(value);
          break;
        }
        case 'e': {
          auto items = pop_to_mark();
          auto list = mutable_top(Object::Kind::List, "APPENDS");
          list->items.insert(list->items.end(), items.begin(), items.end());
          break;
        }
        case 'R': {
          auto args = pop();
          auto callable = pop();
          if (args->kind != Object::Kind::Tuple) fail("REDUCE arguments are not a tuple");
          auto inst = make(Object::Kind::Instance);
          // copy_reg._reconstructor(cls, object, None) is how protocol 0 rebuilds objects.
          if (callable->kind == Object::Kind::Global && callable->name == "_reconstructor" && !args->items.empty())
            inst->cls = args->items[0];
          else
            inst->cls = callable;
          inst->items = args->items;
          push(inst);
          break;
        }
        case 'b': {
          auto state = pop();
          mutable_top(Object::Kind::Instance, "BUILD")->state = state;
          break;
        }
        case '0': pop(); break;
        case '2': push(top()); break;
        case '.': {
          if (stack_.size() != 1) fail(fmt::format("STOP with {} items on the stack", stack_.size()));
          result.value = stack_.back();
          if (pos_ != in_.size()) fail(fmt::format("{} bytes after STOP", in_.size() - pos_));
          return result;
        }
        default:
          if (static_cast<unsigned char>(op) >= 0x20 && static_cast<unsigned char>(op) < 0x7f)
            fail(fmt::format("unexpected opcode '{}'", op));
          fail(fmt::format("unexpected opcode byte 0x{:02x} (not a protocol-0 pickle)",
                           static_cast<unsigned char>(op)));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(ErrorKind::Format, fmt::format("pickle byte {}: {}", op_pos_, why));
  }

  MutablePtr make(Object::Kind kind) {
    auto o = std::make_shared<Object>();
    o->kind = kind;
    return o;
  }

  std::string_view line() {
    auto nl = in_.find('\n', pos_);
    if (nl == std::string_view::npos) fail("argument not terminated by a newline");
    auto s = in_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return s;
  }

  long long index(std::string_view text) {
    if (text.empty() || text.size() > 9) fail(fmt::format("bad memo index '{}'", text));
    long long v = 0;
    for (char ch : text) {
      if (ch < '0' || ch > '9') fail(fmt::format("bad memo index '{}'", text));
      v = v * 10 + (ch - '0');
    }
    return v;
  }

  MutablePtr parse_int(std::string_view text) {
    if (text == "00" || text == "01") {
      auto b = make(Object::Kind::Bool);
      b->boolean = text == "01";
      return b;
    }
    std::string s(text);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) fail(fmt::format("bad INT literal '{}'", s));
    auto i = make(Object::Kind::Int);
    i->integer = v;
    return i;
  }

  std::string decode_raw_unicode_escape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      unsigned char ch = static_cast<unsigned char>(text[i]);
      if (ch == '\\' && i + 1 < text.size() && (text[i + 1] == 'u' || text[i + 1] == 'U')) {
        std::size_t n = text[i + 1] == 'u' ? 4 : 8;
        if (i + 2 + n > text.size()) fail("truncated \\u escape in UNICODE");
        std::string hex(text.substr(i + 2, n));
        char* end = nullptr;
        unsigned long cp = std::strtoul(hex.c_str(), &end, 16);
        if (end != hex.c_str() + n || cp > 0x10FFFF) fail(fmt::format("bad escape \\u{} in UNICODE", hex));
        append_utf8(out, cp);
        i += 1 + n;
      } else {
        append_utf8(out, ch);  // raw bytes are Latin-1 code points
      }
    }
    return out;
  }

  std::string decode_python_string(std::string_view text) {
    if (text.size() < 2 || (text.front() != '\'' && text.front() != '"') || text.back() != text.front())
      fail(fmt::format("bad STRING literal '{}'", text));
    text = text.substr(1, text.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      char ch = text[i];
      if (ch != '\\') {
        out += ch;
        continue;
      }
      if (++i >= text.size()) fail("STRING literal ends in a backslash");
      switch (char e = text[i]) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'x': {
          if (i + 2 >= text.size()) fail("truncated \\x escape in STRING");
          std::string hex(text.substr(i + 1, 2));
          char* end = nullptr;
          unsigned long v = std::strtoul(hex.c_str(), &end, 16);
          if (hex.size() != 2 || end != hex.c_str() + 2) fail("bad \\x escape in STRING");
          out += static_cast<char>(v);
          i += 2;
          break;
        }
        default:
          out += '\\';
          out += e;
      }
    }
    return out;
  }

  void push(MutablePtr o) {
    if (last_was_py2_string_) key_is_py2_.insert(o.get());
    last_was_py2_string_ = false;
    stack_.push_back(std::move(o));
  }

  MutablePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
    auto o = stack_.back();
    stack_.pop_back();
    return o;
  }

  MutablePtr top() {
    if (stack_.empty()) fail("stack underflow");
    return stack_.back();
  }

  MutablePtr mutable_top(Object::Kind kind, const char* opname) {
    auto t = top();
    if (t->kind != kind) fail(fmt::format("{} on an object of the wrong kind", opname));
    return t;
  }

  std::vector<ObjectPtr> pop_to_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    std::size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ObjectPtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  std::string_view in_;
  std::size_t max_ops_;
  std::size_t pos_ = 0;
  std::size_t op_pos_ = 0;
  std::vector<MutablePtr> stack_;
  std::vector<std::size_t> marks_;
  std::map<long long, MutablePtr> memo_;
  std::set<const Object*> key_is_py2_;
  bool last_was_py2_string_ = false;
};

}  // namespace

Result parse(std::string_view bytes, std::size_t max_ops) { return Machine(bytes, max_ops).run(); }

}  // namespace ilpkit::pickle
