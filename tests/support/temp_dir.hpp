// A fresh directory under the system temporary directory, removed with everything in it when
// the test ends.
#ifndef ESX_TESTS_SUPPORT_TEMP_DIR_HPP
#define ESX_TESTS_SUPPORT_TEMP_DIR_HPP

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace esx::test {

struct temp_dir {
    std::filesystem::path path;

    temp_dir() {
        std::string t = (std::filesystem::temp_directory_path() / "esx-test-XXXXXX").string();
        path = ::mkdtemp(t.data());
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;

    /// Writes `text` to `name` (parent directories made) and returns its path.
    std::filesystem::path write(std::string const& name, std::string const& text) const {
        auto p = path / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
        return p;
    }
};

} // namespace esx::test

#endif
