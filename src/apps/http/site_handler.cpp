#include "apps/http/site_handler.hpp"

#include "apps/http/static_file_handler.hpp"

namespace synack::apps::http {

Handler make_site_handler(std::shared_ptr<const FileSource> files) {
  return [files = std::move(files)](const Request& r) -> Response {
    if (r.path() == "/echo") {
      if (r.method != "POST") {
        Response a = simple_response(405);
        a.set("Allow", "POST");
        return a;
      }
      Response e;
      e.set("Content-Type", "application/octet-stream");
      if (r.body_chunked) {
        e.chunked = true;
        for (std::size_t i = 0; i < r.body.size(); i += 4096)
          e.chunks.push_back(r.body.substr(i, 4096));
      } else {
        e.body = r.body;
      }
      return e;
    }
    return StaticFileHandler(*files)(r);
  };
}

}  // namespace synack::apps::http
