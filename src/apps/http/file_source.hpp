#pragma once
// Where static files come from: a directory on disk, or files held in memory
// (the built-in page). Paths are URL paths already percent-decoded, starting
// with '/'; a source never serves anything outside itself.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace synack::apps::http {

struct FileEntry {
  std::string content;
};

class FileSource {
 public:
  virtual ~FileSource() = default;
  // The file at `path` ("/img/1.svg"), or nullopt when there is none. A
  // directory is looked up as its index.html.
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
  void add(std::string path, std::string content) { files_[std::move(path)] = std::move(content); }
  std::optional<FileEntry> load(std::string_view path) const override;
  std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> files_;
};

// A URL path's segments are safe to map onto a file system: no "." or ".."
// segment, no NUL, no backslash, starts with '/'.
bool safe_path(std::string_view path);

}  // namespace synack::apps::http
