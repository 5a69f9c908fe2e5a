#pragma once
// The handler `synack serve --app http` runs: static files from a
// FileSource, plus POST /echo, which answers with the request's content (in
// chunks when it came chunked), to exercise request bodies.
#include <memory>

#include "apps/http/file_source.hpp"
#include "apps/http/http_message.hpp"

namespace synack::apps::http {

Handler make_site_handler(std::shared_ptr<const FileSource> files);

}  // namespace synack::apps::http
