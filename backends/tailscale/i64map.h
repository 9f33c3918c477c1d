/*
 * i64map.h - an open-addressing hash table from int64 keys to fixed-size
 * values stored inline: one allocation for 100k peers, not 100k.
 * INT64_MIN and INT64_MIN + 1 are reserved (empty and deleted slots).
 */
#ifndef TSNSS_TS_I64MAP_H
#define TSNSS_TS_I64MAP_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct i64map;

struct i64map *i64map_new(size_t value_size);
void i64map_free(struct i64map *m);
/* The value of key, or NULL. */
void *i64map_get(const struct i64map *m, int64_t key);
/* The value of key, added zeroed if absent (*added = 1); NULL: no memory. */
void *i64map_put(struct i64map *m, int64_t key, int *added);
/* 1 if key was there. */
int i64map_del(struct i64map *m, int64_t key);
size_t i64map_count(const struct i64map *m);
/* Walk: start with *pos = 0; NULL at the end. */
void *i64map_next(const struct i64map *m, size_t *pos, int64_t *key);

#pragma GCC visibility pop

#endif
