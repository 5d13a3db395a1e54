/* uuid: random (version 4) UUIDs, dbt's invocation_id. */
#ifndef MALLARD_UTIL_UUID_H
#define MALLARD_UTIL_UUID_H

/* Writes "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" and a NUL into out. */
void uuid4_string(char out[37]);

#endif
