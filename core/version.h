// File: version.h
//
// The engine's version. The numeric version changes whenever any number the
// engine computes may change (a kernel, a default, a feature's arithmetic);
// caches key on it.
#ifndef NEUROFEAT_CORE_VERSION_H_
#define NEUROFEAT_CORE_VERSION_H_

namespace neurofeat {

inline constexpr char kEngineVersion[] = "neurofeat 0.1.0";
inline constexpr int kEngineNumericVersion = 1;

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_VERSION_H_
