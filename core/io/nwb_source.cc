#include "core/io/nwb_source.h"

#include <hdf5.h>
#include <libdeflate.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/buffer_pool.h"
#include "core/checked_math.h"
#include "core/io/regular_file.h"
#include "core/mutex.h"
#include "core/status_macros.h"
#include "core/util/json.h"

namespace neurofeat {
namespace {

// ---------------------------------------------------------------------------
// HDF5 ids and errors
// ---------------------------------------------------------------------------

// Hid owns one HDF5 id and closes it with `Close` when it dies. Move-only.
template <herr_t (*Close)(hid_t)>
class Hid {
 public:
  Hid() = default;
  explicit Hid(hid_t id) : id_(id) {}
  Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { Reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  void Reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
};

using FileId = Hid<H5Fclose>;
using DatasetId = Hid<H5Dclose>;
using GroupId = Hid<H5Gclose>;
using AttrId = Hid<H5Aclose>;
using SpaceId = Hid<H5Sclose>;
using TypeId = Hid<H5Tclose>;
using PlistId = Hid<H5Pclose>;

// SilenceHdf5Errors(): HDF5 prints its error stack to stderr by default; we
// fold the messages into statuses instead. The setting belongs to the
// calling thread's error stack (thread-safe build), so every entry point
// calls this on the thread it runs on.
void SilenceHdf5Errors() {
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

herr_t TakeInnermost(unsigned n, const H5E_error2_t* err, void* data) {
  if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(data) = err->desc;
  return 0;
}

// Hdf5Detail() is the innermost message on this thread's HDF5 error stack
// ("" when empty), as " (HDF5: ...)", and clears the stack.
std::string Hdf5Detail() {
  std::string desc;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, TakeInnermost, &desc);
  H5Eclear2(H5E_DEFAULT);
  if (desc.empty()) return "";
  return absl::StrCat(" (HDF5: ", desc, ")");
}

// External links name other files; following one would read outside the
// caller's data roots, so traversal is refused on every open.
herr_t RefuseExternalLink(const char*, const char*, const char*, const char*, unsigned*, hid_t,
                          void*) {
  return -1;
}

// ---------------------------------------------------------------------------
// Reading objects, attributes and small datasets
// ---------------------------------------------------------------------------

// Context for messages: "<file>: /acquisition/es".
struct Where {
  const std::string& file;
  std::string object;
  std::string operator()(absl::string_view child = "") const {
    return child.empty() ? absl::StrCat(file, ": ", object)
                         : absl::StrCat(file, ": ", object, "/", child);
  }
};

absl::Status Invalid(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, " ", what));
}

// LinkExists(): whether `loc` has a link `name` (not following it).
absl::StatusOr<bool> LinkExists(hid_t loc, const std::string& name, hid_t lapl,
                                const std::string& where) {
  const htri_t exists = H5Lexists(loc, name.c_str(), lapl);
  if (exists < 0) return Invalid(where, absl::StrCat("cannot be looked up", Hdf5Detail()));
  if (exists == 0) return false;
  H5L_info_t info;
  if (H5Lget_info(loc, name.c_str(), &info, lapl) < 0) {
    return Invalid(where, absl::StrCat("cannot be looked up", Hdf5Detail()));
  }
  if (info.type == H5L_TYPE_EXTERNAL) {
    return Invalid(where, "is an external link to another file, which is not supported");
  }
  return true;
}

// OpenObject() opens `name` under `loc` (links are checked: external ones
// are refused) and checks it is of `type` (H5I_GROUP or H5I_DATASET).
absl::StatusOr<hid_t> OpenObject(hid_t loc, const std::string& name, H5I_type_t type, hid_t lapl,
                                 const std::string& where) {
  NF_ASSIGN_OR_RETURN(bool exists, LinkExists(loc, name, lapl, where));
  if (!exists) return Invalid(where, "is missing");
  const hid_t id = H5Oopen(loc, name.c_str(), lapl);
  if (id < 0) return Invalid(where, absl::StrCat("cannot be opened", Hdf5Detail()));
  if (H5Iget_type(id) != type) {
    H5Oclose(id);
    return Invalid(where, type == H5I_GROUP ? "is not a group" : "is not a dataset");
  }
  return id;
}

absl::StatusOr<GroupId> OpenGroup(hid_t loc, const std::string& name, hid_t lapl,
                                  const std::string& where) {
  NF_ASSIGN_OR_RETURN(hid_t id, OpenObject(loc, name, H5I_GROUP, lapl, where));
  return GroupId(id);
}

absl::StatusOr<DatasetId> OpenDataset(hid_t loc, const std::string& name, hid_t lapl,
                                      const std::string& where) {
  NF_ASSIGN_OR_RETURN(hid_t id, OpenObject(loc, name, H5I_DATASET, lapl, where));
  return DatasetId(id);
}

// OpenOptionalDataset(): like OpenDataset, or an invalid id when absent.
absl::StatusOr<DatasetId> OpenOptionalDataset(hid_t loc, const std::string& name, hid_t lapl,
                                              const std::string& where) {
  NF_ASSIGN_OR_RETURN(bool exists, LinkExists(loc, name, lapl, where));
  if (!exists) return DatasetId();
  return OpenDataset(loc, name, lapl, where);
}

// OpenAttribute(): the attribute `name` of `obj`, or an invalid id.
absl::StatusOr<AttrId> OpenAttribute(hid_t obj, const char* name, const std::string& where) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists < 0) return Invalid(where, absl::StrCat("cannot be read", Hdf5Detail()));
  if (exists == 0) return AttrId();
  AttrId attr(H5Aopen(obj, name, H5P_DEFAULT));
  if (!attr.valid()) return Invalid(where, absl::StrCat("cannot be read", Hdf5Detail()));
  return attr;
}

// OnePoint(): whether a dataspace holds exactly one element (scalar, or a
// one-element array, which some writers use for attributes).
bool OnePoint(hid_t space) {
  const H5S_class_t cls = H5Sget_simple_extent_type(space);
  return (cls == H5S_SCALAR || cls == H5S_SIMPLE) && H5Sget_simple_extent_npoints(space) == 1;
}

// Longest string a fixed-length string attribute or cell may be.
constexpr size_t kMaxFixedString = 1 << 16;

// ReadOneString() reads the single string of an attribute (`attr` true) or
// dataset `id` whose type is `type`; variable or fixed length.
absl::StatusOr<std::string> ReadOneString(hid_t id, bool attr, hid_t type,
                                          const std::string& where) {
  if (H5Tget_class(type) != H5T_STRING) return Invalid(where, "is not a string");
  SpaceId space(attr ? H5Aget_space(id) : H5Dget_space(id));
  if (!space.valid() || !OnePoint(space.get())) return Invalid(where, "is not a single string");
  if (H5Tis_variable_str(type) > 0) {
    TypeId mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type));
    char* s = nullptr;
    const herr_t rc = attr ? H5Aread(id, mem.get(), &s)
                           : H5Dread(id, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &s);
    if (rc < 0) return Invalid(where, absl::StrCat("cannot be read", Hdf5Detail()));
    std::string out = s == nullptr ? "" : s;
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, &s);
    return out;
  }
  const size_t size = H5Tget_size(type);
  if (size == 0 || size > kMaxFixedString) {
    return Invalid(where, absl::StrCat("is a string of ", size, " bytes, more than supported"));
  }
  TypeId mem(H5Tcopy(type));
  std::string out(size, '\0');
  const herr_t rc = attr ? H5Aread(id, mem.get(), out.data())
                         : H5Dread(id, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
  if (rc < 0) return Invalid(where, absl::StrCat("cannot be read", Hdf5Detail()));
  out.resize(strnlen(out.data(), out.size()));
  if (H5Tget_strpad(type) == H5T_STR_SPACEPAD)
    out = std::string(absl::StripTrailingAsciiWhitespace(out));
  return out;
}

// ReadStringAttribute(): the attribute as a string, or nullopt if absent.
absl::StatusOr<std::optional<std::string>> ReadStringAttribute(hid_t obj, const char* name,
                                                               const std::string& where) {
  const std::string w = absl::StrCat(where, " attribute ", name);
  NF_ASSIGN_OR_RETURN(AttrId attr, OpenAttribute(obj, name, w));
  if (!attr.valid()) return std::optional<std::string>();
  TypeId type(H5Aget_type(attr.get()));
  if (!type.valid()) return Invalid(w, absl::StrCat("cannot be read", Hdf5Detail()));
  NF_ASSIGN_OR_RETURN(std::string s, ReadOneString(attr.get(), true, type.get(), w));
  return std::optional<std::string>(std::move(s));
}

// ReadNumberAttribute(): a numeric (integer or float) single-value
// attribute as float64 (float32 widens exactly), or nullopt if absent.
absl::StatusOr<std::optional<double>> ReadNumberAttribute(hid_t obj, const char* name,
                                                          const std::string& where) {
  const std::string w = absl::StrCat(where, " attribute ", name);
  NF_ASSIGN_OR_RETURN(AttrId attr, OpenAttribute(obj, name, w));
  if (!attr.valid()) return std::optional<double>();
  TypeId type(H5Aget_type(attr.get()));
  SpaceId space(H5Aget_space(attr.get()));
  if (!type.valid() || !space.valid()) {
    return Invalid(w, absl::StrCat("cannot be read", Hdf5Detail()));
  }
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return Invalid(w, "is not a number");
  if (!OnePoint(space.get())) return Invalid(w, "is not a single number");
  double v = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v) < 0) {
    return Invalid(w, absl::StrCat("cannot be read", Hdf5Detail()));
  }
  return std::optional<double>(v);
}

// Shape of a dataset: rank and dims (simple dataspaces only).
struct Shape {
  int rank = 0;
  hsize_t dims[H5S_MAX_RANK] = {};
};

absl::StatusOr<Shape> GetShape(hid_t dset, const std::string& where) {
  SpaceId space(H5Dget_space(dset));
  if (!space.valid()) return Invalid(where, absl::StrCat("has no dataspace", Hdf5Detail()));
  Shape s;
  if (H5Sget_simple_extent_type(space.get()) != H5S_SIMPLE) {
    return Invalid(where, "is a scalar or empty, not an array");
  }
  s.rank = H5Sget_simple_extent_ndims(space.get());
  if (s.rank < 1 || s.rank > H5S_MAX_RANK ||
      H5Sget_simple_extent_dims(space.get(), s.dims, nullptr) < 0) {
    return Invalid(where, absl::StrCat("has an unreadable shape", Hdf5Detail()));
  }
  return s;
}

std::string ShapeText(const Shape& s) {
  std::vector<std::string> dims;
  for (int i = 0; i < s.rank; ++i) dims.push_back(absl::StrCat(s.dims[i]));
  return absl::StrCat("(", absl::StrJoin(dims, ", "), ")");
}

// Length1D(): the length of a 1-D dataset, checked against kMaxCount.
absl::StatusOr<int64_t> Length1D(hid_t dset, const std::string& where) {
  NF_ASSIGN_OR_RETURN(Shape s, GetShape(dset, where));
  if (s.rank != 1) return Invalid(where, absl::StrCat("has shape ", ShapeText(s), ", not 1-D"));
  if (s.dims[0] > static_cast<hsize_t>(kMaxCount)) {
    return Invalid(where, absl::StrCat("has ", s.dims[0], " elements, more than supported"));
  }
  return static_cast<int64_t>(s.dims[0]);
}

// ReadNumbers() reads elements [first, first + count) of a 1-D numeric
// dataset into `out` as `mem_type` (H5T_NATIVE_DOUBLE or _INT64).
template <typename T>
absl::Status ReadNumbers(hid_t dset, hid_t mem_type, int64_t first, int64_t count, T* out,
                         const std::string& where) {
  if (count == 0) return absl::OkStatus();
  SpaceId file_space(H5Dget_space(dset));
  const hsize_t start = first, n = count;
  SpaceId mem_space(H5Screate_simple(1, &n, nullptr));
  if (!file_space.valid() || !mem_space.valid() ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr) < 0 ||
      H5Dread(dset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    return Invalid(where, absl::StrCat("cannot be read", Hdf5Detail()));
  }
  return absl::OkStatus();
}

// ReadPoints() reads the elements at `rows` (any order, repeats allowed) of
// a 1-D dataset as `mem_type` into `out` (rows.size() elements).
absl::Status ReadPoints(hid_t dset, hid_t mem_type, const std::vector<int64_t>& rows, void* out,
                        const std::string& where) {
  SpaceId file_space(H5Dget_space(dset));
  const hsize_t n = rows.size();
  SpaceId mem_space(H5Screate_simple(1, &n, nullptr));
  std::vector<hsize_t> coords(rows.begin(), rows.end());
  if (!file_space.valid() || !mem_space.valid() ||
      H5Sselect_elements(file_space.get(), H5S_SELECT_SET, n, coords.data()) < 0 ||
      H5Dread(dset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    return Invalid(where, absl::StrCat("cannot be read", Hdf5Detail()));
  }
  return absl::OkStatus();
}

// ReadStringPoints(): the strings at `rows` of a 1-D string dataset.
absl::StatusOr<std::vector<std::string>> ReadStringPoints(hid_t dset,
                                                          const std::vector<int64_t>& rows,
                                                          const std::string& where) {
  TypeId type(H5Dget_type(dset));
  if (!type.valid() || H5Tget_class(type.get()) != H5T_STRING) {
    return Invalid(where, "is not a column of strings");
  }
  std::vector<std::string> out;
  out.reserve(rows.size());
  if (H5Tis_variable_str(type.get()) > 0) {
    TypeId mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    std::vector<char*> ptrs(rows.size(), nullptr);
    NF_RETURN_IF_ERROR(ReadPoints(dset, mem.get(), rows, ptrs.data(), where));
    for (char* p : ptrs) out.emplace_back(p == nullptr ? "" : p);
    const hsize_t n = rows.size();
    SpaceId mem_space(H5Screate_simple(1, &n, nullptr));
    H5Dvlen_reclaim(mem.get(), mem_space.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > 1024) {
    return Invalid(where, absl::StrCat("holds strings of ", size, " bytes, more than supported"));
  }
  TypeId mem(H5Tcopy(type.get()));
  std::vector<char> buf(size * rows.size());
  NF_RETURN_IF_ERROR(ReadPoints(dset, mem.get(), rows, buf.data(), where));
  const bool spaces = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
  for (size_t i = 0; i < rows.size(); ++i) {
    const char* p = buf.data() + i * size;
    std::string s(p, strnlen(p, size));
    if (spaces) s = std::string(absl::StripTrailingAsciiWhitespace(s));
    out.push_back(std::move(s));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Which groups are ElectricalSeries
// ---------------------------------------------------------------------------

// Bounds on the cached specification read to resolve extension types.
constexpr int kMaxSpecDatasets = 512;
constexpr size_t kMaxSpecBytes = 8 << 20;
constexpr size_t kMaxSpecTotalBytes = 32 << 20;

void CollectTypeParents(const JsonValue& v, std::map<std::string, std::string>* parents) {
  if (v.is_object()) {
    const JsonValue* def = v.Find("neurodata_type_def");
    const JsonValue* inc = v.Find("neurodata_type_inc");
    if (def != nullptr && inc != nullptr && def->is_string() && inc->is_string()) {
      parents->emplace(def->string_value(), inc->string_value());
    }
    for (const auto& [key, member] : v.object()) CollectTypeParents(member, parents);
  } else if (v.is_list()) {
    for (const JsonValue& item : v.list()) CollectTypeParents(item, parents);
  }
}

struct SpecWalk {
  std::vector<std::string> datasets;  // paths of the spec texts
  bool too_many = false;
};

herr_t CollectSpecDataset(hid_t, const char* name, const H5O_info_t* info, void* data) {
  auto* walk = static_cast<SpecWalk*>(data);
  if (info->type != H5O_TYPE_DATASET) return 0;
  if (static_cast<int>(walk->datasets.size()) >= kMaxSpecDatasets) {
    walk->too_many = true;
    return 1;
  }
  walk->datasets.push_back(name);
  return 0;
}

// CachedTypeParents() maps every neurodata_type_def found in the file's
// cached specification to its neurodata_type_inc. A spec that cannot be
// read or parsed is skipped: its types are then simply not recognised.
std::map<std::string, std::string> CachedTypeParents(hid_t file, hid_t lapl) {
  std::map<std::string, std::string> parents;
  if (H5Lexists(file, "specifications", lapl) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return parents;
  }
  // Opened through `lapl`, which refuses external links.
  const hid_t spec_id = H5Oopen(file, "specifications", lapl);
  if (spec_id >= 0 && H5Iget_type(spec_id) != H5I_GROUP) {
    H5Oclose(spec_id);
    return parents;
  }
  GroupId spec(spec_id);
  SpecWalk walk;
  if (!spec.valid() ||
      H5Ovisit(spec.get(), H5_INDEX_NAME, H5_ITER_INC, CollectSpecDataset, &walk) < 0) {
    H5Eclear2(H5E_DEFAULT);
  }
  size_t total = 0;
  for (const std::string& name : walk.datasets) {
    if (total > kMaxSpecTotalBytes) break;
    DatasetId d(H5Oopen(spec.get(), name.c_str(), lapl));
    if (!d.valid() || H5Iget_type(d.get()) != H5I_DATASET) continue;
    TypeId type(H5Dget_type(d.get()));
    SpaceId space(H5Dget_space(d.get()));
    if (!type.valid() || !space.valid() || H5Tget_class(type.get()) != H5T_STRING ||
        !OnePoint(space.get())) {
      continue;
    }
    // (H5Dvlen_get_buf_size would bound a variable-length text before it
    // is read, but HDF5 1.10.8 crashes on it for scalar dataspaces; such a
    // text is held in the file, so the file's size bounds it.)
    absl::StatusOr<std::string> text = ReadOneString(d.get(), false, type.get(), name);
    if (!text.ok() || text->size() > kMaxSpecBytes) continue;
    total += text->size();
    absl::StatusOr<JsonValue> json = ParseJson(*text);
    if (json.ok()) CollectTypeParents(*json, &parents);
  }
  H5Eclear2(H5E_DEFAULT);
  return parents;
}

// DerivesFromElectricalSeries(): whether `type` is ElectricalSeries or
// derives from it, and not from SpikeEventSeries (snippets).
bool DerivesFromElectricalSeries(std::string type,
                                 const std::map<std::string, std::string>& parents) {
  for (int depth = 0; depth < 32; ++depth) {
    if (type == "ElectricalSeries") return true;
    if (type == "SpikeEventSeries") return false;
    auto it = parents.find(type);
    if (it == parents.end()) return false;
    type = it->second;
  }
  return false;
}

struct Link {
  std::string name;
  H5L_type_t type;
};

struct LinkList {
  std::vector<Link> links;
  bool too_many = false;
};

constexpr size_t kMaxAcquisitionLinks = 100000;

herr_t CollectLink(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* list = static_cast<LinkList*>(data);
  if (list->links.size() >= kMaxAcquisitionLinks) {
    list->too_many = true;
    return 1;
  }
  list->links.push_back({name, info->type});
  return 0;
}

// ---------------------------------------------------------------------------
// Samples
// ---------------------------------------------------------------------------

enum class Element { kInt16, kUInt16, kInt32, kFloat32, kFloat64 };

size_t ElementSize(Element e) {
  switch (e) {
    case Element::kInt16:
    case Element::kUInt16:
      return 2;
    case Element::kInt32:
    case Element::kFloat32:
      return 4;
    case Element::kFloat64:
      return 8;
  }
  return 1;
}

hid_t NativeType(Element e) {
  switch (e) {
    case Element::kInt16:
      return H5T_NATIVE_INT16;
    case Element::kUInt16:
      return H5T_NATIVE_UINT16;
    case Element::kInt32:
      return H5T_NATIVE_INT32;
    case Element::kFloat32:
      return H5T_NATIVE_FLOAT;
    case Element::kFloat64:
      return H5T_NATIVE_DOUBLE;
  }
  return H5T_NATIVE_DOUBLE;
}

// The stored type as the element kind, and whether its bytes are this
// machine's (little-endian IEEE / two's complement), which direct chunk
// reads need.
struct StoredType {
  Element element;
  bool little_endian_standard;
};

absl::StatusOr<StoredType> ClassifyType(hid_t type, const std::string& where) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  StoredType t{Element::kInt16, false};
  if (cls == H5T_INTEGER && size == 2) {
    t.element = H5Tget_sign(type) == H5T_SGN_NONE ? Element::kUInt16 : Element::kInt16;
    t.little_endian_standard =
        H5Tequal(type, t.element == Element::kInt16 ? H5T_STD_I16LE : H5T_STD_U16LE) > 0;
  } else if (cls == H5T_INTEGER && size == 4 && H5Tget_sign(type) == H5T_SGN_2) {
    t.element = Element::kInt32;
    t.little_endian_standard = H5Tequal(type, H5T_STD_I32LE) > 0;
  } else if (cls == H5T_FLOAT && size == 4) {
    t.element = Element::kFloat32;
    t.little_endian_standard = H5Tequal(type, H5T_IEEE_F32LE) > 0;
  } else if (cls == H5T_FLOAT && size == 8) {
    t.element = Element::kFloat64;
    t.little_endian_standard = H5Tequal(type, H5T_IEEE_F64LE) > 0;
  } else {
    const char* kind = cls == H5T_INTEGER  ? (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int")
                       : cls == H5T_FLOAT  ? "float"
                       : cls == H5T_STRING ? "string"
                                           : "non-numeric";
    return Invalid(where, absl::StrCat("has type ", kind, size * 8,
                                       ", not supported (int16, uint16, int32, float32, "
                                       "float64)"));
  }
  return t;
}

// Scaling: v = (x * conversion) * channel_conversion[c] + offset, in that
// order, as numpy evaluates the schema's formula.
struct Scaling {
  double conversion = 1.0;
  double offset = 0.0;
  std::vector<double> channel_conversion;  // one per channel (1.0 when absent)
};

// ScaleRow() writes n volts (x * conversion) * factor[c] + offset. The
// build is -O2 without -march, where GCC only vectorises loops whose trip
// count it knows; the body is unrolled by four so that its basic-block
// vectoriser packs the conversions and products instead.
template <typename T>
inline void ScaleRow(const T* __restrict x, int64_t n, double conversion,
                     const double* __restrict factor, double offset, double* __restrict d) {
  int64_t c = 0;
  for (; c + 4 <= n; c += 4) {
    const double v0 = static_cast<double>(x[c]) * conversion * factor[c] + offset;
    const double v1 = static_cast<double>(x[c + 1]) * conversion * factor[c + 1] + offset;
    const double v2 = static_cast<double>(x[c + 2]) * conversion * factor[c + 2] + offset;
    const double v3 = static_cast<double>(x[c + 3]) * conversion * factor[c + 3] + offset;
    d[c] = v0;
    d[c + 1] = v1;
    d[c + 2] = v2;
    d[c + 3] = v3;
  }
  for (; c < n; ++c) d[c] = static_cast<double>(x[c]) * conversion * factor[c] + offset;
}

// ConvertBlock() writes frames x `nch` channels of stored elements to
// float64 volts at `dst` (rows `dst_stride` apart), channel c using
// factor[c]. Element (f, c) is at index first + f * src_stride + c of
// `src` (aligned for T: pool blocks are 64-byte aligned and chunks hold
// whole elements); with `planes` > 0 the source is still shuffled (HDF5's
// shuffle filter: byte b of element i at b * planes + i), and each
// element's bytes are gathered where it is converted, which saves a pass
// over the chunk and a chunk-sized buffer (measured ~10% less CPU than
// gathering a row first and scaling it vectorised).
template <typename T>
void ConvertBlock(const std::byte* src, int64_t planes, int64_t first, int64_t src_stride,
                  int64_t frames, int64_t nch, double conversion, const double* factor,
                  double offset, double* dst, int64_t dst_stride) {
  constexpr int64_t kSize = sizeof(T);
  const T* elements = reinterpret_cast<const T*>(src);
  for (int64_t f = 0; f < frames; ++f) {
    const int64_t row = first + f * src_stride;
    double* d = dst + f * dst_stride;
    if (planes == 0) {
      ScaleRow(elements + row, nch, conversion, factor, offset, d);
    } else {
      // Little-endian: byte b of an element is bits 8b.. of its value.
      using Bits = std::conditional_t<kSize == 2, uint16_t,
                                      std::conditional_t<kSize == 4, uint32_t, uint64_t>>;
      const auto* p = reinterpret_cast<const unsigned char*>(src) + row;
      for (int64_t c = 0; c < nch; ++c) {
        Bits v = 0;
        for (int64_t b = 0; b < kSize; ++b) v |= static_cast<Bits>(p[b * planes + c]) << (8 * b);
        T x;
        std::memcpy(&x, &v, kSize);
        d[c] = static_cast<double>(x) * conversion * factor[c] + offset;
      }
    }
  }
}

// A block of stored elements to convert (see ConvertBlock).
struct Block {
  const std::byte* src = nullptr;
  int64_t planes = 0;  // > 0: still shuffled, elements per byte plane
  int64_t first = 0;
  int64_t stride = 0;
  int64_t frames = 0;
  int64_t channels = 0;
  int64_t c0 = 0;  // first channel of the block in the recording
};

void Convert(Element e, const Block& b, const Scaling& scaling, double* dst, int64_t dst_stride) {
  const double* factor = scaling.channel_conversion.data() + b.c0;
  const double conv = scaling.conversion, off = scaling.offset;
  switch (e) {
    case Element::kInt16:
      return ConvertBlock<int16_t>(b.src, b.planes, b.first, b.stride, b.frames, b.channels, conv,
                                   factor, off, dst, dst_stride);
    case Element::kUInt16:
      return ConvertBlock<uint16_t>(b.src, b.planes, b.first, b.stride, b.frames, b.channels, conv,
                                    factor, off, dst, dst_stride);
    case Element::kInt32:
      return ConvertBlock<int32_t>(b.src, b.planes, b.first, b.stride, b.frames, b.channels, conv,
                                   factor, off, dst, dst_stride);
    case Element::kFloat32:
      return ConvertBlock<float>(b.src, b.planes, b.first, b.stride, b.frames, b.channels, conv,
                                 factor, off, dst, dst_stride);
    case Element::kFloat64:
      return ConvertBlock<double>(b.src, b.planes, b.first, b.stride, b.frames, b.channels, conv,
                                  factor, off, dst, dst_stride);
  }
}

// Unshuffle() undoes HDF5's shuffle filter into `dst`, for pipelines where
// another filter must run after it (shuffle is not the last to undo).
void Unshuffle(const std::byte* src, size_t bytes, size_t element, std::byte* dst) {
  const size_t n = bytes / element;
  if (element <= 1 || n <= 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
  for (size_t b = 0; b < element; ++b) {
    const std::byte* s = src + b * n;
    for (size_t i = 0; i < n; ++i) dst[i * element + b] = s[i];
  }
  const size_t tail = n * element;
  std::memcpy(dst + tail, src + tail, bytes - tail);
}

// Scratch: a buffer from the process's BufferPool that grows on demand.
// Fresh pages cost a fault each (expensive on virtual machines), and
// std::vector would zero them too; pooled blocks are reused as they are.
class Scratch {
 public:
  std::byte* Get(size_t bytes) {
    if (bytes > capacity_ || block_ == nullptr) {
      block_ = BufferPool::Default().Acquire(std::max<size_t>(bytes, 1));
      capacity_ = bytes;
    }
    return block_.get();
  }

 private:
  BufferPool::Block block_;
  size_t capacity_ = 0;
};

// Largest raw chunk decoded by hand; bigger chunks go through H5Dread.
constexpr int64_t kMaxDirectChunkBytes = 64 << 20;
// Samples per H5Dread block on the hyperslab path (bounds its buffer).
constexpr int64_t kReadBlockBytes = 4 << 20;

// A chunk inflated (and, unless `shuffled`, unshuffled), ready to convert.
struct DecodedChunk {
  BufferPool::Block bytes;
  bool shuffled = false;  // still in shuffle's byte planes
};

// Bytes of decoded chunks a source keeps (at least two chunks fit, or
// nothing is kept).
constexpr size_t kChunkCacheBytes = 32 << 20;
// At most this many (lookups scan them; tiny chunks gain little anyway).
constexpr size_t kMaxCachedChunks = 64;

// ChunkCache: the most recently used decoded chunks of one source, shared
// by its reading threads (entries are immutable; a reader holds its own
// reference while it converts). A chunk is decoded once: the first reader
// to miss claims it, and others that want it meanwhile wait for it rather
// than inflate it again.
class ChunkCache {
 public:
  explicit ChunkCache(size_t chunk_bytes)
      : capacity_(chunk_bytes > 0 && chunk_bytes <= kChunkCacheBytes / 2
                      ? std::min<size_t>(kChunkCacheBytes / chunk_bytes, kMaxCachedChunks)
                      : 0) {}

  // FindOrClaim(): the chunk, or null with *claimed true when the caller
  // must decode it and then Publish() it (always, even on failure).
  std::shared_ptr<const DecodedChunk> FindOrClaim(int64_t key, bool* claimed)
      ABSL_LOCKS_EXCLUDED(mu_) {
    *claimed = false;
    if (capacity_ == 0) {
      *claimed = true;
      return nullptr;
    }
    MutexLock lock(&mu_);
    while (true) {
      auto it =
          std::find_if(lru_.begin(), lru_.end(), [key](const Entry& e) { return e.key == key; });
      if (it == lru_.end()) {
        lru_.push_front({key, nullptr, true});
        *claimed = true;
        return nullptr;
      }
      if (!it->pending) {
        lru_.splice(lru_.begin(), lru_, it);
        return lru_.front().chunk;
      }
      done_.Wait(&mu_);  // another reader decodes it; look again when done
    }
  }

  // Publish() ends a claim: keeps `chunk`, or drops the claim when it is
  // null (never written, or decoding failed), and wakes the waiters.
  void Publish(int64_t key, std::shared_ptr<const DecodedChunk> chunk) ABSL_LOCKS_EXCLUDED(mu_) {
    if (capacity_ == 0) return;
    MutexLock lock(&mu_);
    auto it = std::find_if(lru_.begin(), lru_.end(),
                           [key](const Entry& e) { return e.key == key && e.pending; });
    if (it != lru_.end()) {
      if (chunk == nullptr) {
        lru_.erase(it);
      } else {
        it->chunk = std::move(chunk);
        it->pending = false;
      }
    }
    // Drop the least recently used finished chunks beyond the capacity.
    size_t count = lru_.size();
    for (auto e = lru_.end(); count > capacity_ && e != lru_.begin();) {
      --e;
      if (!e->pending) {
        e = lru_.erase(e);
        --count;
      }
    }
    done_.SignalAll();
  }

 private:
  struct Entry {
    int64_t key;
    std::shared_ptr<const DecodedChunk> chunk;
    bool pending;
  };
  const size_t capacity_;  // chunks
  Mutex mu_;
  CondVar done_;
  std::list<Entry> lru_ ABSL_GUARDED_BY(mu_);
};

// ---------------------------------------------------------------------------
// NwbSource
// ---------------------------------------------------------------------------

class NwbSource final : public TraceSource {
 public:
  struct Layout {
    Element element = Element::kInt16;
    int rank = 2;  // 1: (frames); 2: (frames, channels)
    int64_t frames = 0;
    int64_t channels = 0;
    bool direct = false;       // chunks read raw and decoded here
    int64_t chunk_frames = 0;  // direct (and chunked) only
    int64_t chunk_channels = 0;
    std::vector<H5Z_filter_t> filters;  // direct: in the order applied on write
  };

  NwbSource(std::string path, std::string object, FileId file, DatasetId data, Layout layout,
            Scaling scaling, RecordingInfo info)
      : path_(std::move(path)),
        object_(std::move(object)),
        file_(std::move(file)),
        data_(std::move(data)),
        layout_(std::move(layout)),
        scaling_(std::move(scaling)),
        info_(std::move(info)),
        cache_(layout_.direct ? static_cast<size_t>(layout_.chunk_frames * layout_.chunk_channels) *
                                    ElementSize(layout_.element)
                              : 0) {}

  const RecordingInfo& info() const override { return info_; }
  int64_t num_frames() const override { return layout_.frames; }
  SampleType sample_type() const override { return SampleType::kFloat64; }

  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override {
    NF_RETURN_IF_ERROR(CheckFrameRange(start, end, layout_.frames));
    SilenceHdf5Errors();
    Traces t = Traces::Uninitialized(SampleType::kFloat64, end - start, layout_.channels);
    if (end == start) return t;
    if (layout_.direct) {
      NF_RETURN_IF_ERROR(ReadDirect(start, end, &t));
    } else {
      NF_RETURN_IF_ERROR(ReadHyperslabs(start, end, &t));
    }
    return t;
  }

 private:
  // ReadRegion() reads frames [f0, f1) x channels [c0, c1) with H5Dread
  // into rows of `out` (frame f0 at `out_row`).
  absl::Status ReadRegion(int64_t f0, int64_t f1, int64_t c0, int64_t c1, Traces* out,
                          int64_t out_row, Scratch* scratch) const {
    const int64_t nf = f1 - f0, nc = c1 - c0;
    std::byte* buf = scratch->Get(static_cast<size_t>(nf * nc) * ElementSize(layout_.element));
    SpaceId file_space(H5Dget_space(data_.get()));
    const hsize_t start[2] = {static_cast<hsize_t>(f0), static_cast<hsize_t>(c0)};
    const hsize_t count[2] = {static_cast<hsize_t>(nf), static_cast<hsize_t>(nc)};
    SpaceId mem_space(H5Screate_simple(layout_.rank, count, nullptr));
    if (!file_space.valid() || !mem_space.valid() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
        H5Dread(data_.get(), NativeType(layout_.element), mem_space.get(), file_space.get(),
                H5P_DEFAULT, buf) < 0) {
      return absl::DataLossError(absl::StrCat(path_, ": ", object_, "/data: reading frames [", f0,
                                              ", ", f1, ") failed", Hdf5Detail()));
    }
    Block block;
    block.src = buf;
    block.stride = nc;
    block.frames = nf;
    block.channels = nc;
    block.c0 = c0;
    Convert(layout_.element, block, scaling_, out->row<double>(out_row) + c0, layout_.channels);
    return absl::OkStatus();
  }

  absl::Status ReadHyperslabs(int64_t start, int64_t end, Traces* out) const {
    const int64_t frame_bytes =
        layout_.channels * static_cast<int64_t>(ElementSize(layout_.element));
    int64_t block = std::max<int64_t>(1, kReadBlockBytes / frame_bytes);
    // Whole chunks per block, so HDF5 decodes each chunk once.
    if (layout_.chunk_frames > 0 && block > layout_.chunk_frames) {
      block -= block % layout_.chunk_frames;
    }
    Scratch scratch;
    for (int64_t f = start; f < end;) {
      int64_t f1 = std::min(end, f + block);
      if (layout_.chunk_frames > 0 && f1 < end && f1 - f > layout_.chunk_frames) {
        f1 -= f1 % layout_.chunk_frames;  // end blocks on chunk edges
      }
      NF_RETURN_IF_ERROR(ReadRegion(f, f1, 0, layout_.channels, out, f - start, &scratch));
      f = f1;
    }
    return absl::OkStatus();
  }

  // DecodeChunk() fetches the chunk at frame k * chunk_frames, channel c0
  // raw (under HDF5's lock, inside H5Dread_chunk) and decodes it here
  // (outside it, so threads inflate in parallel). Null: never written.
  absl::StatusOr<std::shared_ptr<const DecodedChunk>> DecodeChunk(int64_t k, int64_t c0,
                                                                  Scratch* stored_scratch,
                                                                  Scratch* a_scratch,
                                                                  Scratch* b_scratch) const {
    const int64_t cf = layout_.chunk_frames, cc = layout_.chunk_channels;
    const size_t item = ElementSize(layout_.element);
    const size_t chunk_bytes = static_cast<size_t>(cf * cc) * item;
    // Deflate can grow incompressible data slightly (about 0.03% and a few
    // bytes per block); anything much larger is a corrupt size.
    const hsize_t max_stored = chunk_bytes + chunk_bytes / 64 + 4096;
    const hsize_t offset[2] = {static_cast<hsize_t>(k * cf), static_cast<hsize_t>(c0)};
    hsize_t stored_bytes = 0;
    if (H5Dget_chunk_storage_size(data_.get(), offset, &stored_bytes) < 0) {
      H5Eclear2(H5E_DEFAULT);
      stored_bytes = 0;
    }
    if (stored_bytes == 0) return std::shared_ptr<const DecodedChunk>();
    auto chunk_name = [&] {
      return absl::StrCat(path_, ": ", object_, "/data: the chunk at frame ", k * cf,
                          layout_.rank == 2 ? absl::StrCat(", channel ", c0) : "");
    };
    if (stored_bytes > max_stored) {
      return absl::DataLossError(absl::StrCat(chunk_name(), " stores ", stored_bytes,
                                              " bytes, more than its ", chunk_bytes,
                                              " raw bytes can compress to"));
    }
    std::byte* stored = stored_scratch->Get(stored_bytes);
    uint32_t skipped = 0;
    if (H5Dread_chunk(data_.get(), H5P_DEFAULT, offset, &skipped, stored) < 0) {
      return absl::DataLossError(absl::StrCat(chunk_name(), " cannot be read", Hdf5Detail()));
    }
    // Undo the filters in reverse order; a set bit marks one skipped. A
    // shuffle undone last is left to the conversion (planes > 0).
    std::byte* a = a_scratch->Get(chunk_bytes);
    std::byte* b = b_scratch->Get(chunk_bytes);
    const std::byte* cur = stored;
    size_t cur_bytes = stored_bytes;
    bool shuffled = false;
    for (int i = static_cast<int>(layout_.filters.size()) - 1; i >= 0; --i) {
      if (skipped & (1u << i)) continue;
      if (layout_.filters[i] == H5Z_FILTER_SHUFFLE && cur_bytes != chunk_bytes) {
        return absl::DataLossError(absl::StrCat(chunk_name(), " holds ", cur_bytes,
                                                " bytes to unshuffle, not ", chunk_bytes));
      }
      std::byte* dst = cur == a ? b : a;
      if (layout_.filters[i] == H5Z_FILTER_DEFLATE) {
        // libdeflate inflates the same zlib streams 2-3x faster than zlib
        // (checksum included); one decompressor per thread, made once.
        thread_local std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)>
            inflater(libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
        if (inflater == nullptr) return absl::ResourceExhaustedError("cannot allocate an inflater");
        size_t out_len = 0;
        const libdeflate_result rc = libdeflate_zlib_decompress(inflater.get(), cur, cur_bytes,
                                                                dst, chunk_bytes, &out_len);
        if (rc != LIBDEFLATE_SUCCESS || out_len != chunk_bytes) {
          return absl::DataLossError(absl::StrCat(chunk_name(), " does not inflate to its ",
                                                  chunk_bytes, " bytes (deflate error ",
                                                  static_cast<int>(rc), ")"));
        }
      } else if (i == 0 || (skipped & ((1u << i) - 1)) == ((1u << i) - 1)) {
        shuffled = item > 1;  // the last step: fused into the conversion
        continue;
      } else {
        Unshuffle(cur, cur_bytes, item, dst);
      }
      cur = dst;
      cur_bytes = chunk_bytes;
    }
    if (cur_bytes != chunk_bytes) {
      return absl::DataLossError(
          absl::StrCat(chunk_name(), " holds ", cur_bytes, " bytes, not ", chunk_bytes));
    }
    auto chunk = std::make_shared<DecodedChunk>();
    chunk->bytes = BufferPool::Default().Acquire(chunk_bytes);
    std::memcpy(chunk->bytes.get(), cur, chunk_bytes);
    chunk->shuffled = shuffled;
    return std::shared_ptr<const DecodedChunk>(std::move(chunk));
  }

  // ReadDirect() converts each chunk overlapping [start, end), decoded or
  // found in the cache of recently decoded chunks (a read of one second
  // from chunks of ten would otherwise inflate each chunk ten times).
  absl::Status ReadDirect(int64_t start, int64_t end, Traces* out) const {
    const int64_t cf = layout_.chunk_frames, cc = layout_.chunk_channels;
    const int64_t col_chunks = (layout_.channels + cc - 1) / cc;
    Scratch stored_scratch, a_scratch, b_scratch, fallback;
    for (int64_t k = start / cf; k * cf < end; ++k) {
      const int64_t f0 = std::max(start, k * cf), f1 = std::min(end, (k + 1) * cf);
      for (int64_t c0 = 0; c0 < layout_.channels; c0 += cc) {
        const int64_t c1 = std::min(layout_.channels, c0 + cc);
        const int64_t key = k * col_chunks + c0 / cc;
        bool claimed = false;
        std::shared_ptr<const DecodedChunk> chunk = cache_.FindOrClaim(key, &claimed);
        if (claimed) {
          absl::StatusOr<std::shared_ptr<const DecodedChunk>> decoded =
              DecodeChunk(k, c0, &stored_scratch, &a_scratch, &b_scratch);
          cache_.Publish(key, decoded.ok() ? *decoded : nullptr);
          if (!decoded.ok()) return decoded.status();
          chunk = *std::move(decoded);
        }
        if (chunk == nullptr) {
          // Never written: HDF5 knows the fill value.
          NF_RETURN_IF_ERROR(ReadRegion(f0, f1, c0, c1, out, f0 - start, &fallback));
          continue;
        }
        Block block;
        block.src = chunk->bytes.get();
        block.planes = chunk->shuffled ? cf * cc : 0;
        block.first = (f0 - k * cf) * cc;
        block.stride = cc;
        block.frames = f1 - f0;
        block.channels = c1 - c0;
        block.c0 = c0;
        Convert(layout_.element, block, scaling_, out->row<double>(f0 - start) + c0,
                layout_.channels);
      }
    }
    return absl::OkStatus();
  }

  const std::string path_;
  const std::string object_;  // "/acquisition/<name>"
  // Declared before data_ so that the dataset closes first.
  FileId file_;
  DatasetId data_;
  const Layout layout_;
  const Scaling scaling_;
  const RecordingInfo info_;
  mutable ChunkCache cache_;
};

// ---------------------------------------------------------------------------
// Open
// ---------------------------------------------------------------------------

// Deflate compresses at most about 1032:1; no stored chunk of a real file
// holds more. A dataset that claims more elements than its file could hold
// at that ratio (unwritten chunks read as the fill value and cost nothing)
// is refused before anything loops over it.
constexpr int64_t kMaxCompressionRatio = 1100;

// CheckFitsInFile(): `elements` of `item` bytes of `dset` could be held in
// a file of `file_size` bytes (uncompressed, or compressed by its filters).
absl::Status CheckFitsInFile(hid_t dset, int64_t elements, int64_t item, int64_t file_size,
                             const std::string& where) {
  PlistId dcpl(H5Dget_create_plist(dset));
  const bool filtered = dcpl.valid() && H5Pget_nfilters(dcpl.get()) > 0;
  H5Eclear2(H5E_DEFAULT);
  const int64_t bound = SaturatingMul(file_size, filtered ? kMaxCompressionRatio : 1);
  if (SaturatingMul(elements, item) > bound) {
    return Invalid(where, absl::StrCat("claims ", elements, " values of ", item,
                                       " bytes, more than a file of ", file_size, " bytes holds",
                                       filtered ? " even compressed" : ""));
  }
  return absl::OkStatus();
}

// FirstMissingFrame() is the first frame of `data` whose stored bytes lie
// past `file_size` (absolute file offsets), or -1 if none does (or it cannot
// be told without looking at too many chunks).
int64_t FirstMissingFrame(hid_t data, hid_t dcpl, const NwbSource::Layout& l, haddr_t base,
                          int64_t file_size) {
  const H5D_layout_t kind = H5Pget_layout(dcpl);
  const uint64_t size = static_cast<uint64_t>(file_size);
  if (kind == H5D_CONTIGUOUS) {
    const haddr_t at = H5Dget_offset(data);
    if (at == HADDR_UNDEF) return -1;  // never written
    const uint64_t frame_bytes = l.channels * ElementSize(l.element);
    const uint64_t need = static_cast<uint64_t>(l.frames) * frame_bytes;
    if (at + need <= size) return -1;
    return at >= size ? 0 : static_cast<int64_t>((size - at) / frame_bytes);
  }
  if (kind != H5D_CHUNKED || l.chunk_frames <= 0) return -1;
  const int64_t rows = (l.frames + l.chunk_frames - 1) / l.chunk_frames;
  const int64_t cols = (l.channels + l.chunk_channels - 1) / l.chunk_channels;
  if (rows > (int64_t{1} << 22) / cols) return -1;
  for (int64_t k = 0; k < rows; ++k) {
    for (int64_t j = 0; j < cols; ++j) {
      const hsize_t offset[2] = {static_cast<hsize_t>(k * l.chunk_frames),
                                 static_cast<hsize_t>(j * l.chunk_channels)};
      unsigned mask = 0;
      haddr_t addr = HADDR_UNDEF;
      hsize_t bytes = 0;
      if (H5Dget_chunk_info_by_coord(data, offset, &mask, &addr, &bytes) < 0) {
        H5Eclear2(H5E_DEFAULT);
        continue;
      }
      if (addr == HADDR_UNDEF) continue;
      if (base + addr + bytes > size) return k * l.chunk_frames;
    }
  }
  return -1;
}

// HasHdf5Signature(): whether the file has HDF5's signature where the
// format allows it: at byte 0, 512, 1024, 2048, ... (after a user block).
absl::StatusOr<bool> HasHdf5Signature(int fd, int64_t file_size, const std::string& path) {
  static constexpr char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  for (int64_t at = 0; at + 8 <= file_size; at = at == 0 ? 512 : at * 2) {
    char buf[8];
    NF_RETURN_IF_ERROR(PreadFully(fd, buf, 8, at, path));
    if (std::memcmp(buf, kSignature, 8) == 0) return true;
  }
  return false;
}

absl::StatusOr<OpenedRecording> Open(const std::string& path, const ReaderOptions& options) {
  SilenceHdf5Errors();
  // A FIFO or device is refused here, before HDF5 could block on it; HDF5
  // then opens the very file that was checked.
  NF_ASSIGN_OR_RETURN(OpenedFile checked, OpenRegularFile(path));
  const int64_t file_size = checked.size;

  PlistId fapl(H5Pcreate(H5P_FILE_ACCESS));
  PlistId lapl(H5Pcreate(H5P_LINK_ACCESS));
  if (!fapl.valid() || !lapl.valid() || H5Pset_fapl_sec2(fapl.get()) < 0 ||
      H5Pset_elink_cb(lapl.get(), RefuseExternalLink, nullptr) < 0) {
    return absl::InternalError(absl::StrCat(path, ": HDF5 setup failed", Hdf5Detail()));
  }
  // Read-only: no lock needed, and a lock would fail on file systems
  // without flock.
  H5Pset_file_locking(fapl.get(), false, true);
  // A file cut short is reported here with the frame where the samples
  // stop; HDF5 would otherwise refuse it at open without saying more.
  // "skip_eof_check" is the fapl property h5clear sets for that purpose.
  if (H5Pexist(fapl.get(), "skip_eof_check") > 0) {
    hbool_t skip = true;
    H5Pset(fapl.get(), "skip_eof_check", &skip);
  }
  H5Eclear2(H5E_DEFAULT);
  NF_ASSIGN_OR_RETURN(bool hdf5, HasHdf5Signature(checked.fd.get(), file_size, path));
  if (!hdf5) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not an HDF5 file (no HDF5 signature; NWB 2.x files are HDF5)"));
  }
  FileId file(H5Fopen(FdPath(checked.fd.get()).c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!file.valid()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": HDF5 cannot open it", Hdf5Detail()));
  }
  checked.fd = ScopedFd();  // HDF5 holds its own descriptor

  // Root: NWB 2.x.
  const Where root{path, "/"};
  NF_ASSIGN_OR_RETURN(std::optional<std::string> version,
                      ReadStringAttribute(file.get(), "nwb_version", root()));
  if (!version.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": root attribute nwb_version is missing: not an NWB 2.x file"));
  }
  if (!absl::StartsWith(*version, "2.")) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": root attribute nwb_version=", *version,
                                                   " is not 2.x (NWB 2 is supported)"));
  }

  // /acquisition: the series.
  const Where acq{path, "/acquisition"};
  NF_ASSIGN_OR_RETURN(GroupId acquisition, OpenGroup(file.get(), "acquisition", lapl.get(), acq()));
  LinkList links;
  hsize_t idx = 0;
  if (H5Literate(acquisition.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, CollectLink, &links) < 0) {
    return Invalid(acq(), absl::StrCat("cannot be listed", Hdf5Detail()));
  }
  if (links.too_many) {
    return Invalid(acq(), absl::StrCat("holds more than ", kMaxAcquisitionLinks, " objects"));
  }
  std::vector<std::string> series, external;
  std::optional<std::map<std::string, std::string>> parents;
  for (const Link& link : links.links) {
    if (link.type == H5L_TYPE_EXTERNAL) {
      external.push_back(link.name);
      continue;
    }
    const hid_t id = H5Oopen(acquisition.get(), link.name.c_str(), lapl.get());
    if (id < 0) {
      H5Eclear2(H5E_DEFAULT);
      continue;
    }
    if (H5Iget_type(id) != H5I_GROUP) {
      H5Oclose(id);
      continue;
    }
    GroupId group(id);
    const std::string w = acq(link.name);
    NF_ASSIGN_OR_RETURN(std::optional<std::string> type,
                        ReadStringAttribute(group.get(), "neurodata_type", w));
    if (!type.has_value()) continue;
    bool electrical = *type == "ElectricalSeries";
    if (!electrical && *type != "TimeSeries" && *type != "SpikeEventSeries") {
      if (!parents.has_value()) parents = CachedTypeParents(file.get(), lapl.get());
      electrical = DerivesFromElectricalSeries(*type, *parents);
    }
    if (electrical) series.push_back(link.name);
  }
  std::string name = options.nwb_series;
  const std::string listed = series.empty() ? "none" : absl::StrJoin(series, ", ");
  if (name.empty()) {
    if (series.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": /acquisition holds no ElectricalSeries",
                       external.empty() ? ""
                                        : absl::StrCat(" (external links, not followed: ",
                                                       absl::StrJoin(external, ", "), ")")));
    }
    if (series.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": /acquisition holds ", series.size(),
                                                     " ElectricalSeries (", listed,
                                                     "); choose one (nwb_series)"));
    }
    name = series[0];
  } else if (std::find(series.begin(), series.end(), name) == series.end()) {
    if (std::find(external.begin(), external.end(), name) != external.end()) {
      return Invalid(acq(name), "is an external link to another file, which is not supported");
    }
    return absl::NotFoundError(absl::StrCat(
        path, ": nwb_series=", name, " is not an ElectricalSeries in /acquisition (", listed, ")"));
  }
  const std::string object = absl::StrCat("/acquisition/", name);
  const Where es{path, object};
  NF_ASSIGN_OR_RETURN(GroupId group, OpenGroup(acquisition.get(), name, lapl.get(), es()));

  // data: shape, type, layout, filters.
  NF_ASSIGN_OR_RETURN(DatasetId data, OpenDataset(group.get(), "data", lapl.get(), es("data")));
  NwbSource::Layout layout;
  {
    NF_ASSIGN_OR_RETURN(Shape shape, GetShape(data.get(), es("data")));
    if (shape.rank > 2) {
      return Invalid(es("data"), absl::StrCat("has shape ", ShapeText(shape),
                                              "; (frames, channels) or (frames) is supported"));
    }
    layout.rank = shape.rank;
    const hsize_t frames = shape.dims[0];
    const hsize_t channels = shape.rank == 2 ? shape.dims[1] : 1;
    if (frames < 1 || frames > static_cast<hsize_t>(kMaxCount)) {
      return Invalid(es("data"), absl::StrCat("has ", frames, " frames (shape ", ShapeText(shape),
                                              "), not in [1, ", kMaxCount, "]"));
    }
    if (channels < 1 || channels > static_cast<hsize_t>(kMaxChannels)) {
      return Invalid(es("data"),
                     absl::StrCat("has ", channels, " channels (shape ", ShapeText(shape),
                                  "), not in [1, ", kMaxChannels, "]"));
    }
    layout.frames = static_cast<int64_t>(frames);
    layout.channels = static_cast<int64_t>(channels);
  }
  TypeId stored_type(H5Dget_type(data.get()));
  if (!stored_type.valid()) {
    return Invalid(es("data"), absl::StrCat("has no type", Hdf5Detail()));
  }
  NF_ASSIGN_OR_RETURN(StoredType stored, ClassifyType(stored_type.get(), es("data")));
  layout.element = stored.element;
  PlistId dcpl(H5Dget_create_plist(data.get()));
  if (!dcpl.valid()) return Invalid(es("data"), absl::StrCat("has no layout", Hdf5Detail()));
  const H5D_layout_t kind = H5Pget_layout(dcpl.get());
  if (kind == H5D_VIRTUAL) {
    return Invalid(es("data"),
                   "is a virtual dataset (its samples live in other files), "
                   "which is not supported");
  }
  if (kind != H5D_CONTIGUOUS && kind != H5D_CHUNKED && kind != H5D_COMPACT) {
    return Invalid(es("data"), absl::StrCat("has an unknown layout (", kind, ")"));
  }
  if (H5Pget_external_count(dcpl.get()) != 0) {
    return Invalid(es("data"), "keeps its samples in external files, which is not supported");
  }
  bool direct = kind == H5D_CHUNKED && stored.little_endian_standard;
  if (kind == H5D_CHUNKED) {
    hsize_t chunk[H5S_MAX_RANK] = {};
    if (H5Pget_chunk(dcpl.get(), layout.rank, chunk) != layout.rank || chunk[0] < 1 ||
        (layout.rank == 2 && chunk[1] < 1)) {
      return Invalid(es("data"), absl::StrCat("has an unreadable chunk shape", Hdf5Detail()));
    }
    layout.chunk_frames = static_cast<int64_t>(std::min<hsize_t>(chunk[0], kMaxCount));
    layout.chunk_channels =
        layout.rank == 2 ? static_cast<int64_t>(std::min<hsize_t>(chunk[1], kMaxCount)) : 1;
    const absl::StatusOr<int64_t> chunk_bytes =
        CheckedProduct({layout.chunk_frames, layout.chunk_channels,
                        static_cast<int64_t>(ElementSize(layout.element))},
                       es("data chunk"));
    if (!chunk_bytes.ok() || *chunk_bytes > kMaxDirectChunkBytes) direct = false;
  }
  const int nfilters = H5Pget_nfilters(dcpl.get());
  if (nfilters < 0)
    return Invalid(es("data"), absl::StrCat("has unreadable filters", Hdf5Detail()));
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, config = 0;
    size_t nvalues = 0;
    char filter_name[64] = {};
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), i, &flags, &nvalues, nullptr,
                                           sizeof(filter_name), filter_name, &config);
    // Only filters built into HDF5: any other would make HDF5 load a
    // plugin library from its plugin path.
    const bool builtin = id == H5Z_FILTER_DEFLATE || id == H5Z_FILTER_SHUFFLE ||
                         id == H5Z_FILTER_FLETCHER32 || id == H5Z_FILTER_SZIP ||
                         id == H5Z_FILTER_NBIT || id == H5Z_FILTER_SCALEOFFSET;
    if (!builtin || H5Zfilter_avail(id) <= 0) {
      return Invalid(es("data"),
                     absl::StrCat("is compressed with filter ", id, " (",
                                  absl::string_view(filter_name, strnlen(filter_name, 64)),
                                  "), which is not supported (deflate/gzip, shuffle, fletcher32, "
                                  "szip, nbit, scaleoffset are)"));
    }
    if (id != H5Z_FILTER_DEFLATE && id != H5Z_FILTER_SHUFFLE) direct = false;
    layout.filters.push_back(id);
  }
  H5Eclear2(H5E_DEFAULT);
  layout.direct = direct;

  NF_RETURN_IF_ERROR(CheckFitsInFile(data.get(), layout.frames * layout.channels,
                                     static_cast<int64_t>(ElementSize(layout.element)), file_size,
                                     es("data")));

  // A file shorter than its end-of-allocation address (H5Fget_eoa: an
  // absolute offset) was cut short; say which frames are gone rather than
  // read zeros for them. Chunk addresses are relative to the user block.
  {
    haddr_t eoa = 0;
    hsize_t userblock = 0;
    PlistId fcpl(H5Fget_create_plist(file.get()));
    if (fcpl.valid()) H5Pget_userblock(fcpl.get(), &userblock);
    if (H5Fget_eoa(file.get(), &eoa) >= 0 && eoa > static_cast<uint64_t>(file_size)) {
      const int64_t missing =
          FirstMissingFrame(data.get(), dcpl.get(), layout, userblock, file_size);
      return absl::DataLossError(
          absl::StrCat(path, " is truncated: ", file_size, " bytes, HDF5 allocated ", eoa,
                       missing >= 0 ? absl::StrCat("; ", object, "/data is missing from frame ",
                                                   missing, " on (of ", layout.frames, ")")
                                    : "; metadata or samples are missing"));
    }
    H5Eclear2(H5E_DEFAULT);
  }

  // Scaling.
  Scaling scaling;
  NF_ASSIGN_OR_RETURN(std::optional<double> conversion,
                      ReadNumberAttribute(data.get(), "conversion", es("data")));
  NF_ASSIGN_OR_RETURN(std::optional<double> offset,
                      ReadNumberAttribute(data.get(), "offset", es("data")));
  scaling.conversion = conversion.value_or(1.0);
  scaling.offset = offset.value_or(0.0);
  if (!std::isfinite(scaling.conversion)) {
    return Invalid(es("data"),
                   absl::StrCat("attribute conversion=", scaling.conversion, " is not finite"));
  }
  if (!std::isfinite(scaling.offset)) {
    return Invalid(es("data"), absl::StrCat("attribute offset=", scaling.offset, " is not finite"));
  }
  NF_ASSIGN_OR_RETURN(std::optional<std::string> unit,
                      ReadStringAttribute(data.get(), "unit", es("data")));
  const std::string unit_lower = absl::AsciiStrToLower(unit.value_or("volts"));
  const bool volts = unit_lower == "volts" || unit_lower == "volt" || unit_lower == "v";
  scaling.channel_conversion.assign(layout.channels, 1.0);
  NF_ASSIGN_OR_RETURN(DatasetId cc, OpenOptionalDataset(group.get(), "channel_conversion",
                                                        lapl.get(), es("channel_conversion")));
  if (cc.valid()) {
    const std::string w = es("channel_conversion");
    NF_ASSIGN_OR_RETURN(int64_t n, Length1D(cc.get(), w));
    if (n != layout.channels) {
      return Invalid(w, absl::StrCat("has ", n, " values for ", layout.channels, " channels"));
    }
    TypeId type(H5Dget_type(cc.get()));
    const H5T_class_t cls = type.valid() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) return Invalid(w, "is not numeric");
    NF_ASSIGN_OR_RETURN(std::optional<double> axis, ReadNumberAttribute(cc.get(), "axis", w));
    if (axis.has_value() && *axis != 1.0) {
      return Invalid(
          w, absl::StrCat("attribute axis=", *axis, " is not 1 (the channel axis of data)"));
    }
    NF_RETURN_IF_ERROR(
        ReadNumbers(cc.get(), H5T_NATIVE_DOUBLE, 0, n, scaling.channel_conversion.data(), w));
    for (int64_t c = 0; c < n; ++c) {
      if (!std::isfinite(scaling.channel_conversion[c])) {
        return absl::InvalidArgumentError(
            absl::StrCat(w, "[", c, "]=", scaling.channel_conversion[c], " is not finite"));
      }
    }
  }

  // Rate.
  RecordingInfo info;
  NF_ASSIGN_OR_RETURN(
      DatasetId starting_time,
      OpenOptionalDataset(group.get(), "starting_time", lapl.get(), es("starting_time")));
  if (starting_time.valid()) {
    const std::string w = es("starting_time");
    NF_ASSIGN_OR_RETURN(std::optional<double> rate,
                        ReadNumberAttribute(starting_time.get(), "rate", w));
    if (!rate.has_value()) return Invalid(w, "has no attribute rate");
    if (!(*rate > 0) || !(*rate <= kMaxSamplingRateHz)) {
      return Invalid(
          w, absl::StrCat("attribute rate=", *rate, " is not in (0, ", kMaxSamplingRateHz, "] Hz"));
    }
    info.sampling_rate_hz = *rate;
  } else {
    const std::string w = es("timestamps");
    NF_ASSIGN_OR_RETURN(DatasetId ts,
                        OpenOptionalDataset(group.get(), "timestamps", lapl.get(), w));
    if (!ts.valid()) {
      return Invalid(es(), "has neither starting_time (with a rate) nor timestamps");
    }
    NF_ASSIGN_OR_RETURN(int64_t n, Length1D(ts.get(), w));
    TypeId type(H5Dget_type(ts.get()));
    const H5T_class_t cls = type.valid() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) return Invalid(w, "is not numeric");
    if (n != layout.frames) {
      return Invalid(w, absl::StrCat("has ", n, " values for ", layout.frames, " frames"));
    }
    if (n < 2) return Invalid(w, "has one value: no sampling rate follows from it");
    NF_RETURN_IF_ERROR(CheckFitsInFile(ts.get(), n, 8, file_size, w));
    double first = 0, last = 0;
    NF_RETURN_IF_ERROR(ReadNumbers(ts.get(), H5T_NATIVE_DOUBLE, 0, 1, &first, w));
    NF_RETURN_IF_ERROR(ReadNumbers(ts.get(), H5T_NATIVE_DOUBLE, n - 1, 1, &last, w));
    const double rate = static_cast<double>(n - 1) / (last - first);
    if (!std::isfinite(first) || !std::isfinite(last) || !(last > first) ||
        !(rate <= kMaxSamplingRateHz)) {
      return Invalid(
          w, absl::StrCat("run from ", first, " to ", last, " s over ", n,
                          " values: not a sampling rate in (0, ", kMaxSamplingRateHz, "] Hz"));
    }
    // Every step within 1e-3 of the period (SpikeInterface's check), read
    // in bounded chunks.
    const double period = (last - first) / static_cast<double>(n - 1);
    double worst = 0, worst_step = 0, prev = first;
    int64_t worst_at = -1;
    constexpr int64_t kChunk = 1 << 16;
    std::vector<double> buf(std::min<int64_t>(n, kChunk));
    for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
      const int64_t m = std::min(kChunk, n - i0);
      NF_RETURN_IF_ERROR(ReadNumbers(ts.get(), H5T_NATIVE_DOUBLE, i0, m, buf.data(), w));
      for (int64_t i = 0; i < m; ++i) {
        const double t = buf[i];
        if (!std::isfinite(t)) {
          return absl::InvalidArgumentError(
              absl::StrCat(w, "[", i0 + i, "]=", t, " is not finite"));
        }
        if (i0 + i > 0) {
          const double dev = std::fabs((t - prev) - period);
          if (dev > worst) {
            worst = dev;
            worst_at = i0 + i - 1;
            worst_step = t - prev;
          }
        }
        prev = t;
      }
    }
    if (worst > 1e-3 * period) {
      return Invalid(
          w, absl::StrCat("are not regular: the step from frame ", worst_at, " to ", worst_at + 1,
                          " is ", worst_step, " s, the mean period is ", period,
                          " s (a deviation of ", worst, " s, more than 1e-3 of the period)"));
    }
    info.sampling_rate_hz = rate;
  }

  // Channel names: the electrodes region into its table.
  {
    const std::string w = es("electrodes");
    NF_ASSIGN_OR_RETURN(DatasetId region, OpenDataset(group.get(), "electrodes", lapl.get(), w));
    NF_ASSIGN_OR_RETURN(int64_t n, Length1D(region.get(), w));
    if (n != layout.channels) {
      return Invalid(w,
                     absl::StrCat("has ", n, " rows for ", layout.channels, " channels of data"));
    }
    TypeId type(H5Dget_type(region.get()));
    if (!type.valid() || H5Tget_class(type.get()) != H5T_INTEGER) {
      return Invalid(w, "is not an integer region (DynamicTableRegion)");
    }
    std::vector<int64_t> rows(n);
    NF_RETURN_IF_ERROR(ReadNumbers(region.get(), H5T_NATIVE_INT64, 0, n, rows.data(), w));
    NF_ASSIGN_OR_RETURN(AttrId table_attr,
                        OpenAttribute(region.get(), "table", absl::StrCat(w, " attribute table")));
    if (!table_attr.valid()) {
      return Invalid(w, "has no attribute table (the electrodes table it indexes)");
    }
    TypeId ref_type(H5Aget_type(table_attr.get()));
    SpaceId ref_space(H5Aget_space(table_attr.get()));
    hobj_ref_t ref = 0;
    if (!ref_type.valid() || !ref_space.valid() || H5Tget_class(ref_type.get()) != H5T_REFERENCE ||
        H5Tequal(ref_type.get(), H5T_STD_REF_OBJ) <= 0 || !OnePoint(ref_space.get()) ||
        H5Aread(table_attr.get(), H5T_STD_REF_OBJ, &ref) < 0) {
      return Invalid(w, absl::StrCat("attribute table is not an object reference", Hdf5Detail()));
    }
    H5O_type_t target = H5O_TYPE_UNKNOWN;
    if (H5Rget_obj_type2(region.get(), H5R_OBJECT, &ref, &target) < 0 || target != H5O_TYPE_GROUP) {
      return Invalid(
          w, absl::StrCat("attribute table does not reference a group (a table)", Hdf5Detail()));
    }
    GroupId table(H5Rdereference2(region.get(), H5P_DEFAULT, H5R_OBJECT, &ref));
    if (!table.valid()) {
      return Invalid(w, absl::StrCat("attribute table cannot be followed", Hdf5Detail()));
    }
    std::string table_name = "electrodes table";
    {
      char buf[512] = {};
      if (H5Iget_name(table.get(), buf, sizeof(buf)) > 0) table_name = buf;
    }
    const Where tw{path, table_name};
    NF_ASSIGN_OR_RETURN(DatasetId ids, OpenDataset(table.get(), "id", lapl.get(), tw("id")));
    NF_ASSIGN_OR_RETURN(int64_t table_rows, Length1D(ids.get(), tw("id")));
    for (int64_t c = 0; c < n; ++c) {
      if (rows[c] < 0 || rows[c] >= table_rows) {
        return absl::InvalidArgumentError(absl::StrCat(
            w, "[", c, "]=", rows[c], " is not a row of ", table_name, " (", table_rows, " rows)"));
      }
    }
    NF_ASSIGN_OR_RETURN(DatasetId names, OpenOptionalDataset(table.get(), "channel_name",
                                                             lapl.get(), tw("channel_name")));
    if (names.valid()) {
      NF_ASSIGN_OR_RETURN(int64_t names_rows, Length1D(names.get(), tw("channel_name")));
      if (names_rows != table_rows) {
        return Invalid(tw("channel_name"),
                       absl::StrCat("has ", names_rows, " rows, the table ", table_rows));
      }
      NF_ASSIGN_OR_RETURN(info.channel_ids,
                          ReadStringPoints(names.get(), rows, tw("channel_name")));
    } else {
      TypeId id_type(H5Dget_type(ids.get()));
      if (!id_type.valid() || H5Tget_class(id_type.get()) != H5T_INTEGER) {
        return Invalid(tw("id"), "is not integer");
      }
      std::vector<int64_t> values(n);
      NF_RETURN_IF_ERROR(ReadPoints(ids.get(), H5T_NATIVE_INT64, rows, values.data(), tw("id")));
      for (int64_t v : values) info.channel_ids.push_back(absl::StrCat(v));
    }
  }
  H5Eclear2(H5E_DEFAULT);

  info.channel_ids_from_file = true;
  if (volts) {
    info.unit = "V";
    info.gain_to_uv.assign(layout.channels, 1e6);
    info.offset_to_uv.assign(layout.channels, 0.0);
  } else {
    info.unit = *unit;
  }
  OpenedRecording rec;
  rec.source = std::make_shared<NwbSource>(path, object, std::move(file), std::move(data),
                                           std::move(layout), std::move(scaling), std::move(info));
  rec.format = RecordingFormat::kNwb;
  rec.data_path = path;
  return rec;
}

}  // namespace

absl::StatusOr<OpenedRecording> OpenNwb(const std::string& path, const ReaderOptions& options) {
  return Open(path, options);
}

}  // namespace neurofeat
