// The compile-once translation unit for esx's non-template code (ESX_SEPARATE_COMPILATION).
#include <esx/src.hpp>
