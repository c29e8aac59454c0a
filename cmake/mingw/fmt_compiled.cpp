// fmt's compiled part, for the MinGW cross build only. Debian ships fmt's headers and a Linux
// libfmt, but neither fmt's sources nor a Windows library. In header-only mode (FMT_HEADER_ONLY)
// every translation unit compiles fmt's implementation again: a third of a typical TU's compile
// time at -O2 (launcher/commands/win32/run.cpp: 20.4 s of CPU against 13.5 s). Here it is compiled
// once: format-inl.h defines the out-of-line functions (FMT_FUNC is empty without
// FMT_HEADER_ONLY), and the templates that the headers declare but define only in format-inl.h
// are instantiated for the types fmt's own library instantiates them for.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

template auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;

template locale_ref::locale_ref(const std::locale& loc);
template auto locale_ref::get<std::locale>() const -> std::locale;

// The four format.h declares `extern template`.
template auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template auto thousands_sep_impl(locale_ref) -> thousands_sep_result<wchar_t>;
template auto decimal_point_impl(locale_ref) -> char;
template auto decimal_point_impl(locale_ref) -> wchar_t;

}  // namespace detail
FMT_END_NAMESPACE
