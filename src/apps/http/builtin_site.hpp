#pragma once
// The page `synack serve --app http` serves without a directory: index.html
// referencing 30 small images and a style sheet, all generated in code, so a
// browser loading it makes 32 requests to one host (what the article's "6
// connections per host" and HTTP/2's multiplexing are about).
#include "apps/http/file_source.hpp"

namespace synack::apps::http {

inline constexpr int kBuiltinImages = 30;

// /index.html, /style.css and /img/01.svg ... /img/30.svg.
MemorySource builtin_site();

}  // namespace synack::apps::http
