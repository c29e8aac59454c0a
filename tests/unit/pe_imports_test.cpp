// The PE import reader and the import closure: constructed images for every bad-input case and
// every verdict (a fake file system), then real images (Wine's DLLs) when they are installed.
#include "safelaunch/env_var.hpp"
#include "safelaunch/pe_imports.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

namespace safelaunch {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::size_t at, std::uint32_t v) {
    b[at] = static_cast<std::uint8_t>(v);
    b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
    put16(b, at, v & 0xffff);
    put16(b, at + 2, v >> 16);
}

// A minimal image: DOS header, PE header at 0x40, one section ".idata" at RVA 0x1000 / file
// offset 0x200 holding the import descriptors, then the delay descriptors, then the names.
struct ImageSpec {
    bool plus = true;
    std::uint16_t machine = kMachineX64;
    std::vector<std::string> imports;
    std::vector<std::string> delay_imports;
    bool old_style_delay = false;  // VC6 delay descriptors: virtual addresses, attributes 0
};

constexpr std::uint32_t kPe = 0x40;
constexpr std::uint32_t kSectionRva = 0x1000;
constexpr std::uint32_t kSectionFile = 0x200;
constexpr std::uint32_t kImageBase = 0x400000;

std::uint32_t optional_size(bool plus) { return plus ? 240 : 224; }

Bytes build(const ImageSpec& s) {
    Bytes b(0x200 + 0x800, 0);
    b[0] = 'M';
    b[1] = 'Z';
    put32(b, 0x3c, kPe);
    put32(b, kPe, 0x00004550);
    put16(b, kPe + 4, s.machine);
    put16(b, kPe + 6, 1);
    put16(b, kPe + 20, optional_size(s.plus));
    const std::uint32_t opt = kPe + 24;
    put16(b, opt, s.plus ? 0x20b : 0x10b);
    if (s.plus) put32(b, opt + 24, kImageBase);
    else put32(b, opt + 28, kImageBase);
    put32(b, opt + 60, 0x200);  // SizeOfHeaders
    put32(b, opt + (s.plus ? 108 : 92), 16);
    const std::uint32_t dirs = opt + (s.plus ? 112 : 96);
    const std::uint32_t sec = opt + optional_size(s.plus);
    std::memcpy(&b[sec], ".idata\0", 8);
    put32(b, sec + 8, 0x800);
    put32(b, sec + 12, kSectionRva);
    put32(b, sec + 16, 0x800);
    put32(b, sec + 20, kSectionFile);

    const std::uint32_t imp = 0;                                        // section-relative
    const std::uint32_t delay = 20 * static_cast<std::uint32_t>(s.imports.size() + 1);
    std::uint32_t names = delay + 32 * static_cast<std::uint32_t>(s.delay_imports.size() + 1);
    const auto add_name = [&](const std::string& n) {
        const auto at = names;
        std::memcpy(&b[kSectionFile + at], n.data(), n.size());
        names += static_cast<std::uint32_t>(n.size()) + 1;
        return kSectionRva + at;
    };
    for (std::size_t i = 0; i < s.imports.size(); ++i) {
        put32(b, kSectionFile + imp + 20 * i + 12, add_name(s.imports[i]));
        put32(b, kSectionFile + imp + 20 * i + 16, kSectionRva + 0x700);  // FirstThunk, nonzero
    }
    for (std::size_t i = 0; i < s.delay_imports.size(); ++i) {
        const auto rva = add_name(s.delay_imports[i]);
        put32(b, kSectionFile + delay + 32 * i, s.old_style_delay ? 0 : 1);
        put32(b, kSectionFile + delay + 32 * i + 4, s.old_style_delay ? rva + kImageBase : rva);
    }
    if (!s.imports.empty()) {
        put32(b, dirs + 8, kSectionRva + imp);
        put32(b, dirs + 12, 20 * static_cast<std::uint32_t>(s.imports.size() + 1));
    }
    if (!s.delay_imports.empty()) {
        put32(b, dirs + 13 * 8, kSectionRva + delay);
        put32(b, dirs + 13 * 8 + 4, 32 * static_cast<std::uint32_t>(s.delay_imports.size() + 1));
    }
    return b;
}

std::uint32_t dirs_offset(bool plus) { return kPe + 24 + (plus ? 112 : 96); }

bool has_problem(const std::vector<Finding>& problems, std::string_view id) {
    for (const auto& p : problems)
        if (p.id == id) return true;
    return false;
}

TEST(PeImports, ReadsPe32PlusImportsAndDelayImports) {
    const auto r = parse_pe_imports(build({true, kMachineX64, {"KERNEL32.dll", "foo.dll"}, {"USER32.dll"}}));
    ASSERT_TRUE(r.valid);
    EXPECT_EQ(r.format, PeFormat::pe32_plus);
    EXPECT_EQ(machine_name(r.machine), "x64");
    EXPECT_EQ(r.imports, (std::vector<std::string>{"KERNEL32.dll", "foo.dll"}));
    EXPECT_EQ(r.delay_imports, (std::vector<std::string>{"USER32.dll"}));
    EXPECT_TRUE(r.problems.empty());
}

TEST(PeImports, ReadsPe32X86AndOldStyleDelayDescriptors) {
    const auto r = parse_pe_imports(build({false, kMachineX86, {"kernel32.dll"}, {"gdi32.dll"}, true}));
    ASSERT_TRUE(r.valid);
    EXPECT_EQ(r.format, PeFormat::pe32);
    EXPECT_EQ(machine_name(r.machine), "x86");
    EXPECT_EQ(r.imports, (std::vector<std::string>{"kernel32.dll"}));
    EXPECT_EQ(r.delay_imports, (std::vector<std::string>{"gdi32.dll"}));
}

TEST(PeImports, ReadsArm64AndWarnsOnUnknownMachine) {
    EXPECT_EQ(machine_name(parse_pe_imports(build({true, kMachineArm64, {"a.dll"}, {}})).machine), "arm64");
    const auto r = parse_pe_imports(build({true, 0x1c4, {"a.dll"}, {}}));
    ASSERT_TRUE(r.valid);
    EXPECT_EQ(r.imports.size(), 1u);
    EXPECT_EQ(machine_name(r.machine), "unknown (0x1c4)");
    EXPECT_TRUE(has_problem(r.problems, "pe.header.unknown_machine"));
}

TEST(PeImports, TruncatedHeadersAreReportedAtEveryCut) {
    const auto full = build({true, kMachineX64, {"a.dll"}, {}});
    // Every cut inside the headers gives an invalid image with a pe.header.* problem, never a crash.
    for (std::size_t cut = 0; cut < kPe + 24 + optional_size(true) + 40; ++cut) {
        const auto r = parse_pe_imports(std::span(full.data(), cut));
        ASSERT_FALSE(r.valid) << cut;
        ASSERT_FALSE(r.problems.empty()) << cut;
        EXPECT_EQ(r.problems.front().id.rfind("pe.header.", 0), 0u) << cut << " " << r.problems.front().id;
    }
    EXPECT_EQ(parse_pe_imports(std::span(full.data(), 10)).problems.front().id, "pe.header.truncated");
}

TEST(PeImports, NotPeSignaturesAndMagic) {
    auto b = build({true, kMachineX64, {"a.dll"}, {}});
    auto c = b;
    c[0] = 'X';
    EXPECT_EQ(parse_pe_imports(c).problems.front().id, "pe.header.not_pe");
    c = b;
    c[kPe] = 'N';
    EXPECT_EQ(parse_pe_imports(c).problems.front().id, "pe.header.not_pe");
    c = b;
    put16(c, kPe + 24, 0x107);  // ROM image
    EXPECT_EQ(parse_pe_imports(c).problems.front().id, "pe.header.bad_magic");
    c = b;
    put32(c, 0x3c, 0xfffffff0);  // e_lfanew far past the end: no overflow
    EXPECT_EQ(parse_pe_imports(c).problems.front().id, "pe.header.truncated");
}

TEST(PeImports, AbsurdSectionCountIsRefused) {
    auto b = build({true, kMachineX64, {"a.dll"}, {}});
    put16(b, kPe + 6, 0xffff);
    const auto r = parse_pe_imports(b);
    EXPECT_FALSE(r.valid);
    EXPECT_EQ(r.problems.front().id, "pe.header.too_many_sections");
}

TEST(PeImports, ImportDirectoryOutOfRange) {
    auto b = build({true, kMachineX64, {"a.dll"}, {}});
    put32(b, dirs_offset(true) + 8, 0x7fff0000);
    const auto r = parse_pe_imports(b);
    ASSERT_TRUE(r.valid);
    EXPECT_TRUE(r.imports.empty());
    EXPECT_TRUE(has_problem(r.problems, "pe.imports.rva_out_of_range"));
}

TEST(PeImports, NameRvaOutOfRangeKeepsEarlierNames) {
    auto b = build({true, kMachineX64, {"a.dll", "b.dll"}, {}});
    put32(b, kSectionFile + 20 + 12, 0xfffffff0);  // second descriptor's name
    const auto r = parse_pe_imports(b);
    EXPECT_EQ(r.imports, (std::vector<std::string>{"a.dll"}));
    EXPECT_TRUE(has_problem(r.problems, "pe.imports.rva_out_of_range"));
}

TEST(PeImports, UnterminatedNameAtTheEndOfTheFile) {
    auto b = build({true, kMachineX64, {"a.dll"}, {}});
    // The name runs into the last byte of the section and file with no NUL.
    const std::uint32_t last = 0x800 - 4;
    std::memset(&b[kSectionFile + last], 'x', 4);
    put32(b, kSectionFile + 12, kSectionRva + last);
    const auto r = parse_pe_imports(b);
    EXPECT_TRUE(r.imports.empty());
    EXPECT_TRUE(has_problem(r.problems, "pe.imports.unterminated_name"));
}

TEST(PeImports, DescriptorsWithoutTerminatorAreTruncatedNotOverread) {
    auto b = build({true, kMachineX64, {"a.dll"}, {}});
    // Every descriptor of the section names "a.dll" (kept in the headers, RVA 0x180): the array
    // runs off the section's end with 8 bytes to spare.
    std::memcpy(&b[0x180], "a.dll", 6);
    for (std::uint32_t at = 0; at + 20 <= 0x800; at += 20) put32(b, kSectionFile + at + 12, 0x180);
    const auto r = parse_pe_imports(b);
    EXPECT_TRUE(has_problem(r.problems, "pe.imports.truncated"));
    EXPECT_EQ(r.imports.size(), 0x800u / 20);
}

TEST(PeImports, DelayDirectoryOutOfRangeAndOldStyleVaBelowBase) {
    auto b = build({true, kMachineX64, {}, {"user32.dll"}, true});
    put32(b, kSectionFile + 20 + 4, 0x10);  // a "VA" below the image base
    auto r = parse_pe_imports(b);
    EXPECT_TRUE(r.delay_imports.empty());
    EXPECT_TRUE(has_problem(r.problems, "pe.delay_imports.rva_out_of_range"));
    b = build({true, kMachineX64, {}, {"user32.dll"}});
    put32(b, dirs_offset(true) + 13 * 8, 0x90000000);
    r = parse_pe_imports(b);
    EXPECT_TRUE(has_problem(r.problems, "pe.delay_imports.rva_out_of_range"));
}

TEST(PeImports, DirectoriesPastNumberOfRvaAndSizesDoNotExist) {
    auto b = build({true, kMachineX64, {"a.dll"}, {"user32.dll"}});
    put32(b, kPe + 24 + 108, 2);  // only export and import directories
    const auto r = parse_pe_imports(b);
    EXPECT_EQ(r.imports.size(), 1u);
    EXPECT_TRUE(r.delay_imports.empty());
}

TEST(PeImports, NamesAndApiSets) {
    EXPECT_EQ(normalize_dll_name("USER32"), "user32.dll");
    EXPECT_EQ(normalize_dll_name("User32.DLL"), "user32.dll");
    EXPECT_TRUE(is_api_set_name("API-MS-WIN-core-file-l1-1-0.dll"));
    EXPECT_TRUE(is_api_set_name("ext-ms-win-ntuser-window-l1-1-0.dll"));
    EXPECT_FALSE(is_api_set_name("apisetschema.dll"));
    EXPECT_EQ(directory_of("C:\\app\\worker.exe"), "C:\\app");
    EXPECT_EQ(file_name_of("/opt/app/worker.exe"), "worker.exe");
    EXPECT_EQ(directory_of("worker.exe"), ".");
}

// A file system in memory: paths are "dir/name", look-ups case-insensitive.
class FakeFiles final : public ImageFiles {
public:
    void add(const std::string& dir, const std::string& name, Bytes bytes) { files_[dir + "/" + name] = std::move(bytes); }
    std::optional<std::string> find(const std::string& dir, const std::string& name) override {
        for (const auto& [path, bytes] : files_)
            if (normalize_dll_name(path) == normalize_dll_name(dir + "/" + name)) return path;
        return std::nullopt;
    }
    std::optional<Bytes> read(const std::string& path, std::string& error) override {
        ++reads;
        const auto it = files_.find(path);
        if (it == files_.end()) {
            error = "no such file";
            return std::nullopt;
        }
        return it->second;
    }
    int reads = 0;

private:
    std::map<std::string, Bytes> files_;
};

ImageSpec dll(std::vector<std::string> imports, std::vector<std::string> delay = {}) {
    return ImageSpec{true, kMachineX64, std::move(imports), std::move(delay)};
}

ImportClosure closure(FakeFiles& fs, const std::string& program = "app/worker.exe") {
    std::string error;
    auto c = import_closure(program, fs, {"sys"}, error);
    EXPECT_TRUE(c) << error;
    return c ? *c : ImportClosure{};
}

TEST(ImportClosure, ConnectsAtInitThroughAnAppDll) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"KERNEL32.dll", "foo.dll"})));
    fs.add("app", "FOO.DLL", build(dll({"USER32.dll"})));
    fs.add("sys", "kernel32.dll", build(dll({"ntdll.dll"})));
    fs.add("sys", "ntdll.dll", build(dll({})));
    fs.add("sys", "user32.dll", build(dll({"gdi32.dll"})));
    const auto c = closure(fs);
    EXPECT_EQ(c.verdict, ConnectVerdict::connects_at_init);
    EXPECT_EQ(chain_text(c), "worker.exe -> foo.dll -> USER32.dll");
    EXPECT_EQ(c.unresolved, (std::vector<std::string>{"gdi32.dll"}));  // reported, not guessed
}

TEST(ImportClosure, AppDirectoryComesBeforeSystem32) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"helper.dll"})));
    fs.add("app", "helper.dll", build(dll({})));
    fs.add("sys", "helper.dll", build(dll({"user32.dll"})));
    const auto c = closure(fs);
    EXPECT_EQ(c.verdict, ConnectVerdict::never);
    ASSERT_EQ(c.modules.size(), 2u);
    EXPECT_EQ(c.modules[1].path, "app/helper.dll");
}

TEST(ImportClosure, DelayLoadedOnlyThroughADelayImport) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"kernel32.dll"}, {"ui.dll"})));
    fs.add("sys", "kernel32.dll", build(dll({})));
    fs.add("app", "ui.dll", build(dll({"gdi32.dll"})));
    const auto c = closure(fs);
    EXPECT_EQ(c.verdict, ConnectVerdict::delay_loaded);
    EXPECT_EQ(chain_text(c), "worker.exe -> (delay) ui.dll -> gdi32.dll");
}

TEST(ImportClosure, StaticChainWinsOverADelayOne) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"a.dll"}, {"user32.dll"})));
    fs.add("app", "a.dll", build(dll({"b.dll"})));
    fs.add("app", "b.dll", build(dll({"user32.dll"})));
    const auto c = closure(fs);
    EXPECT_EQ(c.verdict, ConnectVerdict::connects_at_init);
    EXPECT_EQ(chain_text(c), "worker.exe -> a.dll -> b.dll -> user32.dll");
}

TEST(ImportClosure, NeverWhenNeitherIsReachable) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"kernel32.dll"})));
    fs.add("sys", "kernel32.dll", build(dll({"ntdll.dll"})));
    fs.add("sys", "ntdll.dll", build(dll({})));
    const auto c = closure(fs);
    EXPECT_EQ(c.verdict, ConnectVerdict::never);
    EXPECT_TRUE(c.chain.empty());
    EXPECT_TRUE(c.unresolved.empty());
    EXPECT_FALSE(has_problem(c.problems, "pe.closure.incomplete"));
}

TEST(ImportClosure, NeverWithUnresolvedDllsSaysTheVerdictIsIncomplete) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"vendor.dll"})));
    const auto c = closure(fs);
    EXPECT_EQ(c.verdict, ConnectVerdict::never);
    EXPECT_EQ(c.unresolved, (std::vector<std::string>{"vendor.dll"}));
    EXPECT_TRUE(has_problem(c.problems, "pe.closure.incomplete"));
}

TEST(ImportClosure, LoopsInTheImportGraphEnd) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"a.dll"})));
    fs.add("app", "a.dll", build(dll({"b.dll", "WORKER.EXE"})));
    fs.add("app", "b.dll", build(dll({"A.DLL", "b.dll"})));
    const auto c = closure(fs);
    EXPECT_EQ(c.verdict, ConnectVerdict::never);
    EXPECT_EQ(c.modules.size(), 3u);
    EXPECT_LE(fs.reads, 3);  // each file read once
}

TEST(ImportClosure, ApiSetsAreReportedNotFollowed) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"api-ms-win-core-synch-l1-2-0.dll", "ext-ms-win-ntuser-window-l1-1-0.dll"})));
    const auto c = closure(fs);
    EXPECT_EQ(c.api_sets.size(), 2u);
    EXPECT_TRUE(c.unresolved.empty());
    EXPECT_TRUE(has_problem(c.problems, "pe.closure.ui_api_set"));  // the ntuser one
    EXPECT_EQ(c.verdict, ConnectVerdict::never);
}

TEST(ImportClosure, DamagedDllIsReportedAndTheRestContinues) {
    FakeFiles fs;
    fs.add("app", "worker.exe", build(dll({"bad.dll", "ok.dll"})));
    fs.add("app", "bad.dll", Bytes{'M', 'Z'});
    fs.add("app", "ok.dll", build(dll({"user32.dll"})));
    const auto c = closure(fs);
    EXPECT_TRUE(has_problem(c.problems, "pe.header.truncated"));
    EXPECT_EQ(c.verdict, ConnectVerdict::connects_at_init);
}

TEST(ImportClosure, ProgramThatIsNotAnImageIsAnError) {
    FakeFiles fs;
    fs.add("app", "worker.exe", Bytes{'#', '!'});
    std::string error;
    EXPECT_FALSE(import_closure("app/worker.exe", fs, {"sys"}, error));
    EXPECT_NE(error.find("DOS header"), std::string::npos) << error;
    EXPECT_FALSE(import_closure("app/missing.exe", fs, {"sys"}, error));
    EXPECT_EQ(error, "no such file");
}

// Real images: the DLLs of the Wine installation. Expected imports are what
// `x86_64-w64-mingw32-objdump -p FILE | grep 'DLL Name'` printed for Wine 8.0 (Debian 12).
std::string wine_dir() {
    if (auto d = safelaunch::env_var("SAFELAUNCH_WINE_DLLS")) return *d;
    return "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows";
}

TEST(WineImages, Shell32ImportsUser32AndConnectsAtInit) {
    const auto dir = wine_dir();
    if (!std::filesystem::exists(dir + "/shell32.dll")) GTEST_SKIP() << "no Wine DLLs in " << dir;
    DiskImageFiles files;
    std::string error;
    const auto c = import_closure(dir + "/shell32.dll", files, {dir}, error);
    ASSERT_TRUE(c) << error;
    EXPECT_EQ(c->image.format, PeFormat::pe32_plus);
    EXPECT_EQ(c->image.machine, kMachineX64);
    EXPECT_EQ(c->image.imports, (std::vector<std::string>{"advapi32.dll", "gdi32.dll", "kernel32.dll", "ntdll.dll",
                                                          "shlwapi.dll", "ucrtbase.dll", "user32.dll"}));
    EXPECT_EQ(c->verdict, ConnectVerdict::connects_at_init);
    EXPECT_EQ(chain_text(*c), "shell32.dll -> gdi32.dll");  // gdi32 is listed first, both connect
}

TEST(WineImages, WinverReachesUser32OnlyThroughItsDlls) {
    const auto dir = wine_dir();
    if (!std::filesystem::exists(dir + "/winver.exe")) GTEST_SKIP() << "no Wine DLLs in " << dir;
    DiskImageFiles files;
    std::string error;
    const auto c = import_closure(dir + "/winver.exe", files, {dir}, error);
    ASSERT_TRUE(c) << error;
    // objdump: winver.exe imports comctl32, kernel32, shell32, ucrtbase; comctl32 imports gdi32 and user32.
    EXPECT_EQ(c->image.imports, (std::vector<std::string>{"comctl32.dll", "kernel32.dll", "shell32.dll", "ucrtbase.dll"}));
    EXPECT_EQ(c->verdict, ConnectVerdict::connects_at_init);
    EXPECT_EQ(chain_text(*c), "winver.exe -> comctl32.dll -> gdi32.dll");
}

TEST(WineImages, Kernel32NeverConnects) {
    const auto dir = wine_dir();
    if (!std::filesystem::exists(dir + "/kernel32.dll")) GTEST_SKIP() << "no Wine DLLs in " << dir;
    DiskImageFiles files;
    std::string error;
    const auto c = import_closure(dir + "/kernel32.dll", files, {dir}, error);
    ASSERT_TRUE(c) << error;
    // objdump: kernel32 imports kernelbase and ntdll; kernelbase imports ntdll.
    EXPECT_EQ(c->image.imports, (std::vector<std::string>{"kernelbase.dll", "ntdll.dll"}));
    EXPECT_EQ(c->verdict, ConnectVerdict::never);
    EXPECT_TRUE(c->unresolved.empty());
}

TEST(WineImages, CaseInsensitiveLookupOnDisk) {
    const auto dir = wine_dir();
    if (!std::filesystem::exists(dir + "/user32.dll")) GTEST_SKIP() << "no Wine DLLs in " << dir;
    DiskImageFiles files;
    const auto p = files.find(dir, "USER32.DLL");
    ASSERT_TRUE(p);
    // Linux: the directory listing gives the file's own spelling; Windows (and Wine) file systems
    // are case-insensitive, so the name as asked is found directly.
    EXPECT_EQ(normalize_dll_name(file_name_of(*p)), "user32.dll");
    EXPECT_FALSE(files.find(dir, "no-such-dll.dll"));
}

}  // namespace
}  // namespace safelaunch
