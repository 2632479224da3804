// esx/sink without a server: ESO's Secret rules through the memory sink, the files sink's
// atomic sets (a reader racing 200 swaps), dotenv through a real bash, and the json List.
#include "tests/support/run.hpp"
#include "tests/support/temp_dir.hpp"

#include <esx/sink/detail/secret_json.hpp>
#include <esx/sink/dotenv.hpp>
#include <esx/sink/files.hpp>
#include <esx/sink/json.hpp>
#include <esx/sink/memory.hpp>
#include <esx/transform/hash.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace sink = esx::sink;
using esx::secret_bytes;
using esx::spec::creation_policy;
using esx::spec::deletion_policy;

std::string const value_never_printed = "v4lue-that-must-never-be-printed";

sink::target make_target(std::map<std::string, std::string> data, creation_policy c = creation_policy::owner) {
    sink::target t;
    t.namespace_ = "team-a";
    t.name = "db";
    t.external_secret_name = "db-es";
    t.owner = sink::owner_reference{"external-secrets.io/v1", "ExternalSecret", "db-es", "uid-db-es"};
    t.creation = c;
    for (auto& [k, v] : data) t.data.emplace(k, secret_bytes(v));
    return t;
}

std::string read_text(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string sink_text(secret_bytes const& b) { return std::string(b.reveal()); }

sink::apply_options const real{.dry_run = false, .known = {}};
sink::apply_options const dry{.dry_run = true, .known = {}};

} // namespace

BOOST_AUTO_TEST_SUITE(esx)
BOOST_AUTO_TEST_SUITE(sink)

// ESO's rules (the shared plan) through the memory sink.
BOOST_AUTO_TEST_SUITE(memory_rules)

BOOST_AUTO_TEST_CASE(owner_creates_with_owner_reference_managed_label_hash_and_created_by) {
    sink::memory m;
    auto t = make_target({{"password", value_never_printed}, {"user", "admin"}});
    auto out = m.apply_now(t, real);
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(out->action == sink::action::created);
    BOOST_TEST(out->location == "Secret team-a/db");
    BOOST_TEST(out->keys == (std::vector<std::string>{"password", "user"}), boost::test_tools::per_element());
    auto s = m.find("team-a", "db");
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s->type == "Opaque");
    BOOST_TEST(sink_text(s->data.at("password")) == value_never_printed);
    BOOST_TEST(s->labels.at("reconcile.external-secrets.io/managed") == "true");
    BOOST_TEST(s->labels.at("reconcile.external-secrets.io/created-by") ==
               esx::transform::created_by_label("team-a", "db-es"));
    BOOST_TEST(s->annotations.at("reconcile.external-secrets.io/data-hash") == esx::transform::data_hash(s->data));
    BOOST_TEST(out->data_hash == esx::transform::data_hash(s->data));
    BOOST_TEST_REQUIRE(s->owner_references.size() == 1u);
    auto const& ref = s->owner_references[0];
    BOOST_TEST(ref.kind == "ExternalSecret");
    BOOST_TEST(ref.name == "db-es");
    BOOST_TEST(ref.uid == "uid-db-es");
    BOOST_TEST(ref.controller.value_or(false));
    BOOST_TEST(ref.block_owner_deletion.value_or(false));
    std::ostringstream printed;
    printed << *out;
    BOOST_TEST(printed.str() == "created Secret team-a/db");
}

BOOST_AUTO_TEST_CASE(applying_the_same_target_twice_writes_once) {
    sink::memory m;
    auto t = make_target({{"password", "p1"}});
    BOOST_TEST(m.apply_now(t, real)->action == sink::action::created);
    auto again = m.apply_now(t, real);
    BOOST_TEST(again->action == sink::action::unchanged);
    BOOST_TEST(m.writes() == 1u);
}

BOOST_AUTO_TEST_CASE(owner_without_a_cluster_uid_sets_no_owner_reference_and_says_so) {
    sink::memory m;
    auto t = make_target({{"k", "v"}});
    t.owner.reset();
    auto out = m.apply_now(t, real);
    BOOST_TEST(out->action == sink::action::created);
    BOOST_TEST(out->note.find("no ownerReference") != std::string::npos);
    BOOST_TEST(m.find("team-a", "db")->owner_references.empty());
}

BOOST_AUTO_TEST_CASE(none_writes_nothing) {
    sink::memory m;
    auto out = m.apply_now(make_target({{"k", "v"}}, creation_policy::none), real);
    BOOST_TEST(out->action == sink::action::skipped);
    BOOST_TEST(m.size() == 0u);
}

BOOST_AUTO_TEST_CASE(merge_without_a_target_is_skipped_with_esos_message) {
    sink::memory m;
    auto out = m.apply_now(make_target({{"k", "v"}}, creation_policy::merge), real);
    BOOST_TEST(out->action == sink::action::skipped);
    BOOST_TEST(out->note == "secret will not be created due to CreationPolicy=Merge");
    BOOST_TEST(m.size() == 0u);
}

BOOST_AUTO_TEST_CASE(merge_and_create_or_merge_keep_existing_keys) {
    for (auto policy : {creation_policy::merge, creation_policy::create_or_merge}) {
        sink::memory m;
        sink::stored_secret pre;
        pre.namespace_ = "team-a";
        pre.name = "db";
        pre.data.emplace("theirs", secret_bytes("keep"));
        pre.labels["app"] = "web";
        m.put(pre);
        auto out = m.apply_now(make_target({{"ours", "new"}}, policy), real);
        BOOST_TEST(out->action == sink::action::updated);
        auto s = m.find("team-a", "db");
        BOOST_TEST(sink_text(s->data.at("theirs")) == "keep");
        BOOST_TEST(sink_text(s->data.at("ours")) == "new");
        BOOST_TEST(s->labels.at("app") == "web");
        BOOST_TEST(s->owner_references.empty());
        BOOST_TEST(!s->labels.contains("reconcile.external-secrets.io/created-by"));
    }
    sink::memory fresh;
    BOOST_TEST(fresh.apply_now(make_target({{"k", "v"}}, creation_policy::create_or_merge), real)->action ==
               sink::action::created);
}

BOOST_AUTO_TEST_CASE(owner_and_orphan_replace_existing_keys) {
    sink::memory m;
    sink::stored_secret pre;
    pre.namespace_ = "team-a";
    pre.name = "db";
    pre.data.emplace("theirs", secret_bytes("gone"));
    m.put(pre);
    auto out = m.apply_now(make_target({{"ours", "v"}}, creation_policy::orphan), real);
    BOOST_TEST(out->action == sink::action::updated);
    BOOST_TEST(out->removed_keys == (std::vector<std::string>{"theirs"}), boost::test_tools::per_element());
    BOOST_TEST(!m.find("team-a", "db")->data.contains("theirs"));
}

BOOST_AUTO_TEST_CASE(orphan_removes_our_owner_reference_and_created_by_label) {
    sink::memory m;
    m.apply_now(make_target({{"k", "v"}}), real);
    BOOST_TEST(m.find("team-a", "db")->owner_references.size() == 1u);
    auto out = m.apply_now(make_target({{"k", "v"}}, creation_policy::orphan), real);
    BOOST_TEST(out->action == sink::action::updated);
    auto s = m.find("team-a", "db");
    BOOST_TEST(s->owner_references.empty());
    BOOST_TEST(!s->labels.contains("reconcile.external-secrets.io/created-by"));
}

BOOST_AUTO_TEST_CASE(another_external_secret_as_controller_is_refused_and_nothing_changes) {
    sink::memory m;
    sink::stored_secret pre;
    pre.namespace_ = "team-a";
    pre.name = "db";
    pre.data.emplace("k", secret_bytes("old"));
    pre.owner_references.push_back({"external-secrets.io/v1beta1", "ExternalSecret", "other-es", "uid-other", true, true});
    m.put(pre);
    auto before = m.find("team-a", "db");
    for (auto policy : {creation_policy::owner, creation_policy::orphan, creation_policy::merge}) {
        auto out = m.apply_now(make_target({{"k", value_never_printed}}, policy), real);
        BOOST_TEST_REQUIRE(!out.has_value());
        BOOST_TEST((out.error() == sink::error::owned_by_another_external_secret));
        BOOST_TEST(out.error().what().starts_with("target is owned by another ExternalSecret"));
        BOOST_TEST(out.error().what().find("other-es") != std::string::npos);
        BOOST_TEST(out.error().what().find(value_never_printed) == std::string::npos);
    }
    BOOST_TEST((m.find("team-a", "db") == before));
}

BOOST_AUTO_TEST_CASE(owner_cannot_take_a_secret_another_controller_controls) {
    sink::memory m;
    sink::stored_secret pre;
    pre.namespace_ = "team-a";
    pre.name = "db";
    pre.owner_references.push_back({"apps/v1", "Deployment", "web", "uid-web", true, true});
    m.put(pre);
    auto out = m.apply_now(make_target({{"k", "v"}}), real);
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::cannot_take_ownership));
    BOOST_TEST(out.error().what().starts_with("failed to take ownership of target secret"));
    // Orphan does not take ownership, so it may write.
    BOOST_TEST(m.apply_now(make_target({{"k", "v"}}, creation_policy::orphan), real).has_value());
}

BOOST_AUTO_TEST_CASE(keys_labels_and_annotations_no_longer_produced_are_removed_and_foreign_ones_kept) {
    sink::memory m;
    sink::stored_secret pre;
    pre.namespace_ = "team-a";
    pre.name = "db";
    pre.data.emplace("theirs", secret_bytes("x"));
    pre.labels["team"] = "a";
    m.put(pre);
    auto t = make_target({{"a", "1"}, {"b", "2"}}, creation_policy::merge);
    t.labels["tier"] = "db";
    t.annotations["note"] = "first";
    BOOST_TEST(m.apply_now(t, real)->action == sink::action::updated);
    t.data.erase("b");
    t.labels.clear();
    t.annotations.clear();
    auto out = m.apply_now(t, real);
    BOOST_TEST(out->action == sink::action::updated);
    BOOST_TEST(out->removed_keys == (std::vector<std::string>{"b"}), boost::test_tools::per_element());
    auto s = m.find("team-a", "db");
    BOOST_TEST(s->data.contains("a"));
    BOOST_TEST(!s->data.contains("b"));
    BOOST_TEST(s->data.contains("theirs"));
    BOOST_TEST(!s->labels.contains("tier"));
    BOOST_TEST(s->labels.at("team") == "a");
    BOOST_TEST(!s->annotations.contains("note"));
}

BOOST_AUTO_TEST_CASE(an_immutable_target_keeps_the_data_it_was_created_with) {
    sink::memory m;
    auto t = make_target({{"k", "first"}});
    t.immutable = true;
    BOOST_TEST(m.apply_now(t, real)->action == sink::action::created);
    BOOST_TEST(m.find("team-a", "db")->immutable);
    t.data.at("k") = secret_bytes("second");
    auto out = m.apply_now(t, real);
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(out->action == sink::action::unchanged);
    BOOST_TEST(out->note.find("immutable") != std::string::npos);
    BOOST_TEST(sink_text(m.find("team-a", "db")->data.at("k")) == "first");
}

BOOST_AUTO_TEST_CASE(an_immutable_secret_whose_data_would_change_fails_and_stays_as_it_was) {
    sink::memory m;
    sink::stored_secret pre;
    pre.namespace_ = "team-a";
    pre.name = "db";
    pre.immutable = true;
    pre.data.emplace("k", secret_bytes("old"));
    m.put(pre);
    auto before = m.find("team-a", "db");
    auto out = m.apply_now(make_target({{"k", value_never_printed}}), real);
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::target_immutable));
    BOOST_TEST(out.error().what().starts_with("could not update secret, target is immutable"));
    BOOST_TEST((m.find("team-a", "db") == before));
    BOOST_TEST(m.writes() == 0u);
}

BOOST_AUTO_TEST_CASE(a_type_change_is_refused) {
    sink::memory m;
    BOOST_TEST(m.apply_now(make_target({{"k", "v"}}), real).has_value());
    auto t = make_target({{"tls.crt", "c"}, {"tls.key", "k"}});
    t.type = "kubernetes.io/tls";
    auto out = m.apply_now(t, real);
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::type_immutable));
}

BOOST_AUTO_TEST_CASE(a_dry_run_reports_and_writes_nothing) {
    sink::memory m;
    auto out = m.apply_now(make_target({{"k", "v"}}), dry);
    BOOST_TEST(out->action == sink::action::created);
    BOOST_TEST(out->keys == (std::vector<std::string>{"k"}), boost::test_tools::per_element());
    BOOST_TEST(m.size() == 0u);
    m.apply_now(make_target({{"k", "v"}}), real);
    auto changed = m.apply_now(make_target({{"k", "w"}}), dry);
    BOOST_TEST(changed->action == sink::action::updated);
    BOOST_TEST(sink_text(m.find("team-a", "db")->data.at("k")) == "v");
    auto t = make_target({});
    t.deletion = deletion_policy::delete_;
    BOOST_TEST(m.remove_now(t, dry)->action == sink::action::deleted);
    BOOST_TEST(m.size() == 1u);
}

BOOST_AUTO_TEST_CASE(remove_follows_deletion_and_creation_policies) {
    sink::memory m;
    auto t = make_target({{"k", "v"}});
    m.apply_now(t, real);
    t.data.clear();
    t.deletion = deletion_policy::retain;
    BOOST_TEST(m.remove_now(t, real)->action == sink::action::retained);
    BOOST_TEST(m.size() == 1u);

    t.deletion = deletion_policy::delete_;
    t.creation = creation_policy::orphan;
    auto refused = m.remove_now(t, real);
    BOOST_TEST_REQUIRE(!refused.has_value());
    BOOST_TEST(refused.error().what() == "could not delete secret: unable to delete secret db: creationPolicy=Orphan is not Owner");
    BOOST_TEST(m.size() == 1u);

    auto other = t;
    other.creation = creation_policy::owner;
    other.external_secret_name = "someone-else";
    other.owner->name = "someone-else";
    auto not_ours = m.remove_now(other, real);
    BOOST_TEST_REQUIRE(!not_ours.has_value());
    BOOST_TEST((not_ours.error() == sink::error::delete_not_allowed));
    BOOST_TEST(m.size() == 1u);

    t.creation = creation_policy::owner;
    BOOST_TEST(m.remove_now(t, real)->action == sink::action::deleted);
    BOOST_TEST(m.size() == 0u);
    BOOST_TEST(m.remove_now(t, real)->action == sink::action::deleted);  // already gone: still done

    // Merge: the keys this ExternalSecret wrote go, the Secret stays.
    auto merged = make_target({{"k", "v"}});
    m.apply_now(merged, real);
    merged.data.clear();
    merged.deletion = deletion_policy::merge;
    BOOST_TEST(m.remove_now(merged, real)->action == sink::action::updated);
    BOOST_TEST(m.find("team-a", "db")->data.empty());
}

BOOST_AUTO_TEST_CASE(finalizers_are_added_once_never_removed_and_not_to_a_secret_being_deleted) {
    sink::memory m;
    auto t = make_target({{"k", "v"}});
    t.finalizers = {"example.com/keep"};
    m.apply_now(t, real);
    m.apply_now(t, real);
    BOOST_TEST((m.find("team-a", "db")->finalizers == std::vector<std::string>{"example.com/keep"}));
    t.finalizers.clear();
    m.apply_now(t, real);
    BOOST_TEST(m.find("team-a", "db")->finalizers.size() == 1u);

    sink::memory going;
    sink::stored_secret pre;
    pre.namespace_ = "team-a";
    pre.name = "db";
    pre.deleting = true;
    going.put(pre);
    t.finalizers = {"example.com/keep"};
    going.apply_now(t, real);
    BOOST_TEST(going.find("team-a", "db")->finalizers.empty());
}

BOOST_AUTO_TEST_CASE(the_coroutine_form_matches) {
    sink::memory m;
    auto out = esx::test::run(m.apply(make_target({{"k", "v"}}), real));
    BOOST_TEST(out->action == sink::action::created);
}

BOOST_AUTO_TEST_CASE(field_manager_is_esos) {
    BOOST_TEST(sink::detail::field_manager("db-es") == "externalsecrets.external-secrets.io/db-es");
    BOOST_TEST(sink::detail::field_manager(std::string(27, 'a')) == "externalsecrets.external-secrets.io/" + std::string(27, 'a'));
    // 80 characters in all: ESO's sha3 form (value from Python's hashlib.sha3_224).
    BOOST_TEST(sink::detail::field_manager("an-external-secret-with-a-rather-long-name-x") ==
               "externalsecrets.external-secrets.io/sha3/4aa03472f0b844cbec56c0f17b25cff333658762fd51ae0eeac2121b");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(file_sets)

namespace {

std::vector<std::string> hidden_sets(fs::path const& dir) {
    std::vector<std::string> out;
    for (auto const& e : fs::directory_iterator(dir)) {
        auto const n = e.path().filename().string();
        if (n.starts_with("..") && n != "..data") out.push_back(n);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(writes_one_file_per_key_behind_a_swapped_data_link) {
    esx::test::temp_dir tmp;
    auto const dir = tmp.path / "out";
    sink::files f(dir);
    auto out = f.apply_now(make_target({{"password", "p"}, {"user", "u"}}), real);
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(out->action == sink::action::created);
    BOOST_TEST(out->location == dir.string());
    BOOST_TEST(fs::is_symlink(dir / "..data"));
    auto const set = fs::read_symlink(dir / "..data").string();
    BOOST_TEST(set.starts_with(".."));
    BOOST_TEST((hidden_sets(dir) == std::vector<std::string>{set}));
    BOOST_TEST(fs::read_symlink(dir / "password").string() == "..data/password");
    BOOST_TEST(read_text(dir / "password") == "p");
    BOOST_TEST(read_text(dir / "user") == "u");
    struct stat st {};
    BOOST_TEST_REQUIRE(::stat((dir / set / "password").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0600u);
    BOOST_TEST_REQUIRE(::stat((dir / set).c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0700u);
}

BOOST_AUTO_TEST_CASE(unchanged_content_makes_no_new_set_and_stale_keys_go) {
    esx::test::temp_dir tmp;
    sink::files f(tmp.path);
    f.apply_now(make_target({{"a", "1"}, {"b", "2"}}), real);
    auto const first = fs::read_symlink(tmp.path / "..data");
    BOOST_TEST(f.apply_now(make_target({{"a", "1"}, {"b", "2"}}), real)->action == sink::action::unchanged);
    BOOST_TEST(fs::read_symlink(tmp.path / "..data") == first);

    auto out = f.apply_now(make_target({{"a", "1"}, {"c", "3"}}), real);
    BOOST_TEST(out->action == sink::action::updated);
    BOOST_TEST(out->removed_keys == (std::vector<std::string>{"b"}), boost::test_tools::per_element());
    BOOST_TEST(!fs::exists(fs::symlink_status(tmp.path / "b")));
    BOOST_TEST(read_text(tmp.path / "c") == "3");
    BOOST_TEST(!fs::exists(tmp.path / first));  // the previous set is gone
    BOOST_TEST(hidden_sets(tmp.path).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_reader_never_sees_keys_of_two_sets_while_200_sets_are_swapped) {
    esx::test::temp_dir tmp;
    auto const dir = tmp.path;
    // fsync makes durability, not atomicity; without it the 200 swaps take 2 s instead of 10.
    sink::files f(dir, sink::files_options{.sync = false});
    // Even generations have keys a, b, even; odd ones a, b, odd. Every value names its generation.
    auto generation = [](int g) {
        std::string const marker = "gen=" + std::to_string(g) + ";";
        std::map<std::string, std::string> data{{"a", marker + "a"}, {"b", marker + std::string(5000, 'b')}};
        data[g % 2 ? "odd" : "even"] = marker;
        return make_target(data);
    };
    BOOST_TEST_REQUIRE(f.apply_now(generation(0), real).has_value());

    std::atomic<bool> done{false};
    std::atomic<int> consistent{0}, retried{0}, mixed{0}, torn_files{0};
    std::thread reader([&] {
        auto read_once = [&]() -> bool {  // false: the set moved during the read (retry)
            std::error_code ec;
            auto const name = fs::read_symlink(dir / "..data", ec);
            if (ec) return false;
            std::map<std::string, std::string> seen;
            for (auto const& e : fs::directory_iterator(dir / name, ec)) seen[e.path().filename().string()] = read_text(e.path());
            if (ec) return false;
            auto const again = fs::read_symlink(dir / "..data", ec);
            if (ec || again != name || seen.empty()) return false;
            std::string marker;
            for (auto const& [k, v] : seen) {
                auto const m = v.substr(0, v.find(';') + 1);
                if (marker.empty()) marker = m;
                if (m != marker || v.size() < m.size()) ++mixed;
            }
            int const g = std::stoi(marker.substr(4));
            std::set<std::string> keys;
            for (auto const& [k, v] : seen) keys.insert(k);
            if (keys != std::set<std::string>{"a", "b", g % 2 ? "odd" : "even"}) ++mixed;
            return true;
        };
        while (!done.load()) {
            if (read_once()) ++consistent;
            else ++retried;
            // Each single file, read through its key link, is always whole.
            auto const b = read_text(dir / "b");
            if (!b.empty() && b.size() != b.find(';') + 1 + 5000) ++torn_files;
        }
        if (read_once()) ++consistent;
    });
    for (int g = 1; g <= 200; ++g) {
        auto out = f.apply_now(generation(g), real);
        BOOST_TEST_REQUIRE(out.has_value());
        BOOST_TEST_REQUIRE(out->action == sink::action::updated);
    }
    done = true;
    reader.join();
    BOOST_TEST(mixed.load() == 0);
    BOOST_TEST(torn_files.load() == 0);
    BOOST_TEST(consistent.load() >= 1);
    BOOST_TEST_MESSAGE("reads: " << consistent.load() << " consistent, " << retried.load() << " retried");
    BOOST_TEST(hidden_sets(dir).size() == 1u);
    BOOST_TEST(read_text(dir / "..data" / "a").starts_with("gen=200;"));
}

BOOST_AUTO_TEST_CASE(a_directory_that_is_a_symlink_is_refused_unless_allowed) {
    esx::test::temp_dir tmp;
    fs::create_directory(tmp.path / "elsewhere");
    fs::create_directory_symlink(tmp.path / "elsewhere", tmp.path / "link");
    sink::files f(tmp.path / "link");
    auto out = f.apply_now(make_target({{"k", "v"}}), real);
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::unsafe_path));
    BOOST_TEST(out.error().what().find("allow_symlinked_directory") != std::string::npos);
    BOOST_TEST(fs::is_empty(tmp.path / "elsewhere"));

    sink::files allowed(tmp.path / "link", sink::files_options{.allow_symlinked_directory = true});
    BOOST_TEST(allowed.apply_now(make_target({{"k", "v"}}), real).has_value());
    BOOST_TEST(read_text(tmp.path / "elsewhere" / "k") == "v");
}

BOOST_AUTO_TEST_CASE(keys_that_would_leave_the_directory_are_refused) {
    esx::test::temp_dir tmp;
    sink::files f(tmp.path / "out");
    for (std::string bad : {"../escape", "a/b", "..data", "..", "."}) {
        auto out = f.apply_now(make_target({{bad, "v"}}), real);
        BOOST_TEST_REQUIRE(!out.has_value(), bad);
        BOOST_TEST((out.error() == sink::error::unsafe_path), bad);
    }
    BOOST_TEST(!fs::exists(tmp.path / "escape"));
}

BOOST_AUTO_TEST_CASE(a_planted_link_or_file_under_a_key_name_is_never_followed_or_replaced) {
    esx::test::temp_dir tmp;
    auto const dir = tmp.path / "out";
    auto const outside = tmp.write("outside.txt", "outside");
    sink::files f(dir);
    BOOST_TEST(f.apply_now(make_target({{"a", "1"}}), real).has_value());
    fs::create_symlink(outside, dir / "b");  // someone plants b -> a file outside
    auto out = f.apply_now(make_target({{"a", "1"}, {"b", value_never_printed}}), real);
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::foreign_entry));
    BOOST_TEST(out.error().what().find(value_never_printed) == std::string::npos);
    BOOST_TEST(read_text(outside) == "outside");
    BOOST_TEST(read_text(dir / "a") == "1");
    BOOST_TEST(hidden_sets(dir).size() == 1u);

    // `..data` aimed outside the directory is refused too.
    fs::remove(dir / "b");
    auto const set = fs::read_symlink(dir / "..data");
    fs::remove(dir / "..data");
    fs::create_directory_symlink(tmp.path, dir / "..data");
    auto escaped = f.apply_now(make_target({{"a", "2"}}), real);
    BOOST_TEST_REQUIRE(!escaped.has_value());
    BOOST_TEST((escaped.error() == sink::error::unsafe_path));
    BOOST_TEST(read_text(outside) == "outside");
}

BOOST_AUTO_TEST_CASE(a_failed_write_leaves_the_current_set_and_no_half_made_one) {
    esx::test::temp_dir tmp;
    sink::files f(tmp.path);
    BOOST_TEST(f.apply_now(make_target({{"a", "old"}}), real).has_value());
    auto const set = fs::read_symlink(tmp.path / "..data");
    // Files may not grow past 1 KiB for a moment: writing a 4 KiB value fails with EFBIG.
    auto const old_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit small = saved;
    small.rlim_cur = 1024;
    ::setrlimit(RLIMIT_FSIZE, &small);
    auto out = f.apply_now(make_target({{"a", "new"}, {"big", std::string(4096, 'x')}}), real);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, old_handler);
    BOOST_TEST_REQUIRE(!out.has_value());
    BOOST_TEST((out.error() == sink::error::io_failed));
    BOOST_TEST_MESSAGE(out.error().what());
    BOOST_TEST(fs::read_symlink(tmp.path / "..data") == set);
    BOOST_TEST(read_text(tmp.path / "a") == "old");
    BOOST_TEST((hidden_sets(tmp.path) == std::vector<std::string>{set.string()}));
}

BOOST_AUTO_TEST_CASE(creation_policies_and_remove) {
    esx::test::temp_dir tmp;
    sink::files f(tmp.path / "out");
    BOOST_TEST(f.apply_now(make_target({{"a", "1"}}, creation_policy::none), real)->action == sink::action::skipped);
    BOOST_TEST(f.apply_now(make_target({{"a", "1"}}, creation_policy::merge), real)->action == sink::action::skipped);
    BOOST_TEST(!fs::exists(tmp.path / "out" / "..data"));
    BOOST_TEST(f.apply_now(make_target({{"a", "1"}}, creation_policy::create_or_merge), real)->action ==
               sink::action::created);
    BOOST_TEST(f.apply_now(make_target({{"b", "2"}}, creation_policy::merge), real)->action == sink::action::updated);
    BOOST_TEST(read_text(tmp.path / "out" / "a") == "1");
    BOOST_TEST(read_text(tmp.path / "out" / "b") == "2");
    BOOST_TEST(f.apply_now(make_target({{"b", "2"}}), dry)->action == sink::action::updated);
    BOOST_TEST(fs::exists(tmp.path / "out" / "a"));

    auto t = make_target({});
    t.deletion = deletion_policy::delete_;
    BOOST_TEST(f.remove_now(t, dry)->action == sink::action::deleted);
    BOOST_TEST(fs::exists(tmp.path / "out" / "a"));
    BOOST_TEST(f.remove_now(t, real)->action == sink::action::deleted);
    BOOST_TEST(fs::is_empty(tmp.path / "out"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(dotenv_output)

namespace {

// Sources `file` in bash (`set -a; . file`) and returns each named variable's value as bash
// holds it, written out byte for byte by printf.
std::map<std::string, std::string> source_in_bash(fs::path const& file, std::vector<std::string> const& names,
                                                  fs::path const& scratch) {
    std::string script = "set -a; . '" + file.string() + "' || exit 3; set +a\n";
    for (auto const& n : names) script += "printf '%s' \"$" + n + "\" > '" + (scratch / n).string() + "'\n";
    auto const script_file = scratch / "check.sh";
    std::ofstream(script_file) << script;
    int const status = std::system(("/bin/bash --norc --noprofile '" + script_file.string() + "'").c_str());
    BOOST_TEST(status == 0);
    std::map<std::string, std::string> out;
    for (auto const& n : names) out[n] = read_text(scratch / n);
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(any_value_but_nul_round_trips_through_bash) {
    esx::test::temp_dir tmp;
    std::string high;
    for (int c = 1; c < 256; ++c) high += static_cast<char>(c);
    std::map<std::string, std::string> nasty{
        {"single", "it's 'quoted'"},
        {"double", "say \"hi\""},
        {"dollar", "$HOME ${PATH} $(touch " + (tmp.path / "pwned").string() + ")"},
        {"backtick", "`touch " + (tmp.path / "pwned").string() + "`"},
        {"newlines", "line1\nline2\r\n\n"},
        {"backslash", "a\\b\\'c\\n"},
        {"empty", ""},
        {"spaces", "  lead and trail  "},
        {"unicode", "h\xc3\xa9llo \xe2\x80\xa8 \xf0\x9f\x94\x91"},
        {"all_bytes", high},
        {"tls.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
        {"1st-key", "digit first"},
    };
    auto const file = tmp.path / "secrets.env";
    sink::dotenv d(file);
    auto out = d.apply_now(make_target(nasty), real);
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(out->action == sink::action::created);
    BOOST_TEST_REQUIRE(d.flush().has_value());
    struct stat st {};
    BOOST_TEST_REQUIRE(::stat(file.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0600u);

    std::vector<std::string> names;
    std::map<std::string, std::string> expected;
    for (auto const& [k, v] : nasty) {
        auto name = sink::dotenv::variable_name(k);
        BOOST_TEST_REQUIRE(name.has_value());
        names.push_back(*name);
        expected[*name] = v;
    }
    BOOST_TEST(names.size() == nasty.size());
    auto const got = source_in_bash(file, names, tmp.path);
    for (auto const& [n, v] : expected) BOOST_TEST(got.at(n) == v, "variable " << n);
    BOOST_TEST(!fs::exists(tmp.path / "pwned"));
    BOOST_TEST(expected.contains("tls_crt"));
    BOOST_TEST(expected.contains("_1st_key"));
}

BOOST_AUTO_TEST_CASE(the_format_is_single_quotes_with_a_header_line) {
    std::ostringstream os;
    sink::dotenv d(os);
    d.apply_now(make_target({{"user", "admin"}, {"pass", "it's"}}), real);
    BOOST_TEST(os.str().empty());  // nothing before flush
    BOOST_TEST_REQUIRE(d.flush().has_value());
    BOOST_TEST(os.str() == "# Secret team-a/db (ExternalSecret db-es)\npass='it'\\''s'\nuser='admin'\n");
    // A name cannot smuggle a line into the shell through the comment.
    std::ostringstream evil;
    sink::dotenv e(evil);
    auto t = make_target({{"k", "v"}});
    t.name = "db\ntouch /tmp/pwned";
    e.apply_now(t, real);
    BOOST_TEST_REQUIRE(e.flush().has_value());
    BOOST_TEST(evil.str() == "# Secret team-a/db?touch??tmp?pwned (ExternalSecret db-es)\nk='v'\n");
}

BOOST_AUTO_TEST_CASE(nul_bytes_colliding_names_and_read_only_names_are_refused_by_key) {
    std::ostringstream os;
    sink::dotenv d(os);
    auto nul = d.apply_now(make_target({{"blob", std::string("a\0b", 3)}}), real);
    BOOST_TEST_REQUIRE(!nul.has_value());
    BOOST_TEST((nul.error() == sink::error::nul_in_value));
    BOOST_TEST(nul.error().what().find("key blob") != std::string::npos);

    auto clash = d.apply_now(make_target({{"db-user", "x"}, {"db.user", "y"}}), real);
    BOOST_TEST_REQUIRE(!clash.has_value());
    BOOST_TEST((clash.error() == sink::error::key_collision));
    BOOST_TEST(clash.error().what().find("db-user") != std::string::npos);
    BOOST_TEST(clash.error().what().find("db.user") != std::string::npos);
    BOOST_TEST(clash.error().what().find("db_user") != std::string::npos);

    auto read_only = d.apply_now(make_target({{"UID", "0"}}), real);
    BOOST_TEST_REQUIRE(!read_only.has_value());
    BOOST_TEST((read_only.error() == sink::error::invalid_key));

    // The same variable from two Secrets would silently overwrite one: refused.
    BOOST_TEST(d.apply_now(make_target({{"token", "1"}}), real).has_value());
    auto second = make_target({{"token", "2"}});
    second.name = "other";
    auto across = d.apply_now(second, real);
    BOOST_TEST_REQUIRE(!across.has_value());
    BOOST_TEST((across.error() == sink::error::key_collision));
    BOOST_TEST_REQUIRE(d.flush().has_value());
    BOOST_TEST(os.str().find("other") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(json_output)

BOOST_AUTO_TEST_CASE(prints_a_v1_list_of_the_secrets_that_would_be_written) {
    std::ostringstream os;
    sink::json j(os);
    auto db = make_target({{"password", value_never_printed}, {"bin", std::string("\0\xff\x01", 3)}});
    db.labels["app"] = "web";
    db.annotations["note"] = "<a & b>";
    auto api = make_target({{"token", "t"}}, creation_policy::orphan);
    api.name = "api";
    api.type = "kubernetes.io/basic-auth";
    BOOST_TEST(j.apply_now(db, real)->action == sink::action::created);
    BOOST_TEST(j.apply_now(api, real)->action == sink::action::created);
    BOOST_TEST(j.apply_now(make_target({{"x", "y"}}, creation_policy::none), real)->action == sink::action::skipped);
    BOOST_TEST_REQUIRE(j.flush().has_value());

    auto const printed = os.str();
    auto doc = boost::json::parse(printed).as_object();
    BOOST_TEST(doc.at("apiVersion").as_string() == "v1");
    BOOST_TEST(doc.at("kind").as_string() == "List");
    BOOST_TEST(doc.at("metadata").as_object().at("resourceVersion").as_string() == "");
    auto const& items = doc.at("items").as_array();
    BOOST_TEST_REQUIRE(items.size() == 2u);
    auto const& first = items[0].as_object();  // team-a/api sorts before team-a/db
    BOOST_TEST(first.at("metadata").as_object().at("name").as_string() == "api");
    BOOST_TEST(first.at("type").as_string() == "kubernetes.io/basic-auth");
    BOOST_TEST(!first.at("metadata").as_object().contains("ownerReferences"));
    auto const& second = items[1].as_object();
    BOOST_TEST(second.at("apiVersion").as_string() == "v1");
    BOOST_TEST(second.at("kind").as_string() == "Secret");
    BOOST_TEST(second.at("type").as_string() == "Opaque");
    auto const& meta = second.at("metadata").as_object();
    BOOST_TEST(meta.at("namespace").as_string() == "team-a");
    BOOST_TEST(meta.at("labels").as_object().at("app").as_string() == "web");
    BOOST_TEST(meta.at("labels").as_object().at("reconcile.external-secrets.io/managed").as_string() == "true");
    BOOST_TEST(meta.at("annotations").as_object().at("note").as_string() == "<a & b>");
    BOOST_TEST(meta.at("annotations").as_object().at("reconcile.external-secrets.io/data-hash").as_string() ==
               esx::transform::data_hash(db.data));
    BOOST_TEST(meta.at("ownerReferences").as_array().size() == 1u);
    auto const& data = second.at("data").as_object();
    BOOST_TEST(data.at("password").as_string() == "djRsdWUtdGhhdC1tdXN0LW5ldmVyLWJlLXByaW50ZWQ=");  // base64 -w0
    BOOST_TEST(data.at("bin").as_string() == "AP8B");

    // kubectl's layout: 4 spaces, keys sorted, HTML characters escaped, a final newline.
    BOOST_TEST(printed.starts_with("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\n            \"apiVersion\": \"v1\",\n            \"data\": {\n"));
    BOOST_TEST(printed.find("\"note\": \"\\u003ca \\u0026 b\\u003e\"") != std::string::npos);
    BOOST_TEST(printed.ends_with("    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n"));
}

BOOST_AUTO_TEST_CASE(go_escaping_of_control_bytes_and_invalid_utf8) {
    static constexpr char raw[] = "\b\f\n\r\t\x01\x1f \xe2\x80\xa8\xe2\x80\xa9 \xff ok \xc3\xa9";
    boost::json::object o{{"k", std::string_view(raw, sizeof raw - 1)}};
    BOOST_TEST(sink::detail::kubectl_json(o) ==
               "{\n    \"k\": \"\\b\\f\\n\\r\\t\\u0001\\u001f \\u2028\\u2029 \\ufffd ok \xc3\xa9\"\n}");
    BOOST_TEST(sink::detail::kubectl_json(boost::json::object{{"a", boost::json::array{}}, {"b", boost::json::object{}}}) ==
               "{\n    \"a\": [],\n    \"b\": {}\n}");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
