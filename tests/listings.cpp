// Tests for tools/listings.hpp: the chapter texts quote the source as it is.
#include <catch2/catch.hpp>

#include "tools/listings.hpp"

TEST_CASE("every code listing in the texts matches its source", "[listings]") {
  const auto problems = nn::listings::check(NN_SOURCE_DIR);
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
  CHECK_FALSE(nn::listings::texts(NN_SOURCE_DIR).empty());
}

TEST_CASE("a listing is the dedented lines between its markers", "[listings]") {
  const std::string source =
      "int a;\n  // [listing two]\n  int b;\n\n    int c;\n  // [end two]\nint d;\n";
  CHECK(nn::listings::extract(source, "two", "x.cpp") == "int b;\n\n  int c;\n");
  CHECK_THROWS_WITH(nn::listings::extract(source, "three", "x.cpp"),
                    Catch::Contains("x.cpp has no listing 'three'"));
}

TEST_CASE("refresh replaces a stale block and reports a missing marker", "[listings]") {
  std::vector<std::string> errors;
  const std::string text =
      "Intro\n<!-- listing tools/listings.hpp no-such-marker -->\n```cpp\nold\n```\n"
      "<!-- end listing -->\nOutro\n";
  CHECK(nn::listings::refresh(text, NN_SOURCE_DIR, errors) == text);  // kept as it was
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("no-such-marker"));
}
