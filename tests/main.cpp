// The Catch2 runner for the whole suite (Catch2 v2, as Debian ships it).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
