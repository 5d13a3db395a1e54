/* yaml_jv: ynode -> jv with PyYAML's implicit scalar types. */
#include "project/yaml_jv.h"

jv yaml_to_jv(arena *a, const ynode *n)
{
    if (!n)
        return jv_none();
    switch (n->kind) {
    case YNODE_SCALAR:
        switch (yscalar_resolve(n)) {
        case YSCALAR_NULL:
            return jv_none();
        case YSCALAR_BOOL: {
            bool b = false;
            yscalar_bool(n, &b);
            return jv_bool(b);
        }
        case YSCALAR_INT: {
            int64_t i = 0;
            if (yscalar_int(n, &i))
                return jv_int(i);
            break; /* out of range: keep the text */
        }
        case YSCALAR_FLOAT: {
            double f = 0;
            yscalar_float(n, &f);
            return jv_float(f);
        }
        case YSCALAR_STR:
            break;
        }
        return jv_string_n(a, n->str, n->len);
    case YNODE_SEQ: {
        jv l = jv_list(a);
        for (size_t i = 0; i < n->n; i++)
            jv_list_append(l, yaml_to_jv(a, n->items[i]));
        return l;
    }
    case YNODE_MAP: {
        jv d = jv_dict(a);
        for (size_t i = 0; i < n->n; i++)
            jv_dict_set(d, yaml_to_jv(a, YMAP_KEY(n, i)), yaml_to_jv(a, YMAP_VAL(n, i)));
        return d;
    }
    }
    return jv_none();
}
