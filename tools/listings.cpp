#include "tools/listings.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nn::listings {

namespace fs = std::filesystem;

static std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

static std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

static std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string extract(const std::string& source_text, const std::string& name,
                    const std::string& source_path) {
  const std::vector<std::string> lines = split_lines(source_text);
  const std::string open = "// [listing " + name + "]", close = "// [end " + name + "]";
  std::size_t first = lines.size(), last = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (trim(lines[i]) == open && first == lines.size())
      first = i + 1;
    else if (trim(lines[i]) == close && first != lines.size()) {
      last = i;
      break;
    }
  }
  if (first == lines.size() || last == lines.size())
    throw std::runtime_error(source_path + " has no listing '" + name + "' (" + open + " ... " +
                             close + ")");
  std::size_t indent = std::string::npos;
  for (std::size_t i = first; i < last; ++i)
    if (!trim(lines[i]).empty()) indent = std::min(indent, lines[i].find_first_not_of(" "));
  std::string out;
  for (std::size_t i = first; i < last; ++i)
    out += (trim(lines[i]).empty() ? "" : lines[i].substr(indent)) + "\n";
  return out;
}

std::string refresh(const std::string& readme_text, const std::string& root,
                    std::vector<std::string>& errors) {
  const std::vector<std::string> lines = split_lines(readme_text);
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i] + "\n";
    const std::string head = trim(lines[i]);
    if (head.rfind("<!-- listing ", 0) != 0) continue;
    std::istringstream words(head.substr(13));
    std::string path, name;
    words >> path >> name;
    std::size_t end = i + 1;
    while (end < lines.size() && trim(lines[end]) != "<!-- end listing -->") ++end;
    if (end == lines.size()) {
      errors.push_back("listing " + path + " " + name + " has no <!-- end listing -->");
      continue;
    }
    std::string fence = "```cpp";  // keep the block's own language tag
    if (i + 1 < end && trim(lines[i + 1]).rfind("```", 0) == 0) fence = trim(lines[i + 1]);
    try {
      out += fence + "\n" + extract(read_text(fs::path(root) / path), name, path) + "```\n";
    } catch (const std::exception& e) {
      errors.push_back(e.what());
      for (std::size_t k = i + 1; k < end; ++k) out += lines[k] + "\n";  // leave it as it was
    }
    i = end - 1;  // the end marker is copied on the next turn
  }
  return out;
}

std::vector<std::string> texts(const std::string& root) {
  std::vector<std::string> found;
  if (fs::exists(fs::path(root) / "README.md")) found.push_back("README.md");
  const fs::path chapters = fs::path(root) / "chapters";
  if (fs::is_directory(chapters))
    for (const auto& entry : fs::directory_iterator(chapters))
      if (fs::exists(entry.path() / "README.md"))
        found.push_back("chapters/" + entry.path().filename().string() + "/README.md");
  std::sort(found.begin(), found.end());
  return found;
}

static std::vector<std::string> visit(const std::string& root, bool rewrite) {
  std::vector<std::string> problems;
  for (const std::string& text : texts(root)) {
    const fs::path path = fs::path(root) / text;
    const std::string before = read_text(path);
    std::vector<std::string> errors;
    const std::string after = refresh(before, root, errors);
    for (const std::string& e : errors) problems.push_back(text + ": " + e);
    if (after == before) continue;
    if (rewrite) {
      std::ofstream(path, std::ios::binary) << after;
    } else {
      problems.push_back(text +
                         ": a listing differs from its source (run ./tutorial listings)");
    }
  }
  return problems;
}

std::vector<std::string> check(const std::string& root) { return visit(root, false); }
std::vector<std::string> write(const std::string& root) { return visit(root, true); }

}  // namespace nn::listings
