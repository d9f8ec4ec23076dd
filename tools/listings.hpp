// listings.hpp: code listings in the chapter texts are taken from the source by markers.
//
// In a source file, a listing is the lines between two marker comments:
//     // [listing forward]
//     ...
//     // [end forward]
// In a README.md, a listing is a fenced block between two HTML comments, which GitHub
// does not show:
//     <!-- listing chapters/05_backpropagation/main.cpp forward -->
//     ```cpp
//     ...
//     ```
//     <!-- end listing -->
// The path is relative to the repository root. `listings --write` refreshes every block
// from its source; the test suite runs the check and fails when a text has drifted.
#pragma once

#include <string>
#include <vector>

namespace nn::listings {

// The lines between `[listing NAME]` and `[end NAME]` in source_text, with the common
// indentation removed; throws std::runtime_error when the markers are missing.
std::string extract(const std::string& source_text, const std::string& name,
                    const std::string& source_path);

// readme_text with every listing block refreshed from the sources under root. Problems
// (a missing file or marker, an unclosed block) are appended to errors.
std::string refresh(const std::string& readme_text, const std::string& root,
                    std::vector<std::string>& errors);

// The Markdown files that may hold listings: README.md and chapters/*/README.md.
std::vector<std::string> texts(const std::string& root);

// Every problem in the tree: a listing that differs from its source, or cannot be made.
std::vector<std::string> check(const std::string& root);

// Rewrites every stale text in place; returns the problems that remain.
std::vector<std::string> write(const std::string& root);

}  // namespace nn::listings
