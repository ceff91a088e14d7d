// A minimal, strict XML reader for the SVG tests: checks well-formedness
// (one root, matched and properly nested tags, quoted and unique attributes,
// only the five predefined and numeric entity references, no raw '<' or '&'
// in text or attribute values) and builds a small tree to query. No DTDs, no
// CDATA: sunwind's SVG uses neither, so meeting one is an error here.
// Written for the tests so CI needs no XML library.
#ifndef SUNWIND_TESTS_CLI_MINI_XML_H_
#define SUNWIND_TESTS_CLI_MINI_XML_H_

#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace sunwind::testing {

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attrs;  // values decoded
  std::vector<std::unique_ptr<XmlElement>> children;
  std::string text;  // decoded character data directly inside, concatenated

  std::string Attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? "" : it->second;
  }
  bool HasClass(const std::string& cls) const {
    std::string c = " " + Attr("class") + " ";
    return c.find(" " + cls + " ") != std::string::npos;
  }
  // Every element below (and including) this one, depth first, that matches.
  std::vector<const XmlElement*> FindAll(const std::function<bool(const XmlElement&)>& match) const {
    std::vector<const XmlElement*> out;
    Walk(match, &out);
    return out;
  }

 private:
  void Walk(const std::function<bool(const XmlElement&)>& match, std::vector<const XmlElement*>* out) const {
    if (match(*this)) out->push_back(this);
    for (const auto& c : children) c->Walk(match, out);
  }
};

class MiniXmlParser {
 public:
  explicit MiniXmlParser(const std::string& text) : s_(text) {}

  // The root element, or null with error() saying where and what is wrong.
  std::unique_ptr<XmlElement> Parse() {
    std::unique_ptr<XmlElement> root;
    if (s_.compare(0, 5, "<?xml") == 0 && !SkipPast("?>")) return Fail("unterminated XML declaration");
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size()) break;
      if (s_.compare(pos_, 4, "<!--") == 0) {
        if (!SkipPast("-->")) return Fail("unterminated comment");
        continue;
      }
      if (s_[pos_] != '<') return Fail("text outside the root element");
      if (root) return Fail("a second root element");
      root = Element();
      if (!root) return nullptr;
    }
    if (!root) return Fail("no root element");
    return root;
  }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<XmlElement> Fail(const std::string& what) {
    if (error_.empty()) error_ = what + " at offset " + std::to_string(pos_);
    return nullptr;
  }
  bool SkipPast(const std::string& end) {
    size_t p = s_.find(end, pos_);
    if (p == std::string::npos) return false;
    pos_ = p + end.size();
    return true;
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  static bool NameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
  static bool NameChar(char c) {
    return NameStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  }
  bool Name(std::string* out) {
    if (pos_ >= s_.size() || !NameStart(s_[pos_])) return false;
    size_t b = pos_;
    while (pos_ < s_.size() && NameChar(s_[pos_])) ++pos_;
    *out = s_.substr(b, pos_ - b);
    return true;
  }
  // Decodes an entity reference at pos_ ('&'), appending its character.
  bool Entity(std::string* out) {
    size_t semi = s_.find(';', pos_);
    if (semi == std::string::npos || semi - pos_ > 10) return false;
    std::string ref = s_.substr(pos_ + 1, semi - pos_ - 1);
    static const std::map<std::string, char> kNamed = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    if (auto it = kNamed.find(ref); it != kNamed.end()) {
      *out += it->second;
    } else if (ref.size() > 1 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return false;
      for (char c : digits) {
        if (!(hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c)))) {
          return false;
        }
      }
      unsigned long cp = std::stoul(digits, nullptr, hex ? 16 : 10);
      if (cp < 0x80) {
        *out += static_cast<char>(cp);
      } else {
        *out += '?';  // the tests compare ASCII; a non-ASCII reference only has to be valid
      }
    } else {
      return false;
    }
    pos_ = semi + 1;
    return true;
  }
  std::unique_ptr<XmlElement> Element() {
    auto e = std::make_unique<XmlElement>();
    ++pos_;  // '<'
    if (!Name(&e->name)) return Fail("bad element name");
    while (true) {
      size_t before = pos_;
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unterminated tag <" + e->name);
      if (s_.compare(pos_, 2, "/>") == 0) {
        pos_ += 2;
        return e;
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (pos_ == before) return Fail("no space before attribute in <" + e->name);
      std::string key;
      if (!Name(&key)) return Fail("bad attribute name in <" + e->name);
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '=') return Fail("attribute " + key + " without a value");
      ++pos_;
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) return Fail("unquoted attribute " + key);
      char quote = s_[pos_++];
      std::string value;
      while (pos_ < s_.size() && s_[pos_] != quote) {
        if (s_[pos_] == '<') return Fail("'<' in attribute " + key);
        if (s_[pos_] == '&') {
          if (!Entity(&value)) return Fail("bad entity reference in attribute " + key);
        } else {
          value += s_[pos_++];
        }
      }
      if (pos_ >= s_.size()) return Fail("unterminated attribute " + key);
      ++pos_;
      if (!e->attrs.emplace(key, value).second) return Fail("duplicate attribute " + key);
    }
    // Content up to the matching end tag.
    while (true) {
      if (pos_ >= s_.size()) return Fail("unclosed <" + e->name + ">");
      if (s_.compare(pos_, 2, "</") == 0) {
        pos_ += 2;
        std::string end;
        if (!Name(&end) || end != e->name) return Fail("</" + end + "> closes <" + e->name + ">");
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '>') return Fail("bad end tag </" + end);
        ++pos_;
        return e;
      }
      if (s_.compare(pos_, 4, "<!--") == 0) {
        if (!SkipPast("-->")) return Fail("unterminated comment");
        continue;
      }
      if (s_.compare(pos_, 2, "<!") == 0 || s_.compare(pos_, 2, "<?") == 0) return Fail("unsupported markup");
      if (s_[pos_] == '<') {
        auto child = Element();
        if (!child) return nullptr;
        e->children.push_back(std::move(child));
        continue;
      }
      if (s_[pos_] == '&') {
        if (!Entity(&e->text)) return Fail("bad entity reference in text");
        continue;
      }
      if (s_[pos_] == '>' && pos_ >= 2 && s_.compare(pos_ - 2, 2, "]]") == 0) return Fail("']]>' in text");
      e->text += s_[pos_++];
    }
  }

  const std::string s_;  // a copy: callers may pass a temporary
  size_t pos_ = 0;
  std::string error_;
};

// A chart group's plotted values (its data-values attribute, "TIME=VALUE"
// items) keyed by ISO time; "missing" is NaN.
inline std::map<std::string, double> PlottedValues(const XmlElement& g) {
  std::map<std::string, double> out;
  std::istringstream in(g.Attr("data-values"));
  std::string item;
  while (in >> item) {
    auto eq = item.find('=');
    std::string v = item.substr(eq + 1);
    out[item.substr(0, eq)] = v == "missing" ? std::nan("") : std::stod(v);
  }
  return out;
}

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_CLI_MINI_XML_H_
