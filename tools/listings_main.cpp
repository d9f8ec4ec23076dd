// listings: check (default) or refresh (--write) the code listings in the chapter texts.
#include <iostream>
#include <string>

#include "tools/listings.hpp"

int main(int argc, char** argv) {
  const std::string usage = "usage: listings [--write]\n";
  bool rewrite = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--write")
      rewrite = true;
    else if (arg == "--help") {
      std::cout << usage;
      return 0;
    } else {
      std::cerr << "listings: error: unknown argument " << arg << "\n" << usage;
      return 2;
    }
  }
  const auto problems =
      rewrite ? nn::listings::write(NN_SOURCE_DIR) : nn::listings::check(NN_SOURCE_DIR);
  for (const auto& p : problems) std::cerr << "listings: " << p << "\n";
  if (problems.empty())
    std::cout << (rewrite ? "listings refreshed\n" : "listings up to date\n");
  return problems.empty() ? 0 : 1;
}
