#include "apps/http/html_links.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cstring>

namespace synack::apps::http {

namespace {

std::string attribute(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

bool has_token(std::string list, std::string_view token) {
  for (char& c : list)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t i = 0;
  while (i < list.size()) {
    std::size_t j = list.find(' ', i);
    if (j == std::string::npos) j = list.size();
    if (std::string_view(list).substr(i, j - i) == token) return true;
    i = j + 1;
  }
  return false;
}

void walk(xmlNode* n, std::vector<std::string>& out) {
  for (; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      const char* tag = reinterpret_cast<const char*>(n->name);
      std::string link;
      if (!std::strcmp(tag, "img") || !std::strcmp(tag, "script") || !std::strcmp(tag, "source") ||
          !std::strcmp(tag, "video") || !std::strcmp(tag, "audio") || !std::strcmp(tag, "iframe")) {
        link = attribute(n, "src");
      } else if (!std::strcmp(tag, "link")) {
        std::string rel = attribute(n, "rel");
        if (has_token(rel, "stylesheet") || has_token(rel, "icon") || has_token(rel, "preload"))
          link = attribute(n, "href");
      }
      if (!link.empty() && std::find(out.begin(), out.end(), link) == out.end())
        out.push_back(link);
    }
    walk(n->children, out);
  }
}

}  // namespace

std::vector<std::string> html_resource_links(std::string_view html) {
  std::vector<std::string> out;
  if (html.empty()) return out;
  htmlDocPtr doc = htmlReadMemory(
      html.data(), static_cast<int>(html.size()), nullptr, nullptr,
      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  if (!doc) return out;
  walk(xmlDocGetRootElement(doc), out);
  xmlFreeDoc(doc);
  return out;
}

}  // namespace synack::apps::http
