// Compile-time checks of the handle owners (the header is the implementation).
#include "safelaunch/win32/handles.hpp"

#include <type_traits>

namespace safelaunch::win32 {
static_assert(!std::is_copy_constructible_v<unique_hdesk>);
static_assert(std::is_nothrow_move_constructible_v<unique_hdesk>);
static_assert(!std::is_same_v<unique_hdesk, unique_hwinsta>, "the close function is part of the type");
static_assert(sizeof(unique_handle) == sizeof(HANDLE));
}  // namespace safelaunch::win32
