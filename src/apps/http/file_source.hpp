#pragma once
// Where static files come from: a directory on disk, or files held in memory
// (the built-in page). Paths are URL paths already percent-decoded, starting
// with '/'; a source never serves anything outside itself. A file's content
// is a BodySource, read as it is sent: a response that waits for a slow
// client holds an open file, not a copy of it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "apps/http/http_message.hpp"

namespace synack::apps::http {

struct FileEntry {
  BodySourcePtr body;
  std::string etag;        // strong entity tag of the content (RFC 9110 §8.8.3)
  bool directory = false;  // a directory asked for without its trailing slash
  std::uint64_t size() const { return body ? body->size() : 0; }
  std::string content() const { return body ? read_all(*body) : std::string(); }
};

class FileSource {
 public:
  virtual ~FileSource() = default;
  // The file at `path` ("/img/1.svg"), or nullopt when there is none. A
  // directory ("/sub/") is looked up as its index.html; asked for without
  // its trailing slash ("/sub") it is an entry with `directory` set and no
  // body (the handler redirects).
  virtual std::optional<FileEntry> load(std::string_view path) const = 0;
};

// Files under a directory. A path with a "." or ".." segment, a NUL, or one
// that resolves (through symbolic links) outside the directory is not found.
class DirectorySource final : public FileSource {
 public:
  explicit DirectorySource(std::filesystem::path root);
  std::optional<FileEntry> load(std::string_view path) const override;

 private:
  std::filesystem::path root_;  // canonical
};

// Files held in memory, by exact path.
class MemorySource final : public FileSource {
 public:
  void add(std::string path, std::string content);
  std::optional<FileEntry> load(std::string_view path) const override;
  std::size_t size() const { return files_.size(); }

 private:
  struct File {
    std::shared_ptr<const std::string> bytes;
    std::string etag;
  };
  std::map<std::string, File, std::less<>> files_;
};

// A URL path's segments are safe to map onto a file system: no "." or ".."
// segment, no NUL, no backslash, starts with '/'.
bool safe_path(std::string_view path);
// The strong entity tag of `content`: a quoted 64-bit FNV-1a hash.
std::string entity_tag(std::string_view content);

}  // namespace synack::apps::http
