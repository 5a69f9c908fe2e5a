#include "apps/http/builtin_site.hpp"

#include <fmt/format.h>

namespace synack::apps::http {

namespace {

std::string image(int i) {
  // A 64x64 tile with its number, in a hue of its own.
  int hue = (i * 360) / kBuiltinImages;
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\" viewBox=\"0 0 64 "
      "64\">\n"
      "<rect width=\"64\" height=\"64\" rx=\"8\" fill=\"hsl({},70%,55%)\"/>\n"
      "<text x=\"32\" y=\"41\" font-family=\"sans-serif\" font-size=\"24\" "
      "text-anchor=\"middle\" fill=\"white\">{}</text>\n"
      "</svg>\n",
      hue, i);
}

}  // namespace

MemorySource builtin_site() {
  MemorySource site;
  std::string tiles;
  for (int i = 1; i <= kBuiltinImages; ++i) {
    std::string name = fmt::format("/img/{:02}.svg", i);
    tiles += fmt::format("    <img src=\"{}\" width=\"64\" height=\"64\" alt=\"{}\">\n",
                         name.substr(1), i);
    site.add(std::move(name), image(i));
  }
  site.add("/style.css",
           "body { font-family: sans-serif; margin: 2em; }\n"
           ".tiles { display: grid; grid-template-columns: repeat(10, 64px); gap: 8px; }\n");
  site.add("/index.html",
           "<!DOCTYPE html>\n"
           "<html lang=\"en\">\n"
           "<head>\n"
           "  <meta charset=\"utf-8\">\n"
           "  <title>synack</title>\n"
           "  <link rel=\"stylesheet\" href=\"style.css\">\n"
           "</head>\n"
           "<body>\n"
           "  <h1>Served by synack</h1>\n"
           "  <p>This page and its 30 images came over synack's userspace TCP. Count the\n"
           "  connections on synack's side: send it SIGUSR1, or stop it.</p>\n"
           "  <div class=\"tiles\">\n" +
               tiles +
               "  </div>\n"
               "</body>\n"
               "</html>\n");
  return site;
}

}  // namespace synack::apps::http
