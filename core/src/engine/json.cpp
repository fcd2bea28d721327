// SPDX-License-Identifier: MIT
#include "json.h"

#include "colive/engine.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace colive::json {

Value::Value() = default;
Value::~Value() = default;
Value::Value(const Value&) = default;
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value&) = default;
Value& Value::operator=(Value&&) noexcept = default;

const char* type_name(Value::Type t) {
    switch (t) {
        case Value::Type::Null: return "null";
        case Value::Type::Bool: return "boolean";
        case Value::Type::Number: return "number";
        case Value::Type::String: return "string";
        case Value::Type::Array: return "array";
        case Value::Type::Object: return "object";
    }
    return "?";
}

const Value* Value::find(std::string_view key) const {
    if (type != Type::Object) return nullptr;
    for (const auto& [k, v] : object)
        if (k == key) return &v;
    return nullptr;
}

std::optional<std::uint64_t> Value::as_uint64() const {
    if (type != Type::Number || text.empty()) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return v;
}

std::optional<std::int64_t> Value::as_int(std::int64_t lo, std::int64_t hi) const {
    if (type != Type::Number || !std::isfinite(number)) return std::nullopt;
    if (number != std::floor(number)) return std::nullopt;
    if (number < double(lo) || number > double(hi)) return std::nullopt;
    return static_cast<std::int64_t>(number);
}

namespace {

void dump_string(const std::string& s, std::string& out) {
    out += '"';
    out += colive::json_escape(s);
    out += '"';
}

void dump_value(const Value& v, std::string& out) {
    switch (v.type) {
        case Value::Type::Null: out += "null"; break;
        case Value::Type::Bool: out += v.boolean ? "true" : "false"; break;
        case Value::Type::Number: out += v.text; break;
        case Value::Type::String: dump_string(v.text, out); break;
        case Value::Type::Array:
            out += '[';
            for (std::size_t i = 0; i < v.array.size(); ++i) {
                if (i) out += ',';
                dump_value(v.array[i], out);
            }
            out += ']';
            break;
        case Value::Type::Object:
            out += '{';
            for (std::size_t i = 0; i < v.object.size(); ++i) {
                if (i) out += ',';
                dump_string(v.object[i].first, out);
                out += ':';
                dump_value(v.object[i].second, out);
            }
            out += '}';
            break;
    }
}

class Parser {
public:
    Parser(std::string_view s, int max_depth) : m_s(s), m_max_depth(max_depth) {}

    Value parse_document() {
        skip_ws();
        Value v = parse_value(0);
        skip_ws();
        if (m_pos != m_s.size()) fail("unexpected trailing characters");
        return v;
    }

private:
    std::string_view m_s;
    std::size_t m_pos = 0;
    int m_max_depth;

    [[noreturn]] void fail(const std::string& what) const {
        throw JsonError("JSON error at byte " + std::to_string(m_pos) + ": " + what);
    }

    bool at_end() const { return m_pos >= m_s.size(); }
    char peek() const { return at_end() ? '\0' : m_s[m_pos]; }

    void skip_ws() {
        while (!at_end()) {
            const char c = m_s[m_pos];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
                ++m_pos;
            else
                break;
        }
    }

    void expect_literal(std::string_view lit) {
        if (m_s.substr(m_pos, lit.size()) != lit) fail("invalid literal");
        m_pos += lit.size();
    }

    Value parse_value(int depth) {
        if (depth > m_max_depth) fail("nesting deeper than " + std::to_string(m_max_depth));
        if (at_end()) fail("unexpected end of input");
        Value v;
        const char c = peek();
        switch (c) {
            case '{': parse_object(v, depth); break;
            case '[': parse_array(v, depth); break;
            case '"':
                v.type = Value::Type::String;
                v.text = parse_string();
                break;
            case 't':
                expect_literal("true");
                v.type = Value::Type::Bool;
                v.boolean = true;
                break;
            case 'f':
                expect_literal("false");
                v.type = Value::Type::Bool;
                v.boolean = false;
                break;
            case 'n':
                expect_literal("null");
                v.type = Value::Type::Null;
                break;
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                    parse_number(v);
                else
                    fail(std::string("unexpected character '") + (c >= 0x20 && c < 0x7f ? c : '?') + "'");
        }
        return v;
    }

    void parse_object(Value& v, int depth) {
        v.type = Value::Type::Object;
        ++m_pos;  // '{'
        skip_ws();
        if (peek() == '}') {
            ++m_pos;
            return;
        }
        for (;;) {
            skip_ws();
            if (peek() != '"') fail("expected a string key");
            std::string key = parse_string();
            for (const auto& kv : v.object)
                if (kv.first == key) fail("duplicate key \"" + key + "\"");
            skip_ws();
            if (peek() != ':') fail("expected ':'");
            ++m_pos;
            skip_ws();
            Value child = parse_value(depth + 1);
            v.object.emplace_back(std::move(key), std::move(child));
            skip_ws();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            if (peek() == '}') {
                ++m_pos;
                return;
            }
            fail("expected ',' or '}'");
        }
    }

    void parse_array(Value& v, int depth) {
        v.type = Value::Type::Array;
        ++m_pos;  // '['
        skip_ws();
        if (peek() == ']') {
            ++m_pos;
            return;
        }
        for (;;) {
            skip_ws();
            v.array.push_back(parse_value(depth + 1));
            skip_ws();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            if (peek() == ']') {
                ++m_pos;
                return;
            }
            fail("expected ',' or ']'");
        }
    }

    unsigned hex4() {
        if (m_pos + 4 > m_s.size()) fail("truncated \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = m_s[m_pos++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= unsigned(c - 'A' + 10);
            else
                fail("invalid hex digit in \\u escape");
        }
        return v;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    // Validates one UTF-8 sequence starting at m_pos and appends it.
    void copy_utf8(std::string& out) {
        const auto b0 = static_cast<unsigned char>(m_s[m_pos]);
        int len = 0;
        unsigned cp = 0;
        if (b0 < 0x80) {
            out += char(b0);
            ++m_pos;
            return;
        } else if ((b0 & 0xE0) == 0xC0) {
            len = 2;
            cp = b0 & 0x1F;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3;
            cp = b0 & 0x0F;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4;
            cp = b0 & 0x07;
        } else {
            fail("invalid UTF-8");
        }
        if (m_pos + std::size_t(len) > m_s.size()) fail("truncated UTF-8");
        for (int i = 1; i < len; ++i) {
            const auto b = static_cast<unsigned char>(m_s[m_pos + std::size_t(i)]);
            if ((b & 0xC0) != 0x80) fail("invalid UTF-8");
            cp = (cp << 6) | (b & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            fail("invalid UTF-8");
        out.append(m_s.substr(m_pos, std::size_t(len)));
        m_pos += std::size_t(len);
    }

    std::string parse_string() {
        ++m_pos;  // opening quote
        std::string out;
        for (;;) {
            if (at_end()) fail("unterminated string");
            const char c = m_s[m_pos];
            if (c == '"') {
                ++m_pos;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
            if (c != '\\') {
                copy_utf8(out);
                continue;
            }
            ++m_pos;
            if (at_end()) fail("unterminated escape");
            const char e = m_s[m_pos++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (m_s.substr(m_pos, 2) != "\\u") fail("unpaired surrogate");
                        m_pos += 2;
                        const unsigned lo = hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("unpaired surrogate");
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail("invalid escape");
            }
        }
    }

    void parse_number(Value& v) {
        const std::size_t start = m_pos;
        if (peek() == '-') ++m_pos;
        if (peek() == '0') {
            ++m_pos;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') ++m_pos;
        } else {
            fail("invalid number");
        }
        if (peek() == '.') {
            ++m_pos;
            if (!(peek() >= '0' && peek() <= '9')) fail("invalid number");
            while (peek() >= '0' && peek() <= '9') ++m_pos;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_pos;
            if (peek() == '+' || peek() == '-') ++m_pos;
            if (!(peek() >= '0' && peek() <= '9')) fail("invalid number");
            while (peek() >= '0' && peek() <= '9') ++m_pos;
        }
        v.type = Value::Type::Number;
        v.text = std::string(m_s.substr(start, m_pos - start));
        double d = 0.0;
        auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
        if (ec == std::errc::result_out_of_range) {
            // Magnitude too large or too small for a double: decide which from the literal.
            const bool neg = v.text[0] == '-';
            const std::size_t int_start = neg ? 1 : 0;
            const bool tiny = v.text.find("e-") != std::string::npos || v.text.find("E-") != std::string::npos ||
                              v.text[int_start] == '0';
            d = tiny ? 0.0 : std::numeric_limits<double>::infinity();
            if (neg) d = -d;
        } else if (ec != std::errc() || p != v.text.data() + v.text.size()) {
            fail("invalid number");
        }
        v.number = d;
    }
};

}  // namespace

std::string Value::dump() const {
    std::string out;
    dump_value(*this, out);
    return out;
}

Value parse(std::string_view text, int max_depth) {
    Parser p(text, max_depth);
    return p.parse_document();
}

}  // namespace colive::json

std::string colive::json_escape(const std::string& s) {
    std::string o;
    o.reserve(s.size() + 2);
    for (unsigned char c : s) {
        switch (c) {
            case '"': o += "\\\""; break;
            case '\\': o += "\\\\"; break;
            case '\n': o += "\\n"; break;
            case '\r': o += "\\r"; break;
            case '\t': o += "\\t"; break;
            case '\b': o += "\\b"; break;
            case '\f': o += "\\f"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    o += buf;
                } else {
                    o += char(c);
                }
        }
    }
    return o;
}
