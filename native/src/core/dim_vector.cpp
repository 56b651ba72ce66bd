#include "dim_vector.h"

namespace ember {

std::ostream& operator<<(std::ostream& os, const DimVector& v) {
  os << '[';
  for (int64_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  return os << ']';
}

}  // namespace ember
