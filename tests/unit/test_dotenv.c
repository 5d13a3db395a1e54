/* Unit tests for .env parsing and loading (util/dotenv). */
#include "check.h"
#include "util/dotenv.h"

#include <stdlib.h>
#include <unistd.h>

static const char *value_of(const dotenv *env, const char *key)
{
    for (size_t i = 0; i < env->n; i++) {
        if (strcmp(env->entries[i].key, key) == 0)
            return env->entries[i].value;
    }
    return NULL;
}

static bool parse(const char *text, dotenv *env, mlerr *err)
{
    return dotenv_parse("test.env", text, strlen(text), env, err);
}

TEST(plain_quoted_export_comments)
{
    const char *text = "# a comment\n"
                       "\n"
                       "A=1\n"
                       "export B = two words  \n"
                       "C='single $A # kept'\n"
                       "D=\"double\\n\\\"q\\\" ${A}\"\n"
                       "E=value # trailing comment\n"
                       "F=no#comment\n"
                       "G=\n"
                       "   H=indented\n";
    dotenv env;
    mlerr err = MLERR_INIT;
    CHECK(parse(text, &env, &err));
    CHECK_STR(value_of(&env, "A"), "1");
    CHECK_STR(value_of(&env, "B"), "two words");
    CHECK_STR(value_of(&env, "C"), "single $A # kept");
    CHECK_STR(value_of(&env, "D"), "double\n\"q\" 1");
    CHECK_STR(value_of(&env, "E"), "value");
    CHECK_STR(value_of(&env, "F"), "no#comment");
    CHECK_STR(value_of(&env, "G"), "");
    CHECK_STR(value_of(&env, "H"), "indented");
    CHECK(env.n == 8);
    CHECK(env.entries[7].line == 10);
    dotenv_free(&env);
    mlerr_clear(&err);
}

TEST(expansion_with_default)
{
    unsetenv("MALLARD_TEST_UNSET");
    setenv("MALLARD_TEST_SET", "from-env", 1);
    dotenv env;
    mlerr err = MLERR_INIT;
    CHECK(
        parse("X=${MALLARD_TEST_UNSET:-fallback}/${MALLARD_TEST_SET}\nY=\"$plain\"\n", &env, &err));
    CHECK_STR(value_of(&env, "X"), "fallback/from-env");
    CHECK_STR(value_of(&env, "Y"), "$plain");
    dotenv_free(&env);
}

TEST(errors_name_file_line_and_column)
{
    dotenv env;
    mlerr err = MLERR_INIT;
    CHECK(!parse("A=1\nthis line is wrong\n", &env, &err));
    CHECK_CONTAINS(mlerr_message(&err), "test.env:2:6: expected '=' after 'this'");
    CHECK(err.exit_code == EXIT_SETUP);
    mlerr_clear(&err);

    CHECK(!parse("A=1\n\nB=\"open\n", &env, &err));
    CHECK_CONTAINS(mlerr_message(&err), "test.env:3:3: unterminated double-quoted value");
    mlerr_clear(&err);

    CHECK(!parse("A='x\n", &env, &err));
    CHECK_CONTAINS(mlerr_message(&err), "test.env:1:3: unterminated single-quoted value");
    mlerr_clear(&err);

    CHECK(!parse("1A=x\n", &env, &err));
    CHECK_CONTAINS(mlerr_message(&err), "test.env:1:1: expected a variable name");
    mlerr_clear(&err);

    CHECK(!parse("A='x' y\n", &env, &err));
    CHECK_CONTAINS(mlerr_message(&err), "test.env:1:7: unexpected text after the closing quote");
    mlerr_clear(&err);

    CHECK(!parse("A=${UNCLOSED\n", &env, &err));
    CHECK_CONTAINS(mlerr_message(&err), "test.env:1:3: malformed variable reference");
    mlerr_clear(&err);
}

TEST(process_environment_wins)
{
    char path[] = "/tmp/mallard-dotenv-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "MALLARD_TEST_KEEP=file\nMALLARD_TEST_NEW=file\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("MALLARD_TEST_KEEP", "process", 1);
    unsetenv("MALLARD_TEST_NEW");
    bool found = false;
    mlerr err = MLERR_INIT;
    CHECK(dotenv_load(path, &found, &err));
    CHECK(found);
    CHECK_STR(getenv("MALLARD_TEST_KEEP"), "process");
    CHECK_STR(getenv("MALLARD_TEST_NEW"), "file");
    unlink(path);
    CHECK(dotenv_load(path, &found, &err));
    CHECK(!found);
}

int main(void)
{
    RUN(plain_quoted_export_comments);
    RUN(expansion_with_default);
    RUN(errors_name_file_line_and_column);
    RUN(process_environment_wins);
    return CHECK_DONE();
}
