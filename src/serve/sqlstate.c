/* sqlstate: the mapping from DuckDB's error types (and, where one type covers
 * several PostgreSQL conditions, its message) to SQLSTATE. */
#include "serve/sqlstate.h"

#include <string.h>
#include <strings.h>

static bool has(const char *msg, const char *word)
{
    return msg && strcasestr(msg, word) != NULL;
}

const char *pg_sqlstate(duckdb_error_type type, const char *msg)
{
    switch (type) {
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX:
        return "42601";
    case DUCKDB_ERROR_CATALOG:
        if (has(msg, "already exists"))
            return has(msg, "schema") ? "42P06" : "42P07";
        if (has(msg, "Schema with name") || has(msg, "schema \""))
            return "3F000";
        if (has(msg, "Function with name") || has(msg, "Macro Function"))
            return "42883";
        if (has(msg, "column"))
            return "42703";
        return "42P01";
    case DUCKDB_ERROR_BINDER:
        if (has(msg, "Referenced column") || (has(msg, "column") && has(msg, "not found")) ||
            has(msg, "does not have a column"))
            return "42703";
        if (has(msg, "Referenced table") || has(msg, "Table with name"))
            return "42P01";
        if (has(msg, "No function matches") || (has(msg, "function") && has(msg, "does not exist")))
            return "42883";
        if (has(msg, "GROUP BY"))
            return "42803";
        if (has(msg, "ambiguous"))
            return "42702";
        return "42804";
    case DUCKDB_ERROR_CONSTRAINT:
        if (has(msg, "NOT NULL"))
            return "23502";
        if (has(msg, "foreign key"))
            return "23503";
        if (has(msg, "CHECK constraint"))
            return "23514";
        if (has(msg, "duplicate key") || has(msg, "unique") || has(msg, "primary key"))
            return "23505";
        return "23000";
    case DUCKDB_ERROR_TRANSACTION:
        if (has(msg, "conflict"))
            return "40001";
        if (has(msg, "aborted"))
            return "25P02";
        if (has(msg, "within a transaction"))
            return "25001";
        if (has(msg, "no transaction"))
            return "25P01";
        if (has(msg, "read-only") || has(msg, "read only"))
            return "25006";
        return "25000";
    case DUCKDB_ERROR_INTERRUPT:
        return "57014";
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
        return "22012";
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_DECIMAL:
        return "22003";
    case DUCKDB_ERROR_CONVERSION:
        return has(msg, "out of range") ? "22003" : "22P02";
    case DUCKDB_ERROR_INVALID_INPUT:
        if (has(msg, "read-only") || has(msg, "read only"))
            return "25006";
        return "22023";
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_INVALID_TYPE:
    case DUCKDB_ERROR_UNKNOWN_TYPE:
        return "42804";
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
        return "0A000";
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_HTTP:
    case DUCKDB_ERROR_NETWORK:
        return "58030";
    case DUCKDB_ERROR_OUT_OF_MEMORY:
        return "53200";
    case DUCKDB_ERROR_PERMISSION:
        return "42501";
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
        return "42P18";
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
        return "42P02";
    case DUCKDB_ERROR_DEPENDENCY:
        return "2BP01";
    case DUCKDB_ERROR_SEQUENCE:
        return "2200H";
    case DUCKDB_ERROR_OBJECT_SIZE:
        return "54000";
    case DUCKDB_ERROR_SETTINGS:
        return "42704";
    case DUCKDB_ERROR_MISSING_EXTENSION:
    case DUCKDB_ERROR_AUTOLOAD:
        return "58P01";
    case DUCKDB_ERROR_EXPRESSION:
    case DUCKDB_ERROR_PLANNER:
    case DUCKDB_ERROR_OPTIMIZER:
        return "42000";
    default:
        if (has(msg, "read-only") || has(msg, "read only"))
            return "25006";
        return "XX000";
    }
}

duckdb_error_type pg_error_type_from_message(const char *msg)
{
    static const struct {
        const char *prefix;
        duckdb_error_type type;
    } prefixes[] = {
        {"Parser Error", DUCKDB_ERROR_PARSER},
        {"Syntax Error", DUCKDB_ERROR_SYNTAX},
        {"Catalog Error", DUCKDB_ERROR_CATALOG},
        {"Binder Error", DUCKDB_ERROR_BINDER},
        {"Conversion Error", DUCKDB_ERROR_CONVERSION},
        {"Constraint Error", DUCKDB_ERROR_CONSTRAINT},
        {"TransactionContext Error", DUCKDB_ERROR_TRANSACTION},
        {"Transaction Error", DUCKDB_ERROR_TRANSACTION},
        {"INTERRUPT Error", DUCKDB_ERROR_INTERRUPT},
        {"Invalid Input Error", DUCKDB_ERROR_INVALID_INPUT},
        {"Not implemented Error", DUCKDB_ERROR_NOT_IMPLEMENTED},
        {"Out of Range Error", DUCKDB_ERROR_OUT_OF_RANGE},
        {"IO Error", DUCKDB_ERROR_IO},
        {"Permission Error", DUCKDB_ERROR_PERMISSION},
        {"Dependency Error", DUCKDB_ERROR_DEPENDENCY},
        {"Mismatch Type Error", DUCKDB_ERROR_MISMATCH_TYPE},
        {"Invalid type Error", DUCKDB_ERROR_INVALID_TYPE},
        {"Parameter Not Resolved Error", DUCKDB_ERROR_PARAMETER_NOT_RESOLVED},
        {"Parameter Not Allowed Error", DUCKDB_ERROR_PARAMETER_NOT_ALLOWED},
        {"Sequence Error", DUCKDB_ERROR_SEQUENCE},
        {"Out of Memory Error", DUCKDB_ERROR_OUT_OF_MEMORY},
        {"Missing Extension Error", DUCKDB_ERROR_MISSING_EXTENSION},
    };
    for (size_t i = 0; msg && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strncasecmp(msg, prefixes[i].prefix, strlen(prefixes[i].prefix)) == 0)
            return prefixes[i].type;
    }
    return DUCKDB_ERROR_INVALID;
}
