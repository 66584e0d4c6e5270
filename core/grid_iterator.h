// File: grid_iterator.h
//
// GridIterator: a forward iterator over any "grid" that computes its
// elements from an index (operator[] and size()), so chunk and window grids
// of long recordings can be walked with range-for and compared in tests
// without ever being materialized. A grid of a 90-minute recording with a
// one-frame stride has 1.6e8 elements; a vector of them would be gigabytes
// chosen by a request field.
//
// Example:
//   class Grid { ... int64_t size() const; T operator[](int64_t) const;
//                GridIterator<Grid> begin() const { return {this, 0}; } ... };
#ifndef NEUROFEAT_CORE_GRID_ITERATOR_H_
#define NEUROFEAT_CORE_GRID_ITERATOR_H_

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace neurofeat {

template <typename Grid>
class GridIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = decltype(std::declval<const Grid&>()[int64_t{0}]);
  using difference_type = std::ptrdiff_t;
  using pointer = const value_type*;
  using reference = value_type;

  GridIterator() = default;
  GridIterator(const Grid* grid, int64_t index) : grid_(grid), index_(index) {}
  value_type operator*() const { return (*grid_)[index_]; }
  GridIterator& operator++() {
    ++index_;
    return *this;
  }
  GridIterator operator++(int) {
    GridIterator before = *this;
    ++index_;
    return before;
  }
  bool operator==(const GridIterator& other) const { return index_ == other.index_; }
  bool operator!=(const GridIterator& other) const { return index_ != other.index_; }

 private:
  const Grid* grid_ = nullptr;
  int64_t index_ = 0;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_GRID_ITERATOR_H_
