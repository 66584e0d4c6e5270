#include "core/io/xml_scan.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/json.h"

namespace neurofeat {

const std::string* XmlElement::Find(absl::string_view attribute) const {
  for (const auto& [key, value] : attributes) {
    if (key == attribute) return &value;
  }
  return nullptr;
}

namespace {

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == ':';
}

class Scanner {
 public:
  Scanner(absl::string_view text, absl::string_view what, int64_t max_elements)
      : s_(text), what_(what), max_elements_(max_elements) {}

  absl::StatusOr<std::vector<XmlElement>> Run() {
    std::vector<int64_t> open;  // indices of elements not yet closed
    while (true) {
      const size_t lt = s_.find('<', pos_);
      if (lt == absl::string_view::npos) break;
      pos_ = lt;
      if (Starts("<!--")) {
        if (!SkipPast("-->")) return Error("an unclosed comment");
      } else if (Starts("<![CDATA[")) {
        if (!SkipPast("]]>")) return Error("an unclosed CDATA section");
      } else if (Starts("<?")) {
        if (!SkipPast("?>")) return Error("an unclosed processing instruction");
      } else if (Starts("<!")) {
        if (!SkipPast(">")) return Error("an unclosed declaration");
      } else if (Starts("</")) {
        pos_ += 2;
        const std::string name = Name();
        SkipSpace();
        if (name.empty() || !Eat('>')) return Error("a malformed end tag");
        if (open.empty() || elements_[open.back()].name != name) {
          return Error(absl::StrCat(
              "</", name, "> does not close ",
              open.empty() ? "any element" : absl::StrCat("<", elements_[open.back()].name, ">")));
        }
        open.pop_back();
      } else {
        ++pos_;
        if (static_cast<int64_t>(elements_.size()) >= max_elements_) {
          return Error(absl::StrCat("more than ", max_elements_, " elements"));
        }
        XmlElement e;
        e.name = Name();
        if (e.name.empty()) return Error("a tag without a name");
        e.parent = open.empty() ? -1 : open.back();
        bool self_closing = false;
        while (true) {
          SkipSpace();
          if (pos_ >= s_.size()) return Error(absl::StrCat("<", e.name, "> is not closed"));
          if (Eat('>')) break;
          if (Starts("/>")) {
            pos_ += 2;
            self_closing = true;
            break;
          }
          std::string key = Name();
          SkipSpace();
          if (key.empty() || !Eat('=')) {
            return Error(absl::StrCat("<", e.name, "> has a malformed attribute"));
          }
          SkipSpace();
          if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) {
            return Error(absl::StrCat("<", e.name, "> attribute ", key, " has no quoted value"));
          }
          const char quote = s_[pos_++];
          const size_t end = s_.find(quote, pos_);
          if (end == absl::string_view::npos) {
            return Error(absl::StrCat("<", e.name, "> attribute ", key, " is not closed"));
          }
          absl::StatusOr<std::string> value = Decode(s_.substr(pos_, end - pos_));
          if (!value.ok()) return value.status();
          pos_ = end + 1;
          e.attributes.emplace_back(std::move(key), *std::move(value));
        }
        elements_.push_back(std::move(e));
        if (!self_closing) open.push_back(static_cast<int64_t>(elements_.size()) - 1);
      }
    }
    if (!open.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what_, ": <", elements_[open.back()].name, "> is never closed"));
    }
    if (elements_.empty()) return absl::InvalidArgumentError(absl::StrCat(what_, ": no elements"));
    return std::move(elements_);
  }

 private:
  bool Starts(absl::string_view p) const { return s_.substr(pos_, p.size()) == p; }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool SkipPast(absl::string_view end) {
    const size_t at = s_.find(end, pos_);
    if (at == absl::string_view::npos) return false;
    pos_ = at + end.size();
    return true;
  }
  void SkipSpace() {
    while (pos_ < s_.size() && absl::ascii_isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  std::string Name() {
    const size_t start = pos_;
    while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  absl::StatusOr<std::string> Decode(absl::string_view raw) const {
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out.push_back(raw[i]);
        continue;
      }
      const size_t semi = raw.find(';', i);
      if (semi == absl::string_view::npos || semi - i > 12) return Error("a malformed entity");
      const absl::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "amp") {
        out.push_back('&');
      } else if (ent == "lt") {
        out.push_back('<');
      } else if (ent == "gt") {
        out.push_back('>');
      } else if (ent == "quot") {
        out.push_back('"');
      } else if (ent == "apos") {
        out.push_back('\'');
      } else if (ent.size() > 1 && ent[0] == '#') {
        uint32_t cp = 0;
        const bool hex = ent[1] == 'x' || ent[1] == 'X';
        const bool ok =
            hex ? absl::SimpleHexAtoi(ent.substr(2), &cp) : absl::SimpleAtoi(ent.substr(1), &cp);
        if (!ok || cp == 0 || cp > 0x10FFFF) return Error("a malformed character reference");
        AppendUtf8(cp, &out);
      } else {
        return Error(absl::StrCat("an unknown entity &", ent, ";"));
      }
      i = semi;
    }
    return out;
  }
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": ", what, " at byte ", pos_));
  }

  absl::string_view s_;
  std::string what_;
  int64_t max_elements_;
  size_t pos_ = 0;
  std::vector<XmlElement> elements_;
};

}  // namespace

absl::StatusOr<std::vector<XmlElement>> ScanXml(absl::string_view text, absl::string_view what,
                                                int64_t max_elements) {
  return Scanner(text, what, max_elements).Run();
}

}  // namespace neurofeat
