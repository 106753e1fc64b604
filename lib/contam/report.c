/* The contamination report, text or JSON.  Written from the merged results
 * only (never from timings or thread and rank counts), so a run over many
 * MPI ranks prints the same bytes as one process. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "contam_internal.h"
#include "referee/error.h"

static const char norm_doc[] =
    "NFKC + case fold; LaTeX spacing commands dropped; punctuation and "
    "white space only separate words";

/* Hostile text (ids, file names) for a terminal: control bytes escaped,
 * at most `max` bytes shown. */
static int put_safe(rf_buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	int rc = 0;
	for (size_t i = 0; !rc && i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			rc = rf_buf_printf(b, "\\x%02x", c);
		else
			rc = rf_buf_append(b, &s[i], 1);
	}
	if (!rc && n > max)
		rc = rf_buf_puts(b, "...");
	return rc;
}

static double share(const rf_contam_item *it)
{
	return it->ngrams ? 100.0 * (double)it->found / (double)it->ngrams : 0;
}

static int report_text(rf_buf *b, const rf_contam_scan *s,
		       const rf_contam_index *ix, const char *const *files,
		       size_t nfiles, int all)
{
	rf_contam_file_stats tot = {0};
	size_t total_over = 0;
	int rc = 0;
	for (size_t f = 0; f < nfiles; f++) {
		rf_contam_file_stats st;
		rf_contam_scan_file_stats(s, f, &st);
		tot.bytes += st.bytes;
		tot.lines += st.lines;
		tot.words += st.words;
	}
	rc |= rf_buf_printf(b,
			    "contamination: %d-gram overlap of %zu benchmark "
			    "items with %zu corpus file%s (%llu bytes, %llu "
			    "words)\nnormalisation: %s\n",
			    ix->n, ix->nitems, nfiles, nfiles == 1 ? "" : "s",
			    (unsigned long long)tot.bytes,
			    (unsigned long long)tot.words, norm_doc);
	for (size_t bn = 0; bn < ix->nbenches; bn++) {
		size_t items = 0, over = 0, shorter = 0;
		for (size_t i = 0; i < ix->nitems; i++) {
			rf_contam_item it;
			if (ix->items[i].bench != bn)
				continue;
			rf_contam_scan_item(s, i, &it);
			items++;
			over += it.longest > 0;
			shorter += it.ngrams == 0;
		}
		total_over += over;
		rc |= rf_buf_puts(b, "\n");
		rc |= put_safe(b, ix->benches[bn], 200);
		rc |= rf_buf_printf(b, ": %zu of %zu items overlap", over,
				    items);
		if (shorter)
			rc |= rf_buf_printf(b,
					    " (%zu shorter than %d words "
					    "cannot)",
					    shorter, ix->n);
		rc |= rf_buf_puts(b, "\n");
		for (size_t i = 0; i < ix->nitems; i++) {
			rf_contam_item it;
			if (ix->items[i].bench != bn)
				continue;
			rf_contam_scan_item(s, i, &it);
			if (!it.longest && !all)
				continue;
			rc |= rf_buf_puts(b, it.longest ? "  OVERLAP  "
							: "  clean    ");
			rc |= put_safe(b, it.id, 80);
			rc |= rf_buf_printf(b, "  %zu/%zu n-grams (%.1f%%)",
					    it.found, it.ngrams, share(&it));
			if (it.longest) {
				rc |= rf_buf_printf(
				    b, "  longest %zu of %zu words at ",
				    it.longest, it.words);
				rc |= put_safe(b,
					       it.file_index < nfiles
						   ? files[it.file_index]
						   : "?",
					       400);
				rc |= rf_buf_printf(b, ":%llu",
						    (unsigned long long)it.line);
			}
			rc |= rf_buf_puts(b, "\n");
		}
	}
	rc |= rf_buf_puts(b, "\ncorpus:\n");
	for (size_t f = 0; f < nfiles; f++) {
		rf_contam_file_stats st;
		rf_contam_scan_file_stats(s, f, &st);
		rc |= rf_buf_puts(b, "  ");
		rc |= put_safe(b, files[f], 400);
		rc |= rf_buf_printf(b, "  %llu bytes, %llu lines, %llu words\n",
				    (unsigned long long)st.bytes,
				    (unsigned long long)st.lines,
				    (unsigned long long)st.words);
	}
	rc |= rf_buf_printf(b, "total: %zu of %zu items overlap\n", total_over,
			    ix->nitems);
	return rc ? rf_error_set(RF_ENOMEM, "out of memory") : 0;
}

static json_t *jstr(const char *s)
{
	/* ids come from files: keep them even when they are not UTF-8 */
	json_t *v = json_string(s);
	return v ? v : json_stringn_nocheck(s, strlen(s));
}

static int report_json(rf_buf *b, const rf_contam_scan *s,
		       const rf_contam_index *ix, const char *const *files,
		       size_t nfiles)
{
	json_t *root = json_object(), *corpus = json_array(),
	       *benches = json_array();
	size_t total_over = 0;
	char *txt;
	int rc = 0;
	if (!root || !corpus || !benches)
		goto oom;
	json_object_set_new(root, "n", json_integer(ix->n));
	json_object_set_new(root, "normalisation", json_string(norm_doc));
	for (size_t f = 0; f < nfiles; f++) {
		rf_contam_file_stats st;
		rf_contam_scan_file_stats(s, f, &st);
		json_array_append_new(
		    corpus, json_pack("{s:o,s:I,s:I,s:I}", "file",
				      jstr(files[f]), "bytes",
				      (json_int_t)st.bytes, "lines",
				      (json_int_t)st.lines, "words",
				      (json_int_t)st.words));
	}
	for (size_t bn = 0; bn < ix->nbenches; bn++) {
		json_t *items = json_array(), *bo;
		size_t count = 0, over = 0;
		for (size_t i = 0; i < ix->nitems; i++) {
			rf_contam_item it;
			json_t *o;
			if (ix->items[i].bench != bn)
				continue;
			rf_contam_scan_item(s, i, &it);
			count++;
			over += it.longest > 0;
			o = json_pack("{s:o,s:b,s:I,s:I,s:I,s:f}", "id",
				      jstr(it.id), "overlaps", it.longest > 0,
				      "words", (json_int_t)it.words, "ngrams",
				      (json_int_t)it.ngrams, "found",
				      (json_int_t)it.found, "share",
				      it.ngrams ? (double)it.found /
						      (double)it.ngrams
						: 0.0);
			if (o && it.longest)
				json_object_set_new(
				    o, "longest",
				    json_pack("{s:I,s:I,s:o,s:I}", "words",
					      (json_int_t)it.longest,
					      "item_word",
					      (json_int_t)it.longest_pos,
					      "file",
					      jstr(it.file_index < nfiles
						       ? files[it.file_index]
						       : "?"),
					      "line", (json_int_t)it.line));
			if (!o || json_array_append_new(items, o))
				rc = -1;
		}
		total_over += over;
		bo = json_pack("{s:o,s:I,s:I,s:o}", "name",
			       jstr(ix->benches[bn]), "items",
			       (json_int_t)count, "overlapping",
			       (json_int_t)over, "results", items);
		if (!bo || json_array_append_new(benches, bo))
			rc = -1;
	}
	json_object_set_new(root, "corpus", corpus);
	json_object_set_new(root, "benchmarks", benches);
	json_object_set_new(root, "items", json_integer((json_int_t)ix->nitems));
	json_object_set_new(root, "overlapping",
			    json_integer((json_int_t)total_over));
	if (rc || !(txt = json_dumps(root, JSON_INDENT(2) |
						   JSON_PRESERVE_ORDER)))
		goto oom_root;
	rc = rf_buf_puts(b, txt);
	rc = rc ? rc : rf_buf_puts(b, "\n");
	free(txt);
	json_decref(root);
	return rc;
oom:
	json_decref(corpus);
	json_decref(benches);
oom_root:
	json_decref(root);
	return rf_error_set(RF_ENOMEM, "out of memory");
}

int rf_contam_report(rf_buf *out, const rf_contam_scan *s,
		     const char *const *files, size_t nfiles, int flags)
{
	const rf_contam_index *ix = contam_scan_index(s);
	if (flags & RF_CONTAM_REPORT_JSON)
		return report_json(out, s, ix, files, nfiles);
	return report_text(out, s, ix, files, nfiles,
			   flags & RF_CONTAM_REPORT_ALL);
}
