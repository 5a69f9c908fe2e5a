// Where static files come from: a directory never serves what lies outside
// it, and the helpers of the static file handler.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "apps/http/file_source.hpp"
#include "apps/http/static_file_handler.hpp"

using namespace synack::apps::http;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/synack-files-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel, std::ios::binary) << content;
  }
  fs::path path;
};

}  // namespace

TEST(DirectorySource, ServesFilesAndIndexButNothingOutside) {
  TempDir outside, root;
  outside.write("secret.txt", "secret");
  root.write("index.html", "<p>root</p>");
  root.write("sub/index.html", "<p>sub</p>");
  root.write("sub/a.css", "a{}");
  fs::create_symlink(outside.path, root.path / "escape");
  fs::create_symlink(root.path / "sub/a.css", root.path / "inside-link.css");
  DirectorySource d(root.path);
  EXPECT_EQ(d.load("/index.html")->content(), "<p>root</p>");
  EXPECT_EQ(d.load("/sub/")->content(), "<p>sub</p>");  // a directory is its index.html
  // without its slash: a marker the handler answers with 301 to "/sub/"
  EXPECT_TRUE(d.load("/sub")->directory);
  EXPECT_FALSE(d.load("/sub")->body);
  EXPECT_EQ(d.load("/sub/a.css")->etag, entity_tag("a{}"));  // hashed in pieces
  EXPECT_EQ(d.load("/sub/a.css")->content(), "a{}");
  EXPECT_EQ(d.load("/inside-link.css")->content(), "a{}");  // a link that stays inside
  EXPECT_FALSE(d.load("/escape/secret.txt"));               // one that leads out
  EXPECT_FALSE(d.load("/../" + outside.path.filename().string() + "/secret.txt"));
  EXPECT_FALSE(d.load("/sub/../index.html"));
  EXPECT_FALSE(d.load("/missing"));
  // Slashes merge: "//sub/a.css" is "/sub/a.css", and "//ROOT/index.html"
  // does not reach the root through its absolute path.
  EXPECT_EQ(d.load("//sub/a.css")->content(), "a{}");
  EXPECT_FALSE(d.load("/" + root.path.string() + "/index.html"));
  EXPECT_FALSE(d.load("relative"));
}

TEST(StaticFileHandler, Helpers) {
  EXPECT_EQ(content_type_for("/a/b.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/x.js"), "application/javascript");
  EXPECT_EQ(content_type_for("/x.png"), "image/png");
  EXPECT_EQ(content_type_for("/f.woff"), "font/woff");
  EXPECT_EQ(content_type_for("/v.mp4"), "video/mp4");
  EXPECT_EQ(content_type_for("/dir.d/file"), "application/octet-stream");
  EXPECT_EQ(percent_decode("/a%20b%2F"), "/a b/");
  EXPECT_FALSE(percent_decode("/a%2"));
  EXPECT_FALSE(percent_decode("/a%zz"));
  EXPECT_FALSE(percent_decode("/a%00"));
  ByteRange r;
  EXPECT_EQ(parse_range("bytes=0-0", 10, r), RangeResult::Satisfiable);
  EXPECT_EQ(r.last, 0u);
  EXPECT_EQ(parse_range("bytes=5-100", 10, r), RangeResult::Satisfiable);
  EXPECT_EQ(r.last, 9u);
  EXPECT_EQ(parse_range("bytes=-100", 10, r), RangeResult::Satisfiable);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(parse_range("bytes=10-", 10, r), RangeResult::Unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 10, r), RangeResult::Unsatisfiable);
  EXPECT_EQ(parse_range("bytes=5-4", 10, r), RangeResult::Ignore);
  EXPECT_EQ(parse_range("items=0-1", 10, r), RangeResult::Ignore);
  EXPECT_EQ(parse_range("bytes=0-1,3-4", 10, r), RangeResult::Ignore);
  EXPECT_EQ(entity_tag("abc"), entity_tag("abc"));
  EXPECT_NE(entity_tag("abc"), entity_tag("abd"));
}

TEST(DirectorySource, BodyIsReadAsItIsSentNotCopied) {
  TempDir root;
  std::string big;
  for (int i = 0; i < 200'000; ++i)
    big += static_cast<char>('a' + i % 26);
  root.write("big.txt", big);
  DirectorySource d(root.path);
  auto e = d.load("/big.txt");
  ASSERT_TRUE(e && e->body);
  EXPECT_EQ(e->size(), big.size());
  EXPECT_EQ(e->etag, entity_tag(big));
  char buf[10];
  ASSERT_EQ(e->body->read(100'000, buf, sizeof buf), sizeof buf);
  EXPECT_EQ(std::string(buf, sizeof buf), big.substr(100'000, 10));
  auto part = slice_body(e->body, 199'995, 5);
  EXPECT_EQ(read_all(*part), big.substr(199'995));
}
