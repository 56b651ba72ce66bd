// Sizes and strides: a vector that keeps up to 6 entries inline, so creating a tensor of the usual
// rank does not allocate for its metadata.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <vector>

namespace ember {

class DimVector {
 public:
  static constexpr int kInline = 6;

  DimVector() = default;
  explicit DimVector(int64_t n, int64_t value = 0) { assign(n, value); }
  DimVector(const int64_t* p, int64_t n) { assign(p, n); }
  DimVector(std::initializer_list<int64_t> l) { assign(l.begin(), static_cast<int64_t>(l.size())); }
  DimVector(std::span<const int64_t> s) { assign(s.data(), static_cast<int64_t>(s.size())); }
  DimVector(const DimVector& o) { assign(o.data(), o.size()); }
  DimVector& operator=(const DimVector& o) {
    if (this != &o) assign(o.data(), o.size());
    return *this;
  }
  // Moves steal the heap buffer (if any) instead of copying it.
  DimVector(DimVector&& o) noexcept : n_(o.n_), heap_(std::move(o.heap_)) {
    std::copy(o.inline_, o.inline_ + kInline, inline_);
    o.heap_.clear();
    o.n_ = 0;
  }
  DimVector& operator=(DimVector&& o) noexcept {
    if (this != &o) {
      n_ = o.n_;
      std::copy(o.inline_, o.inline_ + kInline, inline_);
      heap_ = std::move(o.heap_);
      o.heap_.clear();
      o.n_ = 0;
    }
    return *this;
  }

  int64_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t* data() { return heap_.empty() ? inline_ : heap_.data(); }
  const int64_t* data() const { return heap_.empty() ? inline_ : heap_.data(); }
  int64_t& operator[](int64_t i) { return data()[i]; }
  int64_t operator[](int64_t i) const { return data()[i]; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + n_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + n_; }
  int64_t back() const { return data()[n_ - 1]; }
  operator std::span<const int64_t>() const { return {data(), static_cast<size_t>(n_)}; }

  void resize(int64_t n, int64_t value = 0) {
    DimVector tmp(*this);
    assign(n, value);
    std::copy(tmp.begin(), tmp.begin() + std::min(n, tmp.size()), begin());
  }
  void push_back(int64_t v) { insert(n_, v); }
  void insert(int64_t pos, int64_t v) {
    DimVector tmp(*this);
    assign(tmp.size() + 1, 0);
    std::copy(tmp.begin(), tmp.begin() + pos, begin());
    data()[pos] = v;
    std::copy(tmp.begin() + pos, tmp.end(), begin() + pos + 1);
  }
  void erase(int64_t pos) {
    std::copy(begin() + pos + 1, end(), begin() + pos);
    --n_;
    if (!heap_.empty()) heap_.resize(static_cast<size_t>(n_ > kInline ? n_ : kInline));
  }
  bool operator==(const DimVector& o) const { return std::equal(begin(), end(), o.begin(), o.end()); }

 private:
  void assign(int64_t n, int64_t value) {
    n_ = n;
    heap_.clear();
    if (n > kInline) heap_.assign(static_cast<size_t>(n), value);
    else std::fill(inline_, inline_ + n, value);
  }
  void assign(const int64_t* p, int64_t n) {
    assign(n, 0);
    std::copy(p, p + n, data());
  }

  int64_t n_ = 0;
  int64_t inline_[kInline] = {};
  std::vector<int64_t> heap_;  // used only beyond kInline dims
};

// Prints [2, 3, 4].
std::ostream& operator<<(std::ostream& os, const DimVector& v);

}  // namespace ember
