/* referee — the readers of the output formats rescore understands (internal
 * to lib/rescore): one file per format behind this interface.  A reader
 * turns one JSON line of its tool's output into a record of one problem's
 * (or one sample's) completions, reference and per-sample notes. */
#ifndef REFEREE_RESCORE_FORMAT_H
#define REFEREE_RESCORE_FORMAT_H

#include <stddef.h>

#include <jansson.h>

#include "referee/rescore.h"

/* One line, read.  The json_t pointers are borrowed from the line's JSON
 * (or owned by `keep`, released with the record). */
struct rs_record {
	json_t *id;          /* string or number; NULL: none (one problem a line) */
	json_t *completions; /* a string, or an array of strings */
	json_t *answer;      /* the reference; NULL when the format has none */
	json_t *numbers;     /* countdown's numbers, or NULL */
	json_t *truncated;   /* NULL, true/false, or an array of them (one
				per completion): cut off at the length limit */
	json_t *keep;        /* owned values the record points into, or NULL */
	int group;           /* 1: `completions` are all of a problem's samples */
	char note[200];      /* said for every sample of the line ("" none) */
	char no_answer[200]; /* why `answer` is NULL, for the error message */
	char id_field[32], completion_field[32]; /* names, for messages */
};

struct rs_format {
	const char *name; /* value of --format */
	const char *tool; /* the tool that writes it, for --help and the README */
	/* 1 when the first line looks like this format (never for jsonl) */
	int (*detect)(json_t *first);
	/* fill `rec` from the line `root`; 0, or RF_EFORMAT with `err` set */
	int (*read)(json_t *root, const rf_rescore_fields *map,
		    struct rs_record *rec, char *err, size_t errlen);
};

extern const struct rs_format rs_format_jsonl;
extern const struct rs_format rs_format_qwen;
extern const struct rs_format rs_format_verl;
extern const struct rs_format rs_format_lmeval;
extern const struct rs_format rs_format_openai;
extern const struct rs_format rs_format_vllm;

/* The format called `name`, or NULL. */
const struct rs_format *rs_format_find(const char *name);

/* The format of a file whose first line is `first`: the one reader that
 * recognises it, jsonl when none does; NULL with `err` naming the
 * candidates when several do. */
const struct rs_format *rs_format_detect(json_t *first, char *err,
					 size_t errlen);

/* Helpers for readers: the value at a dotted path, and a default field. */
json_t *rs_json_path(json_t *obj, const char *path);

/* Shared by the chat readers: the items of root[list] (choices[],
 * outputs[]) as completions, each text at the dotted path `text`, and
 * their finish_reason "length" as truncation; and the reference found by
 * --map answer= or among the generic answer fields. */
int rs_read_choices(json_t *root, const char *list, const char *text,
		    struct rs_record *rec, char *err, size_t errlen);
int rs_read_reference(json_t *root, const rf_rescore_fields *map,
		      struct rs_record *rec);

/* Release what the record owns and clear it. */
void rs_record_clear(struct rs_record *rec);

#endif
