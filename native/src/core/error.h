// Errors are C++ exceptions inside the engine and status codes at the C ABI (src/capi).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

#include "ember/core.h"

namespace ember {

class Error : public std::runtime_error {
 public:
  Error(ember_status status, const std::string& msg) : std::runtime_error(msg), status_(status) {}
  ember_status status() const noexcept { return status_; }

 private:
  ember_status status_;
};

// Concatenates anything streamable: str("add: shapes ", a, " and ", b).
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace ember

// EMBER_CHECK(cond, EMBER_ERROR_SHAPE, "add: shapes ", a.sizes(), " and ", b.sizes(), " ...");
#define EMBER_CHECK(cond, status, ...)                          \
  do {                                                          \
    if (!(cond)) throw ::ember::Error((status), ::ember::str(__VA_ARGS__)); \
  } while (0)
#define EMBER_FAIL(status, ...) throw ::ember::Error((status), ::ember::str(__VA_ARGS__))
