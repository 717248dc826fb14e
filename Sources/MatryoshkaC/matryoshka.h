/* The C ABI of the Matryoshka library (libmatryoshka.so, built by scripts/build-python-library).
 *
 * Conventions: every function that can fail returns a status, 0 done, 1 an error, 2 stopped by mtr_task_cancel, and
 * sets *error to the library's message (free it with mtr_free; NULL on success). Arrays are float32 in C (row-major)
 * order, owned by the caller, read or written in place; `out` arrays are allocated by the caller with the sizes
 * given. Handles are opaque, freed once by their mtr_*_free. `threads` 0 means every core; results are identical for
 * any count. No argument from the caller traps: each is checked first. Handles may be used from several threads at
 * once; a handle must not be freed while a call uses it. */
#ifndef MATRYOSHKA_H
#define MATRYOSHKA_H
#include <stdint.h>

typedef struct mtr_model mtr_model;   /* an adaptor model */
typedef struct mtr_index mtr_index;   /* a corpus embedded at size m, searched exactly or by the funnel */
typedef struct mtr_task mtr_task;     /* a long call's progress callback and cancellation flag */

/* done and total units and a line of text; total 0: a message to show, total -1: a transient status line (replaced
 * by the next). Called on the calling thread or a worker. */
typedef void (*mtr_progress)(void *context, int64_t done, int64_t total, const char *line);

int32_t mtr_abi_version(void);                    /* 1 */
const char *mtr_library_version(void);            /* static, not freed */
void mtr_free(char *string);
int64_t mtr_available_cores(void);

mtr_task *mtr_task_new(mtr_progress callback, void *context);
void mtr_task_cancel(mtr_task *task);             /* from any thread; the call returns 2 and writes nothing */
void mtr_task_free(mtr_task *task);

int32_t mtr_model_load(const char *path, mtr_model **model, char **error);
int32_t mtr_model_save(mtr_model *model, const char *path, char **error);       /* atomic; fit's bytes */
int32_t mtr_model_info(mtr_model *model, char **json, char **error);
void mtr_model_free(mtr_model *model);

/* out: rows x width, width = dimension, or D for dimension 0 (the transformed vectors, not normalised); model NULL:
 * truncation. mtr_transform_width gives width. */
int32_t mtr_transform_width(mtr_model *model, int64_t columns, int64_t dimension, int64_t *width, char **error);
int32_t mtr_transform(mtr_model *model, const float *x, int64_t rows, int64_t columns, int64_t dimension, float *out,
                      int64_t threads, mtr_task *task, char **error);

/* Codes of the size-m embedding (what `matryoshka apply --precision` writes): precision is float32, float16, int8,
 * int4, int2 or binary; *dtype the numpy type of the rows (<f4, <f2, |i1, |u1; free with mtr_free). out: rows x
 * columns of that type. Codes below 16 bits use the calibration stored in the model. */
int32_t mtr_code_layout(const char *precision, int64_t dimension, int64_t *columns, char **dtype, char **error);
int32_t mtr_encode(mtr_model *model, const float *x, int64_t rows, int64_t columns, int64_t dimension,
                   const char *precision, void *out, int64_t threads, mtr_task *task, char **error);

/* options_json: {"name": "value"} with the names of the command line's fit flags (FitOptions.set);
 * judgements_json (supervised): {"corpus_ids": [...], "query_ids": [...], "qrels": [[query, document, grade], ...]}.
 * *report: {"stages": [...], "fidelity": {...}} (free with mtr_free). */
int32_t mtr_fit(const char *options_json, const float *corpus, int64_t rows, int64_t columns, const float *queries,
                int64_t query_rows, const char *judgements_json, mtr_model **model, char **report, int64_t threads,
                mtr_task *task, char **error);

/* shortlist_dimension 0: exact search. */
int32_t mtr_index_new(mtr_model *model, const float *corpus, int64_t rows, int64_t columns, int64_t dimension,
                      int64_t shortlist_dimension, int64_t shortlist_size, mtr_index **index, int64_t threads,
                      mtr_task *task, char **error);
void mtr_index_shape(mtr_index *index, int64_t *count, int64_t *input_dimension, int64_t *dimension);
/* ids and scores: rows x k; 1 <= k <= the corpus size. */
int32_t mtr_index_search(mtr_index *index, const float *queries, int64_t rows, int64_t columns, int64_t k, int64_t *ids,
                         float *scores, int64_t threads, mtr_task *task, char **error);
void mtr_index_free(mtr_index *index);

/* *report: the JSON of `matryoshka evaluate --json`. settings_json: {"dims", "neighbour_sample", "reference",
 * "shortlist_dimension", "shortlist_size", "per_query", "name", "method", "precision" (a list), "scoring",
 * "rescore", "keep"}, each optional. */
int32_t mtr_evaluate(mtr_model *model, const float *corpus, int64_t rows, int64_t columns, const float *queries,
                     int64_t query_rows, const char *judgements_json, const char *settings_json, char **report,
                     int64_t threads, mtr_task *task, char **error);

#endif
