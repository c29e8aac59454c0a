#include "safelaunch/command_line.hpp"

#include "safelaunch/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace safelaunch {
namespace {

struct QuoteCase {
    std::string arg;
    std::string quoted;
};

TEST(CommandLine, QuotesArgumentsByTheMsvcrtRules) {
    const std::vector<QuoteCase> table = {
        {"plain", "plain"},
        {"", "\"\""},                                      // empty must survive as an argument
        {"a b", "\"a b\""},
        {"a\tb", "\"a\tb\""},                              // tab separates like space
        {"a\"b", "\"a\\\"b\""},                            // embedded quote escaped
        {"a\\b", "a\\b"},                                  // backslash not before a quote: literal
        {"C:\\Program Files\\", "\"C:\\Program Files\\\\\""},  // trailing backslash doubled before the closing quote
        {"a\\\"b", "\"a\\\\\\\"b\""},                      // \" → \\\" : backslash doubled, quote escaped
        {"\\\\server\\share\\", "\\\\server\\share\\"},    // no space: untouched, backslashes literal
        {"Grüße 日本", "\"Grüße 日本\""},                   // UTF-8 passes through
        {"line\nbreak", "\"line\nbreak\""},
    };
    for (const auto& c : table) EXPECT_EQ(quote_argument(c.arg), c.quoted) << "arg: [" << c.arg << "]";
}

TEST(CommandLine, QuotesProgramOnlyWhenNeededAndRejectsQuotes) {
    EXPECT_EQ(quote_program("C:\\Windows\\notepad.exe"), "C:\\Windows\\notepad.exe");
    EXPECT_EQ(quote_program("C:\\Program Files\\x.exe"), "\"C:\\Program Files\\x.exe\"");
    // No escaping in argv[0]: a trailing backslash stays single inside the quotes.
    EXPECT_EQ(quote_program("C:\\dir with space\\"), "\"C:\\dir with space\\\"");
    EXPECT_EQ(quote_program(""), "\"\"");
    EXPECT_EQ(quote_program("a\"b"), std::nullopt);
}

TEST(CommandLine, BuildFailsWithInvalidNameForQuoteInProgram) {
    std::error_code ec;
    EXPECT_EQ(build_command_line("bad\"name.exe", {"x"}, ec), "");
    EXPECT_EQ(ec, make_win32_error(123));
    EXPECT_THROW((void)build_command_line("bad\"name.exe", {"x"}), Error);
}

TEST(CommandLine, BuildsProgramThenQuotedArguments) {
    EXPECT_EQ(build_command_line("C:\\Program Files\\app.exe", {"-x", "two words", "", "end\\"}),
              "\"C:\\Program Files\\app.exe\" -x \"two words\" \"\" end\\");
    EXPECT_EQ(build_command_line("app.exe", {}), "app.exe");
}

struct ParseCase {
    std::string line;
    std::vector<std::string> argv;
};

TEST(CommandLine, ParsesLikeCommandLineToArgvW) {
    const std::vector<ParseCase> table = {
        // The examples table of Microsoft Learn "Parsing C++ command-line arguments" (argv[1..]).
        {R"(p "a b c" d e)", {"p", "a b c", "d", "e"}},
        {R"(p "ab\"c" "\\" d)", {"p", "ab\"c", "\\", "d"}},
        {R"(p a\\\b d"e f"g h)", {"p", R"(a\\\b)", "de fg", "h"}},
        {R"(p a\\\"b c d)", {"p", R"(a\"b)", "c", "d"}},
        {R"(p a\\\\"b c" d e)", {"p", R"(a\\b c)", "d", "e"}},
        {R"(p a"b"" c d)", {"p", "ab\" c d"}},  // the VC 2008+ "" rule: quote, still quoted
        // Program-name rule: ends at the next quote, no escapes.
        {R"("C:\Program Files\x.exe" -a)", {R"(C:\Program Files\x.exe)", "-a"}},
        {R"("a b"c d)", {"a b", "c", "d"}},
        {R"(x\"y z)", {R"(x\"y)", "z"}},
        {" lead", {"", "lead"}},  // leading blank: empty program name
        {"p\t\tq  ", {"p", "q"}},  // runs of blanks, trailing blanks
        {R"(p "")", {"p", ""}},
        {R"(p "unterminated arg)", {"p", "unterminated arg"}},
        {R"("unterminated program)", {"unterminated program"}},
        {"", {}},
    };
    for (const auto& c : table) EXPECT_EQ(parse_command_line(c.line), c.argv) << "line: [" << c.line << "]";
}

TEST(CommandLine, RoundTripsTrickyArguments) {
    const std::vector<std::string> args = {
        "",          "a b",     "a\tb",        "\\",           "\\\\",          "trailing\\",
        "\\\"",      "\"",      "\"\"",        "a\\\\\"b",     "C:\\Program Files\\",
        "Grüße",     "日本語 テキスト", "x=\"1 2\"", "--opt=\\\\srv\\share\\", "tab\t\"\\",
    };
    const std::string program = "C:\\Program Files\\safelaunch\\child report.exe";
    const auto argv = parse_command_line(build_command_line(program, args));
    ASSERT_EQ(argv.size(), args.size() + 1);
    EXPECT_EQ(argv[0], program);
    for (std::size_t i = 0; i < args.size(); ++i) EXPECT_EQ(argv[i + 1], args[i]) << "arg " << i;
}

}  // namespace
}  // namespace safelaunch
