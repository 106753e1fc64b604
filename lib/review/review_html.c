/* review: the report as one self-contained HTML page -- inline CSS, inline
 * SVG plots, no script, nothing fetched -- so that it can be mailed, kept as
 * a CI artifact and opened offline.  The verdict comes first. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "review_internal.h"

static const char style[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222;"
	"padding:0 1em}"
	"h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.6em;"
	"border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse;margin:.5em 0;width:100%}"
	"td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}"
	"th{background:#f4f4f4}.mono,pre{font-family:ui-monospace,monospace;font-size:13px}"
	"pre{background:#f7f7f7;padding:.6em;overflow:auto;white-space:pre-wrap}"
	".v{font-weight:bold;padding:.1em .5em;border-radius:4px;white-space:nowrap}"
	".pass{background:#d9f2dc;color:#135c1d}.fail{background:#fbd9d9;color:#8a1010}"
	".error{background:#ffe9c2;color:#7a4b00}.skip{background:#eee;color:#555}"
	".banner{font-size:1.5em;padding:.5em 1em;border-radius:6px;margin:.6em 0}"
	"details summary{cursor:pointer;color:#245}svg{background:#fff;border:1px solid #ddd;"
	"margin:.3em .6em .3em 0}.note{color:#555}";

static const char *cls(const char *status)
{
	if (!strcmp(status, "pass") || !strcmp(status, "warn"))
		return "pass";
	if (!strcmp(status, "fail"))
		return "fail";
	if (!strcmp(status, "error"))
		return "error";
	return "skip";
}

static void badge(rf_buf *o, const char *status, const char *text)
{
	rf_buf_printf(o, "<span class=\"v %s\">", cls(status));
	review_esc_html(o, text ? text : review_label(status));
	rf_buf_puts(o, "</span>");
}

static void cell(rf_buf *o, const char *s)
{
	rf_buf_puts(o, "<td>");
	review_esc_html(o, s);
	rf_buf_puts(o, "</td>");
}

static void kv(rf_buf *o, const char *k, const char *v)
{
	rf_buf_puts(o, "<tr><th>");
	review_esc_html(o, k);
	rf_buf_puts(o, "</th>");
	cell(o, v);
	rf_buf_puts(o, "</tr>\n");
}

/* ------------------------------------------------------------- plots */

static void range(const json_t *series, int axis, double *lo, double *hi)
{
	size_t i;
	json_t *p;
	json_array_foreach(series, i, p)
	{
		double v = json_number_value(json_array_get(p, (size_t)axis));
		if (!isfinite(v))
			continue;
		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
	}
}

/* One line chart: the author's series solid, the re-run's dashed. */
static void plot(rf_buf *o, const char *title, const json_t *author, const json_t *rerun)
{
	const double W = 460, H = 230, L = 52, R = 12, T = 28, B = 36;
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	const json_t *series[2] = {author, rerun};
	static const char *const colour[2] = {"#1f5fb4", "#e07b00"};
	static const char *const dash[2] = {"", " stroke-dasharray=\"6 4\""};
	static const char *const name[2] = {"author", "re-run"};
	range(author, 0, &x0, &x1);
	range(rerun, 0, &x0, &x1);
	range(author, 1, &y0, &y1);
	range(rerun, 1, &y0, &y1);
	rf_buf_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
			 "viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>",
		      W, H, W, H);
	review_esc_html(o, title);
	rf_buf_puts(o, "</title><text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"bold\">");
	review_esc_html(o, title);
	rf_buf_puts(o, "</text>");
	if (!isfinite(x0) || !isfinite(y0)) {
		rf_buf_printf(o, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#777\">no data in "
				 "the log</text></svg>",
			      L, H / 2);
		return;
	}
	if (x1 <= x0)
		x1 = x0 + 1;
	if (y1 <= y0) {
		y0 -= 0.5;
		y1 += 0.5;
	}
	rf_buf_printf(o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>"
			 "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>",
		      L, H - B, W - R, H - B, L, T, L, H - B);
	rf_buf_printf(o, "<g font-size=\"11\" fill=\"#444\"><text x=\"%.0f\" y=\"%.0f\" "
			 "text-anchor=\"end\">%.3g</text><text x=\"%.0f\" y=\"%.0f\" "
			 "text-anchor=\"end\">%.3g</text><text x=\"%.0f\" y=\"%.0f\">%.0f</text>"
			 "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.0f</text>"
			 "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">step</text></g>",
		      L - 4, T + 4, y1, L - 4, H - B, y0, L, H - B + 14, x0, W - R, H - B + 14, x1,
		      (L + W - R) / 2, H - 6);
	for (int s = 0; s < 2; s++) {
		size_t i, n = json_array_size(series[s]);
		json_t *p;
		if (!n)
			continue;
		rf_buf_printf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"",
			      colour[s], s ? "2" : "2.5", dash[s]);
		json_array_foreach(series[s], i, p)
		{
			double x = json_number_value(json_array_get(p, 0));
			double y = json_number_value(json_array_get(p, 1));
			if (!isfinite(x) || !isfinite(y))
				continue;
			rf_buf_printf(o, "%.1f,%.1f ", L + (x - x0) / (x1 - x0) * (W - L - R),
				      H - B - (y - y0) / (y1 - y0) * (H - T - B));
		}
		rf_buf_puts(o, "\"/>");
		rf_buf_printf(o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
				 "stroke-width=\"2\"%s/><text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%s"
				 "</text>",
			      W - R - 120 + s * 62.0, 14.0, W - R - 104 + s * 62.0, 14.0, colour[s], dash[s],
			      W - R - 100 + s * 62.0, 18.0, name[s]);
	}
	rf_buf_puts(o, "</svg>");
}

/* ------------------------------------------------------------ sections */

static void section_summary(rf_buf *o, const json_t *d, int exit)
{
	json_t *s;
	size_t i;
	const char *st = exit == 0 ? "pass" : exit == 1 ? "fail" : "error";
	rf_buf_printf(o, "<div class=\"banner %s\">Verdict: <b>%s</b> &middot; exit %d</div>\n", cls(st),
		      review_str(d, "verdict"), exit);
	if (!json_is_null(json_object_get(d, "error"))) {
		rf_buf_puts(o, "<p><b>Error:</b> ");
		review_esc_html(o, review_str(d, "error"));
		rf_buf_puts(o, "</p>\n");
	}
	rf_buf_puts(o, "<table id=\"verdicts\"><tr><th>stage</th><th>verdict</th><th>what was found</th></tr>\n");
	json_array_foreach(json_object_get(d, "stages"), i, s)
	{
		rf_buf_puts(o, "<tr>");
		cell(o, review_str(s, "name"));
		rf_buf_puts(o, "<td>");
		badge(o, review_str(s, "status"), NULL);
		rf_buf_puts(o, "</td>");
		cell(o, review_str(s, "summary"));
		rf_buf_puts(o, "</tr>\n");
	}
	rf_buf_puts(o, "</table>\n");
}

static void section_bag(rf_buf *o, const json_t *d)
{
	const json_t *bag = json_object_get(d, "bag"), *info = json_object_get(bag, "bag_info");
	const json_t *prov = json_object_get(bag, "provenance"), *sig = json_object_get(bag, "signatures");
	const char *key;
	json_t *v, *p;
	size_t i;
	char num[64];
	rf_buf_puts(o, "<h2 id=\"bundle\">The bundle</h2>\n<table>\n");
	kv(o, "path", review_str(d, "path"));
	kv(o, "kind", review_str(d, "kind"));
	if (json_is_string(json_object_get(bag, "note")))
		kv(o, "note", review_str(bag, "note"));
	if (json_is_integer(json_object_get(bag, "files"))) {
		snprintf(num, sizeof num, "%lld files, %lld bytes",
			 (long long)json_integer_value(json_object_get(bag, "files")),
			 (long long)json_integer_value(json_object_get(bag, "bytes")));
		kv(o, "payload", num);
	}
	json_object_foreach((json_t *)info, key, v) kv(o, key, json_string_value(v));
	if (json_is_object(prov)) {
		kv(o, "git commit", json_is_string(json_object_get(prov, "commit")) ? review_str(prov, "commit")
									   : "(not packed from git)");
		if (json_is_string(json_object_get(prov, "branch")))
			kv(o, "git branch", review_str(prov, "branch"));
		if (json_is_string(json_object_get(prov, "commit_time")))
			kv(o, "committed", review_str(prov, "commit_time"));
		/* Without a commit there is no work tree to compare with. */
		if (json_is_string(json_object_get(prov, "commit"))) {
			snprintf(num, sizeof num, "%s; %lld of %lld files differ from the commit",
				 json_is_true(json_object_get(prov, "dirty")) ? "dirty" : "clean",
				 (long long)json_integer_value(json_object_get(prov, "files_changed")),
				 (long long)json_integer_value(json_object_get(prov, "files")));
			kv(o, "work tree", num);
		}
		json_array_foreach(json_object_get(prov, "remotes"), i, p)
		{
			rf_buf r = RF_BUF_INIT;
			rf_buf_printf(&r, "%s %s", review_str(p, "name"), review_str(p, "url"));
			kv(o, "remote", r.data);
			rf_buf_free(&r);
		}
	}
	rf_buf_puts(o, "</table>\n");
	json_array_foreach(json_object_get(bag, "problems"), i, p)
	{
		rf_buf_puts(o, i ? "" : "<h3>Problems</h3><table><tr><th>kind</th><th>path</th><th>message</th></tr>\n");
		rf_buf_puts(o, "<tr>");
		cell(o, review_str(p, "kind"));
		cell(o, review_str(p, "path"));
		cell(o, review_str(p, "message"));
		rf_buf_puts(o, "</tr>\n");
		if (i + 1 == json_array_size(json_object_get(bag, "problems")))
			rf_buf_puts(o, "</table>\n");
	}
	rf_buf_puts(o, "<h2 id=\"signers\">Signers</h2>\n");
	if (!json_is_object(sig)) {
		rf_buf_puts(o, "<p class=\"note\">No signature check ran (not a bag).</p>\n");
		return;
	}
	if (!json_array_size(json_object_get(sig, "signers"))) {
		rf_buf_puts(o, "<p class=\"note\">The bag is not signed.</p>\n");
		return;
	}
	if (!json_is_true(json_object_get(sig, "checked")))
		rf_buf_puts(o, "<p class=\"note\">Signatures were not checked against trusted keys (no "
			       "--trust given).</p>\n");
	rf_buf_puts(o, "<table><tr><th>key id</th><th>trusted name</th><th>trusted</th></tr>\n");
	json_array_foreach(json_object_get(sig, "signers"), i, p)
	{
		rf_buf_puts(o, "<tr><td class=\"mono\">");
		review_esc_html(o, review_str(p, "keyid"));
		rf_buf_puts(o, "</td>");
		cell(o, json_is_string(json_object_get(p, "name")) ? review_str(p, "name") : "-");
		rf_buf_puts(o, "<td>");
		badge(o, json_is_true(json_object_get(p, "trusted")) ? "pass" : "skipped",
		      json_is_true(json_object_get(p, "trusted")) ? "trusted" : "not trusted");
		rf_buf_puts(o, "</td></tr>\n");
	}
	rf_buf_puts(o, "</table>\n");
}

static void section_claims(rf_buf *o, const json_t *d)
{
	json_t *e, *c, *m;
	size_t i, j;
	rf_buf_puts(o, "<h2 id=\"claims\">Claims</h2>\n");
	if (!json_array_size(json_object_get(d, "claims")))
		rf_buf_puts(o, "<p class=\"note\">No claims were checked.</p>\n");
	json_array_foreach(json_object_get(d, "claims"), i, e)
	{
		rf_buf_puts(o, "<h3>");
		review_esc_html(o, review_str(e, "folder"));
		rf_buf_puts(o, " ");
		badge(o, review_str(e, "status"), NULL);
		rf_buf_puts(o, "</h3>\n");
		if (json_object_get(e, "error")) {
			rf_buf_puts(o, "<pre>");
			review_esc_html(o, review_str(e, "error"));
			rf_buf_puts(o, "</pre>\n");
			continue;
		}
		rf_buf_puts(o, "<table><tr><th>claim</th><th>claimed</th><th>derived</th><th>verdict</th>"
			       "<th>why, and the derivation</th></tr>\n");
		json_array_foreach(json_object_get(e, "claims"), j, c)
		{
			rf_buf_puts(o, "<tr>");
			cell(o, review_str(c, "claim"));
			cell(o, review_str(c, "claimed"));
			cell(o, review_str(c, "derived"));
			rf_buf_puts(o, "<td>");
			badge(o, review_str(c, "status"), review_str(c, "verdict"));
			rf_buf_puts(o, "</td><td>");
			review_esc_html(o, review_str(c, "reason"));
			rf_buf_puts(o, "<details><summary>derivation</summary><pre>");
			review_esc_html(o, review_str(c, "details"));
			rf_buf_puts(o, "</pre></details></td></tr>\n");
		}
		rf_buf_puts(o, "</table>\n");
	}
	if (!json_array_size(json_object_get(d, "rescore")))
		return;
	rf_buf_puts(o, "<h2 id=\"rescore\">Re-scoring</h2>\n<table><tr><th>claim</th><th>metric</th><th>value</th>"
		       "<th>95% CI (bootstrap)</th><th>problems</th><th>claimed</th><th>verdict</th></tr>\n");
	json_array_foreach(json_object_get(d, "rescore"), i, m)
	{
		char v[64], ci[96], n[32];
		const char *u = review_str(m, "unit");
		snprintf(v, sizeof v, "%.4g%s", json_number_value(json_object_get(m, "value")), u);
		snprintf(ci, sizeof ci, "[%.4g%s, %.4g%s]",
			 json_number_value(json_array_get(json_object_get(m, "ci95"), 0)), u,
			 json_number_value(json_array_get(json_object_get(m, "ci95"), 1)), u);
		snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(m, "problems")));
		rf_buf_puts(o, "<tr>");
		cell(o, review_str(m, "claim"));
		cell(o, review_str(m, "metric"));
		cell(o, v);
		cell(o, ci);
		cell(o, n);
		cell(o, review_str(m, "claimed"));
		cell(o, review_str(m, "verdict"));
		rf_buf_puts(o, "</tr>\n");
	}
	rf_buf_puts(o, "</table>\n");
}

static void section_replays(rf_buf *o, const json_t *d)
{
	json_t *e;
	size_t i;
	rf_buf_puts(o, "<h2 id=\"replays\">Replays</h2>\n");
	if (!json_array_size(json_object_get(d, "replays")))
		rf_buf_puts(o, "<p class=\"note\">The bundle holds no replay.</p>\n");
	json_array_foreach(json_object_get(d, "replays"), i, e)
	{
		const json_t *a = json_object_get(e, "author"), *r = json_object_get(e, "rerun");
		rf_buf_puts(o, "<h3>");
		review_esc_html(o, review_str(e, "dir"));
		rf_buf_puts(o, " ");
		badge(o, review_str(e, "status"), NULL);
		rf_buf_puts(o, "</h3>\n<p>");
		review_esc_html(o, review_str(e, "reason"));
		rf_buf_puts(o, "</p>\n<div>");
		plot(o, "reward (GRPO batch mean) by step", json_object_get(a, "reward"),
		     json_object_get(r, "reward"));
		plot(o, "held-out accuracy by step", json_object_get(a, "accuracy"),
		     json_object_get(r, "accuracy"));
		rf_buf_puts(o, "</div>\n");
		if (!r)
			rf_buf_puts(o, "<p class=\"note\">Only the author's curves: the replay was not re-run "
				       "to completion.</p>\n");
	}
}

static void section_audits(rf_buf *o, const json_t *d)
{
	json_t *e;
	size_t i;
	rf_buf_puts(o, "<h2 id=\"audits\">GRPO audits</h2>\n");
	if (!json_array_size(json_object_get(d, "audits"))) {
		rf_buf_puts(o, "<p class=\"note\">The bundle holds no logged GRPO batch.</p>\n");
		return;
	}
	rf_buf_puts(o, "<table><tr><th>batch</th><th>verdict</th><th>figures</th><th>samples</th>"
		       "<th>why</th></tr>\n");
	json_array_foreach(json_object_get(d, "audits"), i, e)
	{
		char n[32], s[32];
		snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(e, "figures")));
		snprintf(s, sizeof s, "%lld", (long long)json_integer_value(json_object_get(e, "samples")));
		rf_buf_puts(o, "<tr>");
		cell(o, review_str(e, "file"));
		rf_buf_puts(o, "<td>");
		badge(o, review_str(e, "status"), NULL);
		rf_buf_puts(o, "</td>");
		cell(o, n);
		cell(o, s);
		cell(o, review_str(e, "reason"));
		rf_buf_puts(o, "</tr>\n");
	}
	rf_buf_puts(o, "</table>\n");
}

static void section_env(rf_buf *o, const json_t *d)
{
	const json_t *env = json_object_get(d, "environment");
	json_t *e;
	size_t i;
	if (json_array_size(json_object_get(d, "not_manifests"))) {
		rf_buf_puts(o, "<h2>Not manifests</h2>\n<p class=\"note\">YAML without a referee "
			       "<code>kind:</code> (a framework's own config): packed and hashed, not "
			       "checked.</p><ul>\n");
		json_array_foreach(json_object_get(d, "not_manifests"), i, e)
		{
			rf_buf_puts(o, "<li class=\"mono\">");
			review_esc_html(o, json_string_value(e));
			rf_buf_puts(o, "</li>\n");
		}
		rf_buf_puts(o, "</ul>\n");
	}
	rf_buf_puts(o, "<h2 id=\"environment\">Reviewer's environment</h2>\n<table>\n");
	kv(o, "referee", review_str(env, "referee_version"));
	rf_buf_puts(o, "</table>\n");
	if (json_is_string(json_object_get(env, "hw"))) {
		rf_buf_puts(o, "<details><summary>hw capture (this machine)</summary><pre>");
		review_esc_html(o, review_str(env, "hw"));
		rf_buf_puts(o, "</pre></details>\n");
	}
}

int review_render_html(rf_buf *o, const rf_review *r)
{
	const json_t *d = r->doc;
	rf_buf_printf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			 "<meta name=\"viewport\" content=\"width=device-width\">"
			 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			 "style-src 'unsafe-inline'; img-src data:\">"
			 "<title>referee review: %s</title><style>%s</style></head><body>\n",
		      review_str(d, "verdict"), style);
	rf_buf_puts(o, "<h1>referee review</h1>\n<p class=\"mono\">");
	review_esc_html(o, review_str(d, "path"));
	rf_buf_puts(o, "</p>\n");
	section_summary(o, d, r->exit);
	section_bag(o, d);
	section_claims(o, d);
	section_replays(o, d);
	section_audits(o, d);
	section_env(o, d);
	return rf_buf_puts(o, "</body></html>\n");
}
