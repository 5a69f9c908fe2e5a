#pragma once
// The resources an HTML page references, found by libxml2's HTML parser (it
// takes real-world HTML as browsers do, no hand-written parsing): <img src>,
// <script src>, <link rel=stylesheet|icon|preload href>, <source src>,
// <video|audio src> and <iframe src>, in document order, each once.
#include <string>
#include <string_view>
#include <vector>

namespace synack::apps::http {

std::vector<std::string> html_resource_links(std::string_view html);

}  // namespace synack::apps::http
