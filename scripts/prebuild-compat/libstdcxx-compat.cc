// Prebuilt addons only (scripts/prebuild.mjs links this in with -Wl,--wrap=_ZSt28__throw_bad_array_new_lengthv).
//
// GCC 11+ headers call std::__throw_bad_array_new_length() (new in libstdc++'s GLIBCXX_3.4.29), which would make
// the addons need the libstdc++ of GCC 11, newer than the one of many distributions Node runs on. This
// replacement does what it does, throw std::bad_array_new_length, with symbols libstdc++ has had since GCC 4.9.
#include <new>

extern "C" [[noreturn]] __attribute__((visibility("hidden"))) void __wrap__ZSt28__throw_bad_array_new_lengthv() {
  throw std::bad_array_new_length();
}
