// SPDX-License-Identifier: MIT
// A small, strict JSON (RFC 8259) parser for model headers: no comments, no trailing commas,
// no duplicate keys, bounded nesting depth, UTF-8 validated. Errors throw JsonError with the
// byte offset.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace colive::json {

struct JsonError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Value {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };

    // Special members are defined in json.cpp: clang with libstdc++ refuses to instantiate
    // std::pair<std::string, Value> while Value is still incomplete.
    Value();
    ~Value();
    Value(const Value&);
    Value(Value&&) noexcept;
    Value& operator=(const Value&);
    Value& operator=(Value&&) noexcept;

    Type type = Type::Null;
    bool boolean = false;
    double number = 0.0;
    std::string text;                 // string contents, or the number's literal text
    std::vector<Value> array;
    std::vector<std::pair<std::string, Value>> object;   // in file order, keys unique

    bool is_null() const { return type == Type::Null; }
    bool is_bool() const { return type == Type::Bool; }
    bool is_number() const { return type == Type::Number; }
    bool is_string() const { return type == Type::String; }
    bool is_array() const { return type == Type::Array; }
    bool is_object() const { return type == Type::Object; }

    const Value* find(std::string_view key) const;
    // The number as an exact non-negative integer (no fraction, no exponent), if it is one.
    std::optional<std::uint64_t> as_uint64() const;
    // The number as an exact integer within [lo, hi] (integral values written as 4.0 or 4e0 too).
    std::optional<std::int64_t> as_int(std::int64_t lo, std::int64_t hi) const;

    // Compact JSON text of this value.
    std::string dump() const;
};

const char* type_name(Value::Type t);

// Parses exactly one JSON value (surrounding whitespace allowed).
Value parse(std::string_view text, int max_depth = 64);

}  // namespace colive::json
