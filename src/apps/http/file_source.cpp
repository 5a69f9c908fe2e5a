#include "apps/http/file_source.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

namespace synack::apps::http {

bool safe_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  if (path.find('\\') != std::string_view::npos) return false;
  std::string_view rest = path.substr(1);
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return true;
}

DirectorySource::DirectorySource(std::filesystem::path root) {
  std::error_code ec;
  root_ = std::filesystem::canonical(root, ec);
  if (ec) root_ = std::move(root);
}

std::optional<FileEntry> DirectorySource::load(std::string_view path) const {
  if (!safe_path(path)) return std::nullopt;
  std::error_code ec;
  std::filesystem::path p = root_ / std::filesystem::path(path.substr(1));
  if (std::filesystem::is_directory(p, ec)) p /= "index.html";
  std::filesystem::path real = std::filesystem::canonical(p, ec);
  if (ec || !std::filesystem::is_regular_file(real, ec)) return std::nullopt;
  // Symbolic links may not lead out of the directory.
  auto [r, _] = std::mismatch(root_.begin(), root_.end(), real.begin(), real.end());
  if (r != root_.end()) return std::nullopt;
  std::ifstream in(real, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  return FileEntry{buf.str()};
}

std::optional<FileEntry> MemorySource::load(std::string_view path) const {
  std::string key(path);
  if (!key.empty() && key.back() == '/') key += "index.html";
  auto it = files_.find(key);
  if (it == files_.end()) return std::nullopt;
  return FileEntry{it->second};
}

}  // namespace synack::apps::http
