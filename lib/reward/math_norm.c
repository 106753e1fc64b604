/* The `math` reward's answer normalisation: LaTeX and Unicode spellings
 * brought to one form before math_parse.c reads it (\left/\right, \dfrac,
 * \text{}, units, degrees, thousands separators, percent, trailing
 * periods). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "referee/error.h"
#include "reward/math_expr.h"

/* --------------------------------------------------------- normalisation */

/* Units and unit-like words dropped from the end of an answer or from a
 * \text{} group: "5 cm", "90^\circ", "\$6", "10\text{ inches}". */
static const char *const unit_words[] = {
    "cm",	 "mm",	       "km",	     "m",	    "meter",
    "meters",	 "metre",      "metres",     "centimeter",  "centimeters",
    "kilometer", "kilometers", "millimeter", "millimeters", "inch",
    "inches",	 "in",	       "ft",	     "foot",	    "feet",
    "yard",	 "yards",      "yd",	     "mile",	    "miles",
    "mi",	 "mph",	       "kph",	     "kg",	    "g",
    "gram",	 "grams",      "kilogram",   "kilograms",   "mg",
    "lb",	 "lbs",	       "pound",	     "pounds",	    "ounce",
    "ounces",	 "oz",	       "s",	     "sec",	    "second",
    "seconds",	 "min",	       "minute",     "minutes",	    "h",
    "hr",	 "hrs",	       "hour",	     "hours",	    "day",
    "days",	 "week",       "weeks",	     "month",	    "months",
    "year",	 "years",      "yr",	     "yrs",	    "l",
    "liter",	 "liters",     "litre",	     "litres",	    "ml",
    "gallon",	 "gallons",    "cup",	     "cups",	    "degree",
    "degrees",	 "deg",	       "radian",     "radians",	    "rad",
    "unit",	 "units",      "sq",	     "square",	    "cubic",
    "dollar",	 "dollars",    "cent",	     "cents",	    "percent",
    "K",	 "J",	       "W",	     "N",	    "V",
    "Hz",	 "kHz",	       "MHz",	     "GHz",	    "eV",
    "keV",	 "MeV",	       "erg",	     "ergs",	    "pc",
    "kpc",	 "Mpc",	       "parsec",     "parsecs",	    "AU",
    "au",	 "AA",	       "angstrom",   "angstroms",   "arcsec",
    "arcsecs",	 "arcsecond",  "arcseconds", "arcmin",	    "mag",
    "magnitude", "magnitudes", "people",     "students",    "times",
    "ways",	 "points",     "apples",     "marbles",	    "per",
    "cents",	 "nm",	       "um",
    "mu",	 "Pa",	       "atm",	     "mol",	    "calories",
    "kcal",	 "cal",	       "bits",	     "bytes",	    "ly",
    "mL",	 "L",	       "dL",	     "kJ",	    "kW",
    "kPa",	 "MPa",	       "GPa",	     "pm",	    "fm",
    "ohm",	 "ohms",       "Wb",	     "lm",	    "lx",
    "Gy",	 "Sv",	       "Bq",	     "dB",	    "cd",
    "mA",	 "mV",	       "kV",	     "ms",	    "ns",
    "yr",	 "amu",	       "Da",	     "kDa",	    "torr",
    "mmHg",	 "bar",	       "psi",	     "km",	    "gal",
    NULL};

/* Unit symbols written in Unicode, as they appear inside a unit phrase:
 * middle dots, superscript signs and digits, micro and ohm signs, the
 * angstrom (both code points) and the degree sign.  The length of the one
 * at s, or 0. */
static size_t unit_symbol(const unsigned char *s, size_t n)
{
	static const char *const sym[] = {
	    "\xc2\xb7", "\xe2\x8b\x85", "\xe2\x80\xa2", "\xc2\xb2",
	    "\xc2\xb3", "\xc2\xb9", "\xe2\x81\xbb", "\xe2\x81\xb0",
	    "\xe2\x81\xb4", "\xe2\x81\xb5", "\xe2\x81\xb6", "\xe2\x81\xb7",
	    "\xe2\x81\xb8", "\xe2\x81\xb9", "\xc2\xb5", "\xce\xbc",
	    "\xce\xa9", "\xc3\x85", "\xe2\x84\xab", "\xc2\xb0",
	    "\xe2\x84\x83", NULL};
	for (int i = 0; sym[i]; i++) {
		size_t m = strlen(sym[i]);
		if (n >= m && !memcmp(s, sym[i], m))
			return m;
	}
	return 0;
}

static int is_unit_word(const char *w, size_t n)
{
	/* short units are case-sensitive (K is kelvin, k is a variable) */
	for (int i = 0; unit_words[i]; i++)
		if (strlen(unit_words[i]) == n &&
		    (n >= 4 ? !strncasecmp(unit_words[i], w, n)
			    : !memcmp(unit_words[i], w, n)))
			return 1;
	return 0;
}

/* A \text{} body made only of unit words, separators and exponents. */
static int is_unit_phrase(const char *s, size_t n)
{
	size_t i = 0, m;
	int words = 0;
	while (i < n) {
		if ((m = unit_symbol((const unsigned char *)s + i, n - i)) != 0) {
			/* the angstrom and ohm signs are units themselves */
			if (m > 1 && ((unsigned char)s[i] == 0xc3 ||
				      (unsigned char)s[i + 1] == 0x84 ||
				      (unsigned char)s[i + 1] == 0xa9))
				words++;
			i += m;
		} else if (isalpha((unsigned char)s[i])) {
			size_t j = i;
			while (j < n && isalpha((unsigned char)s[j]))
				j++;
			if (!is_unit_word(s + i, j - i))
				return 0;
			words++;
			i = j;
		} else if (strchr(" ~/.^{}-0123456789\\,", s[i])) {
			/* "\mathrm{m}^{-2}" etc.; a command inside makes it
			 * non-unit */
			if (s[i] == '\\')
				return 0;
			i++;
		} else {
			return 0;
		}
	}
	return words > 0;
}

static const char *const drop_cmds[] = {
    "!",	 ",",	   ";",		 ":",
    " ",	 "quad",   "qquad",	 "displaystyle",
    "textstyle", "limits", "nolimits",	 "left",
    "right",	 "bigl",   "bigr",	 "Bigl",
    "Bigr",	 "big",	   "Big",	 "bigg",
    "Bigg",	 "biggl",  "biggr",	 "mathstrut",
    "hbox",	 "circ",   "degree",	 "prime",
    "dagger",	 "$",	   "ensuremath", "rm",
    "bf",	 "it",	   NULL};

static const char *const text_cmds[] = {
    "text",	  "textbf", "textit", "textrm",	      "textnormal",
    "textsf",	  "texttt", "mathrm", "mathbf",	      "mathit",
    "mathsf",	  "mathtt", "mbox",   "operatorname", "emph",
    "boldsymbol", "bm",	    "mathbb", "mathcal",      NULL};

static int in_list(const char *const *l, const char *s)
{
	for (int i = 0; l[i]; i++)
		if (!strcmp(l[i], s))
			return 1;
	return 0;
}

struct norm {
	rf_buf out;
	int percent;
	int depth;
	rf_buf units; /* the unit words dropped, "cm" or "km/s" */
};

/* Remember a dropped unit: letters only, lowercase past three letters, a
 * plural (e)s dropped, so "Inches" and "inch" agree. */
static void note_unit(struct norm *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t j = i;
		if (!isalpha((unsigned char)s[i])) {
			i++;
			continue;
		}
		while (j < len && isalpha((unsigned char)s[j]))
			j++;
		size_t w = j - i;
		if (w > 3 && (s[j - 1] == 's' || s[j - 1] == 'S')) {
			w--;
			/* inches, ... */
			if (w > 4 && (s[j - 2] == 'e' || s[j - 2] == 'E') &&
			    (s[j - 3] == 'h' || s[j - 3] == 'H') &&
			    strchr("cCsS", s[j - 4]))
				w--;
		}
		if (n->units.len)
			rf_buf_puts(&n->units, " ");
		for (size_t k = 0; k < w; k++) {
			char ch = s[i + k];
			if (w > 3)
				ch = (char)tolower((unsigned char)ch);
			rf_buf_append(&n->units, &ch, 1);
		}
		i = j;
	}
}

static int norm_text(struct norm *n, const char *s, size_t len);

/* The superscript character at s ('-' for the superscript minus, a digit),
 * with its length in *m; 0 when there is none. */
static int superscript(const unsigned char *s, size_t left, size_t *m)
{
	*m = 2;
	if (left >= 2 && s[0] == 0xc2 && (s[1] == 0xb2 || s[1] == 0xb3 ||
					  s[1] == 0xb9))
		return s[1] == 0xb2 ? '2' : s[1] == 0xb3 ? '3' : '1';
	*m = 3;
	if (left >= 3 && s[0] == 0xe2 && s[1] == 0x81) {
		if (s[2] == 0xbb)
			return '-';
		if (s[2] == 0xb0)
			return '0';
		if (s[2] >= 0xb4 && s[2] <= 0xb9)
			return '4' + (s[2] - 0xb4);
	}
	return 0;
}

/* Replace a few common Unicode symbols by their LaTeX; returns bytes used. */
static size_t unicode_sym(struct norm *n, const unsigned char *s, size_t left)
{
	static const struct {
		const char *utf8, *tex;
	} map[] = {{"\xe2\x88\x92", "-"},
		   {"\xcf\x80", "\\pi "},
		   {"\xc3\x97", "\\times "},
		   {"\xc2\xb7", "\\cdot "},
		   {"\xc3\xb7", "\\div "},
		   {"\xe2\x88\x9e", "\\infty "},
		   {"\xc2\xb0", ""},
		   {"\xe2\x88\x9a", "\\sqrt "},
		   {"\xe2\x89\xa4", "\\le "},
		   {"\xe2\x89\xa5", "\\ge "},
		   {"\xc2\xb1", "\\pm "},
		   {"\xe2\x88\xaa", "\\cup "},
		   {"\xe2\x80\x93", "-"},
		   {"\xc2\xa0", " "},
		   {"\xe2\x8b\x85", "\\cdot "},
		   {"\xc3\x85", " AA "},
		   {"\xe2\x84\xab", " AA "},
		   {"\xe2\x84\x83", ""},
		   {"\xe2\x88\x85", "\\emptyset "},
		   {NULL, NULL}};
	for (int i = 0; map[i].utf8; i++) {
		size_t m = strlen(map[i].utf8);
		if (left >= m && !memcmp(s, map[i].utf8, m)) {
			rf_buf_puts(&n->out, map[i].tex);
			return m;
		}
	}
	return 0;
}

/* The {group} starting at s[i] (s[i] == '{'): its body [*b, *e) and the
 * index after it; 0 when unbalanced. */
static size_t group_at(const char *s, size_t len, size_t i, size_t *b,
		       size_t *e)
{
	size_t d = 0, j;
	if (i >= len || s[i] != '{')
		return 0;
	for (j = i; j < len; j++) {
		if (s[j] == '\\' && j + 1 < len) {
			j++;
			continue;
		}
		if (s[j] == '{')
			d++;
		else if (s[j] == '}' && --d == 0) {
			*b = i + 1;
			*e = j;
			return j + 1;
		}
	}
	return 0;
}

/* 0.1\overline{6}: the output so far ends in a decimal and the group at
 * s[*j] holds the repeating digits.  Rewrites the decimal as
 * (0.1+\frac{6}{(10^{1}-1)\cdot10^{1}}) and moves *j past the group; 0
 * (nothing written) when the shapes do not match. */
static int repeating_decimal(struct norm *n, const char *s, size_t len,
			     size_t *j)
{
	size_t b, e, after, k, dot = 0, start;
	rf_buf *o = &n->out;
	while (*j < len && s[*j] == ' ')
		(*j)++;
	after = group_at(s, len, *j, &b, &e);
	if (!after || e == b || e - b > 30)
		return 0;
	for (k = b; k < e; k++)
		if (!isdigit((unsigned char)s[k]))
			return 0;
	start = o->len;
	while (start > 0 && (isdigit((unsigned char)o->data[start - 1]) ||
			     o->data[start - 1] == '.')) {
		if (o->data[start - 1] == '.')
			dot++;
		start--;
	}
	if (dot != 1 || start == o->len || o->len - start > 40 ||
	    (start > 0 && (isalpha((unsigned char)o->data[start - 1]) ||
			   o->data[start - 1] == '\\')))
		return 0;
	char head[48];
	size_t hl = o->len - start, frac;
	memcpy(head, o->data + start, hl);
	head[hl] = '\0';
	frac = hl - (size_t)(strchr(head, '.') - head) - 1;
	if (head[hl - 1] == '.')
		head[--hl] = '\0';
	o->len = start;
	o->data[start] = '\0';
	rf_buf_printf(o, "(%s+\\frac{%.*s}{(10^{%zu}-1)\\cdot10^{%zu}})",
		      hl ? head : "0", (int)(e - b), s + b, e - b, frac);
	*j = after;
	return 1;
}

static int norm_text(struct norm *n, const char *s, size_t len)
{
	size_t i = 0;
	if (++n->depth > 64) {
		n->depth--;
		return rf_buf_append(&n->out, s, len);
	}
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80) {
			size_t m;
			int sup = superscript((const unsigned char *)s + i,
					      len - i, &m);
			if (sup) {
				/* m⁻², x³: a run of superscripts is one
				 * exponent */
				rf_buf_puts(&n->out, "^{");
				while (sup) {
					rf_buf_append(&n->out, (char[]){(char)sup},
						      1);
					i += m;
					sup = superscript(
					    (const unsigned char *)s + i, len - i,
					    &m);
				}
				rf_buf_puts(&n->out, "}");
				continue;
			}
			size_t used = unicode_sym(
			    n, (const unsigned char *)s + i, len - i);
			if (used) {
				i += used;
				continue;
			}
			rf_buf_append(&n->out, s + i, 1);
			i++;
			continue;
		}
		if (ch == '$') {
			i++;
			continue;
		}
		if (ch == '%') {
			n->percent = 1;
			i++;
			continue;
		}
		if (ch == '~' || ch == '\n' || ch == '\t' || ch == '\r') {
			rf_buf_puts(&n->out, " ");
			i++;
			continue;
		}
		if (ch == '{' && i + 2 < len && s[i + 1] == ',' &&
		    s[i + 2] == '}') {
			i += 3; /* 10{,}000 */
			continue;
		}
		if (ch == '^') {
			/* ^\circ, ^{\circ}, ^{\prime\prime}: degrees and arc
			 * units */
			size_t j = i + 1, b, e, after;
			while (j < len && s[j] == ' ')
				j++;
			if (j + 5 <= len && !memcmp(s + j, "\\circ", 5)) {
				i = j + 5;
				continue;
			}
			if ((after = group_at(s, len, j, &b, &e)) != 0) {
				size_t k = b;
				int only = 1;
				while (k < e) {
					if (s[k] == ' ') {
						k++;
					} else if (e - k >= 5 &&
						   !memcmp(s + k, "\\circ",
							   5)) {
						k += 5;
					} else if (e - k >= 6 &&
						   !memcmp(s + k, "\\prime",
							   6)) {
						k += 6;
					} else {
						only = 0;
						break;
					}
				}
				if (only && e > b) {
					i = after;
					continue;
				}
			}
		}
		if (ch == '\\' && i + 1 < len) {
			char name[32];
			size_t j = i + 1, k = 0;
			if (isalpha((unsigned char)s[j])) {
				while (j < len &&
				       isalpha((unsigned char)s[j])) {
					if (k + 1 < sizeof name)
						name[k] = s[j];
					k++;
					j++;
				}
				if (k >= sizeof name)
					k = sizeof name - 1;
			} else {
				name[k++] = s[j++];
			}
			name[k] = '\0';
			if (!strcmp(name, "%")) {
				n->percent = 1;
				i = j;
				continue;
			}
			if ((!strcmp(name, "overline") ||
			     !strcmp(name, "bar")) &&
			    repeating_decimal(n, s, len, &j)) {
				i = j;
				continue;
			}
			if (!strcmp(name, "dfrac") || !strcmp(name, "tfrac") ||
			    !strcmp(name, "cfrac")) {
				rf_buf_puts(&n->out, "\\frac");
				i = j;
				continue;
			}
			if (!strcmp(name, "dbinom") ||
			    !strcmp(name, "tbinom")) {
				rf_buf_puts(&n->out, "\\binom");
				i = j;
				continue;
			}
			if (!strcmp(name, "le") || !strcmp(name, "leq")) {
				rf_buf_puts(&n->out, "\\le ");
				i = j;
				continue;
			}
			if (!strcmp(name, "ge") || !strcmp(name, "geq")) {
				rf_buf_puts(&n->out, "\\ge ");
				i = j;
				continue;
			}
			if (in_list(drop_cmds, name)) {
				/* \left. and \right. are invisible delimiters
				 */
				if ((!strcmp(name, "left") ||
				     !strcmp(name, "right")) &&
				    j < len && s[j] == '.')
					j++;
				rf_buf_puts(&n->out, " ");
				i = j;
				continue;
			}
			if (!strcmp(name, "boxed") || !strcmp(name, "fbox")) {
				/* a box around the answer is no part of it */
				size_t b, e, after;
				while (j < len && s[j] == ' ')
					j++;
				after = group_at(s, len, j, &b, &e);
				if (after) {
					norm_text(n, s + b, e - b);
					i = after;
				} else {
					i = j;
				}
				continue;
			}
			if (in_list(text_cmds, name)) {
				size_t b, e, after;
				while (j < len && s[j] == ' ')
					j++;
				after = group_at(s, len, j, &b, &e);
				if (!after) {
					i = j;
					continue;
				}
				size_t bb = b;
				while (bb < e && (s[bb] == ' ' || s[bb] == '~'))
					bb++;
				if (!is_unit_phrase(s + bb, e - bb)) {
					rf_buf_puts(&n->out, " ");
					norm_text(n, s + b, e - b);
					rf_buf_puts(&n->out, " ");
				} else {
					note_unit(n, s + bb, e - bb);
					/* a dropped unit takes its exponent
					 * along: m^{-2} */
					size_t q = after;
					while (q < len && s[q] == ' ')
						q++;
					if (q < len && s[q] == '^') {
						size_t gb, ge,
						    ga = group_at(s, len, q + 1,
								  &gb, &ge);
						if (ga)
							after = ga;
						else {
							q++;
							if (q < len &&
							    s[q] == '-')
								q++;
							while (
							    q < len &&
							    isdigit(
								(unsigned char)
								    s[q]))
								q++;
							after = q;
						}
					}
					rf_buf_puts(&n->out, " ");
				}
				i = after;
				continue;
			}
			/* keep the command; keep it apart from a following
			 * letter */
			rf_buf_append(&n->out, s + i, j - i);
			if (j < len && isalpha((unsigned char)s[j]))
				rf_buf_puts(&n->out, " ");
			i = j;
			continue;
		}
		rf_buf_append(&n->out, s + i, 1);
		i++;
	}
	n->depth--;
	return 0;
}

/* Remove spaces except where two letters (or a command and a letter) would
 * run together. */
static void squeeze(rf_buf *b)
{
	size_t w = 0;
	for (size_t r = 0; r < b->len; r++) {
		char ch = b->data[r];
		if (ch == ' ') {
			size_t k = r;
			while (k < b->len && b->data[k] == ' ')
				k++;
			if (w > 0 && k < b->len &&
			    isalpha((unsigned char)b->data[w - 1]) &&
			    isalpha((unsigned char)b->data[k])) {
				b->data[w++] = ' ';
			}
			r = k - 1;
			continue;
		}
		b->data[w++] = ch;
	}
	b->len = w;
	b->data[w] = '\0';
}

static int digits_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* 1,234,567(.89): a whole answer in this shape is one number. */
static void drop_thousands(rf_buf *b)
{
	const char *s = b->data;
	size_t n = b->len, i = 0, first;
	if (i < n && s[i] == '-')
		i++;
	first = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i - first < 1 || i - first > 3 || i >= n || s[i] != ',')
		return;
	while (i < n && s[i] == ',') {
		if (!digits_only(s + i + 1, 3 <= n - i - 1 ? 3 : 0) ||
		    (i + 4 < n && isdigit((unsigned char)s[i + 4])))
			return;
		i += 4;
	}
	if (i < n && s[i] == '.') {
		if (!digits_only(s + i + 1, n - i - 1))
			return;
	} else if (i != n) {
		return;
	}
	size_t w = 0;
	for (size_t r = 0; r < n; r++)
		if (b->data[r] != ',')
			b->data[w++] = b->data[r];
	b->len = w;
	b->data[w] = '\0';
}

/* Drop unit words, and separators left behind, from the end. */
static void drop_trailing_units(rf_buf *b, struct norm *nm)
{
	for (int guard = 0; guard < 16; guard++) {
		size_t n = b->len, e, s;
		while (n > 0 && b->data[n - 1] == ' ')
			n--;
		b->len = n;
		b->data[n] = '\0';
		e = n;
		/* an exponent on a unit: m^2, s^{-1} */
		s = e;
		if (s > 0 && (b->data[s - 1] == '}' ||
			      isdigit((unsigned char)b->data[s - 1]))) {
			size_t k = s;
			while (k > 0 && b->data[k - 1] != '^' && e - k < 6)
				k--;
			if (k > 0 && b->data[k - 1] == '^')
				s = k - 1;
			else
				s = e;
		}
		size_t we = s, ws = we;
		while (ws > 0 && isalpha((unsigned char)b->data[ws - 1]))
			ws--;
		if (ws == we || ws == 0 || !is_unit_word(b->data + ws, we - ws))
			return;
		/* the word must stand apart: "5 cm", "5\,cm", not "5m" nor "2x"
		 */
		if (b->data[ws - 1] != ' ')
			return;
		size_t before = ws - 1;
		while (before > 0 && b->data[before - 1] == ' ')
			before--;
		if (before == 0)
			return;
		char pc = b->data[before - 1];
		if (!(isalnum((unsigned char)pc) || pc == '}' || pc == ')' ||
		      pc == '/' || pc == '.'))
			return;
		if (we - ws == 1 && !isdigit((unsigned char)pc) && pc != '}' &&
		    pc != '/') {
			/* "kcal m^{-2}": one letter after another unit word */
			size_t pe = before, ps = pe;
			while (ps > 0 && isalpha((unsigned char)b->data[ps - 1]))
				ps--;
			if (pe - ps < 2 || !is_unit_word(b->data + ps, pe - ps))
				return;
		}
		note_unit(nm, b->data + ws, we - ws);
		b->len = before;
		b->data[before] = '\0';
		while (b->len > 0 && (b->data[b->len - 1] == '/' ||
				      b->data[b->len - 1] == ' '))
			b->data[--b->len] = '\0';
	}
}


/* ------------------------------------------------- words around a value */

static int word_is(const char *w, size_t n, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strlen(list[i]) == n && !strncasecmp(list[i], w, n))
			return 1;
	return 0;
}

/* The word at b[i] (letters, not the name of a \command): its end, or i. */
static size_t word_end(const rf_buf *b, size_t i)
{
	size_t j = i;
	if (i > 0 && (isalpha((unsigned char)b->data[i - 1]) ||
		      b->data[i - 1] == '\\'))
		return i;
	while (j < b->len && isalpha((unsigned char)b->data[j]))
		j++;
	return j;
}

static int only_spaces(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != ',')
			return 0;
	return 1;
}

/* Words between and around the values of an answer, in the spaced text
 * norm_text() leaves: "1 and 5" and "4 or 8" are lists (never "15"), a
 * condition after the value ("x=2 for x>0") is no part of it, nor is a
 * leading "Yes," or an ordinal suffix ("12^{th}"); a whole answer that is
 * a number word is that number. */
static int words_pass(rf_buf *b)
{
	/* words that are mathematics, not labels: "2 pi" is not 2 */
	static const char *const math_words[] = {
	    "pi",   "sqrt", "sin",  "cos",   "tan",	"cot",	  "sec",
	    "csc",  "log",  "ln",   "lg",    "exp",	"sinh",	  "cosh",
	    "tanh", "arcsin", "arccos", "arctan", "infty", "infinity", "inf",
	    "mod",  "choose", "over", "times", "pm",	"cdot",	  NULL};
	static const char *const joins[] = {"and", "or", NULL};
	static const char *const conds[] = {"for",   "where", "when",
					    "if",    "with",  "since",
					    "because", "as",  NULL};
	static const char *const numw[] = {
	    "zero",	"one",	    "two",	"three",    "four",
	    "five",	"six",	    "seven",	"eight",    "nine",
	    "ten",	"eleven",   "twelve",	"thirteen", "fourteen",
	    "fifteen",	"sixteen",  "seventeen", "eighteen", "nineteen",
	    "twenty",	NULL};
	rf_buf o = RF_BUF_INIT;
	size_t i = 0, start = 0;
	while (start < b->len && b->data[start] == ' ')
		start++;
	/* "Yes, n = 4" */
	{
		size_t e = word_end(b, start);
		if ((e - start == 3 && !strncasecmp(b->data + start, "yes", 3)) ||
		    (e - start == 2 && !strncasecmp(b->data + start, "no", 2))) {
			size_t k = e;
			while (k < b->len && b->data[k] == ' ')
				k++;
			if (k < b->len && b->data[k] == ',' &&
			    !only_spaces(b->data + k, b->len - k))
				start = k + 1;
		}
	}
	/* a number word */
	{
		size_t e = word_end(b, start), k = e;
		while (k < b->len && (b->data[k] == ' ' || b->data[k] == '.'))
			k++;
		if (k == b->len && e > start) {
			for (int w = 0; numw[w]; w++)
				if (strlen(numw[w]) == e - start &&
				    !strncasecmp(numw[w], b->data + start,
						 e - start)) {
					rf_buf_clear(b);
					return rf_buf_printf(b, "%d", w);
				}
		}
	}
	for (i = start; i < b->len;) {
		char ch = b->data[i];
		size_t e = isalpha((unsigned char)ch) ? word_end(b, i) : i;
		if (e > i) {
			int before = !only_spaces(o.data ? o.data : "", o.len);
			int after = !only_spaces(b->data + e, b->len - e);
			if (before && after && word_is(b->data + i, e - i, joins)) {
				rf_buf_puts(&o, ",");
				i = e;
				continue;
			}
			if (before && word_is(b->data + i, e - i, conds))
				break; /* the rest is a condition */
			rf_buf_append(&o, b->data + i, e - i);
			i = e;
			continue;
		}
		/* 12^{th}, 21st, 2nd, 3rd */
		if (isdigit((unsigned char)ch)) {
			size_t k = i + 1, w;
			rf_buf_append(&o, &ch, 1);
			if (k < b->len && b->data[k] == '^' && k + 1 < b->len &&
			    b->data[k + 1] == '{') {
				size_t q = k + 2;
				while (q < b->len && b->data[q] == ' ')
					q++;
				w = q;
				while (w < b->len &&
				       isalpha((unsigned char)b->data[w]))
					w++;
				size_t r = w;
				while (r < b->len && b->data[r] == ' ')
					r++;
				if (w - q == 2 && r < b->len &&
				    b->data[r] == '}' &&
				    word_is(b->data + q, 2,
					    (const char *const[]){"th", "st",
								  "nd", "rd",
								  NULL})) {
					i = r + 1;
					continue;
				}
			}
			w = k;
			while (w < b->len && isalpha((unsigned char)b->data[w]))
				w++;
			if (w - k == 2 &&
			    word_is(b->data + k, 2,
				    (const char *const[]){"th", "st", "nd",
							  "rd", NULL})) {
				i = w;
				continue;
			}
			i = k;
			continue;
		}
		rf_buf_append(&o, &ch, 1);
		i++;
	}
	if (rf_buf_append(&o, "", 0)) {
		rf_buf_free(&o);
		return RF_ENOMEM;
	}
	/* a list joined by "and" may leave ",," or a trailing comma */
	while (o.len > 0 && (o.data[o.len - 1] == ' ' || o.data[o.len - 1] == ','))
		o.data[--o.len] = '\0';
	/* "12 grade", "3 pairs of socks": up to three plain words after a
	 * plain number label it */
	{
		size_t k = 0, words = 0;
		if (k < o.len && o.data[k] == '-')
			k++;
		size_t ds = k;
		while (k < o.len && (isdigit((unsigned char)o.data[k]) ||
				     o.data[k] == '.' || o.data[k] == ','))
			k++;
		size_t ne = k;
		int plain = ne > ds && k < o.len && o.data[k] == ' ';
		while (plain && k < o.len) {
			if (o.data[k] == ' ') {
				k++;
				continue;
			}
			size_t w = k;
			while (w < o.len && isalpha((unsigned char)o.data[w]))
				w++;
			/* units are left to drop_trailing_units(), which
			 * remembers them ("5 cm" is not "5 m") */
			if (w - k < 2 || (w < o.len && o.data[w] != ' ') ||
			    is_unit_word(o.data + k, w - k) ||
			    word_is(o.data + k, w - k, math_words))
				plain = 0;
			words++;
			k = w;
		}
		if (plain && words >= 1 && words <= 3) {
			o.len = ne;
			o.data[ne] = '\0';
		}
	}
	rf_buf_free(b);
	*b = o;
	return 0;
}

/* e^{i\pi} is -1 (Euler), whichever order the factors come in. */
static void euler(rf_buf *b)
{
	for (size_t i = 0; i + 3 < b->len; i++) {
		if (memcmp(b->data + i, "e^{", 3) ||
		    (i > 0 && (isalpha((unsigned char)b->data[i - 1]) ||
			       b->data[i - 1] == '\\')))
			continue;
		char body[16];
		size_t k = 0, j = i + 3;
		while (j < b->len && b->data[j] != '}' && k + 1 < sizeof body) {
			if (b->data[j] != ' ')
				body[k++] = b->data[j];
			j++;
		}
		body[k] = '\0';
		if (j >= b->len || b->data[j] != '}' ||
		    (strcmp(body, "i\\pi") && strcmp(body, "\\pii") &&
		     strcmp(body, "\\pi\\cdoti") && strcmp(body, "i\\cdot\\pi")))
			continue;
		/* replace [i, j] by "(-1)": never longer than the original */
		memcpy(b->data + i, "(-1)", 4);
		memmove(b->data + i + 4, b->data + j + 1, b->len - j);
		b->len -= j + 1 - i - 4;
		b->data[b->len] = '\0';
	}
}

/* 4210_5, 4210_{5}: a numeral's base subscript, when every digit is a
 * digit of that base, is dropped (the question asked for base 5). */
static void base_subscripts(rf_buf *b)
{
	for (size_t i = 0; i + 2 < b->len; i++) {
		if (b->data[i + 1] != '_' || !isdigit((unsigned char)b->data[i]))
			continue;
		size_t ds = i + 1;
		while (ds > 0 && isalnum((unsigned char)b->data[ds - 1]))
			ds--;
		if (ds > 0 && (b->data[ds - 1] == '\\' || b->data[ds - 1] == '.'))
			continue;
		size_t j = i + 2, ne;
		int brace = b->data[j] == '{';
		if (brace)
			j++;
		ne = j;
		while (ne < b->len && isdigit((unsigned char)b->data[ne]) &&
		       ne - j < 3)
			ne++;
		if (ne == j || (brace && (ne >= b->len || b->data[ne] != '}')))
			continue;
		if (!brace && ne < b->len && isalnum((unsigned char)b->data[ne]))
			continue;
		long base = strtol(b->data + j, NULL, 10);
		if (base < 2 || base > 36)
			continue;
		int ok = 1;
		for (size_t q = ds; q <= i && ok; q++) {
			int c = tolower((unsigned char)b->data[q]);
			int v = isdigit(c) ? c - '0' : c - 'a' + 10;
			ok = v < base;
		}
		/* a letter digit needs the base to say so: x1_2 is a name */
		if (!ok || (isalpha((unsigned char)b->data[ds]) && base <= 10))
			continue;
		size_t end = ne + (size_t)brace;
		memmove(b->data + i + 1, b->data + end, b->len - end + 1);
		b->len -= end - (i + 1);
	}
}

static int normalise(struct norm *n, const char *s, size_t len)
{
	int rc = norm_text(n, s, len);
	rf_buf *b = &n->out;
	if (rc)
		return rc;
	/* appending nothing still allocates and NUL-terminates */
	if (rf_buf_append(b, "", 0))
		return RF_ENOMEM;
	if ((rc = words_pass(b)) != 0)
		return rc;
	euler(b);
	base_subscripts(b);
	drop_trailing_units(b, n);
	/* trim; drop trailing periods ("5." and "5 .") */
	for (;;) {
		while (b->len > 0 && b->data[b->len - 1] == ' ')
			b->data[--b->len] = '\0';
		if (b->len > 0 && b->data[b->len - 1] == '.' &&
		    !(b->len > 1 && b->data[b->len - 2] == '.'))
			b->data[--b->len] = '\0';
		else
			break;
	}
	drop_trailing_units(b, n);
	/* "300 \mathrm{km} / \mathrm{s}" leaves "300 /" behind */
	for (;;) {
		while (b->len > 0 && b->data[b->len - 1] == ' ')
			b->data[--b->len] = '\0';
		if (b->len > 1 && b->data[b->len - 1] == '/' &&
		    b->data[b->len - 2] != '/')
			b->data[--b->len] = '\0';
		else if (b->len > 5 &&
			 !memcmp(b->data + b->len - 5, "\\cdot", 5))
			b->data[b->len -= 5] = '\0';
		else
			break;
	}
	squeeze(b);
	/* "x \in [1,2]" names the unknown: keep the set */
	if (b->len > 4 && isalpha((unsigned char)b->data[0]) &&
	    !strncmp(b->data + 1, "\\in", 3) &&
	    !isalpha((unsigned char)b->data[4])) {
		memmove(b->data, b->data + 4, b->len - 3);
		b->len -= 4;
	}
	drop_thousands(b);
	return 0;
}

int mx_normalise(rf_buf *out, rf_buf *units, int *percent, const char *s,
		 size_t len)
{
	struct norm n = {RF_BUF_INIT, 0, 0, RF_BUF_INIT};
	int rc = normalise(&n, s, len);
	if (!rc && rf_buf_append(&n.units, "", 0))
		rc = RF_ENOMEM;
	if (rc) {
		rf_buf_free(&n.out);
		rf_buf_free(&n.units);
		return rc;
	}
	*out = n.out;
	*units = n.units;
	*percent = n.percent;
	return 0;
}
