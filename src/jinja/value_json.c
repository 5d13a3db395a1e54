/* value_json: JSON text into jv values, through jansson (JSON out is in
 * value.c, beside the other ways a value prints). */
#include "jinja/value.h"

#include <jansson.h>
#include <stdio.h>

static jv from_jansson(arena *a, json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        jv d = jv_dict(a);
        const char *key;
        json_t *value;
        json_object_foreach(j, key, value) jv_dict_set_str(d, key, from_jansson(a, value));
        return d;
    }
    case JSON_ARRAY: {
        jv l = jv_list(a);
        size_t i;
        json_t *value;
        json_array_foreach(j, i, value) jv_list_append(l, from_jansson(a, value));
        return l;
    }
    case JSON_STRING:
        return jv_string_n(a, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return jv_int((int64_t)json_integer_value(j));
    case JSON_REAL:
        return jv_float(json_real_value(j));
    case JSON_TRUE:
        return jv_bool(true);
    case JSON_FALSE:
        return jv_bool(false);
    default:
        return jv_none();
    }
}

bool jv_from_json(arena *a, const char *text, size_t len, jv *out, jv_json_error *e)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        if (e) {
            e->line = jerr.line > 0 ? jerr.line : 1;
            e->col = jerr.column > 0 ? jerr.column : 1;
            snprintf(e->text, sizeof(e->text), "%s", jerr.text);
        }
        return false;
    }
    *out = from_jansson(a, j);
    json_decref(j);
    return true;
}
