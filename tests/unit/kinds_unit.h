/*
 * What the tests of lib/kinds share: the spec's count kind, a kind with
 * one of each parameter type and rule, and loading a kinds file written
 * into the test's folder. Include after unit.h.
 */
#ifndef KINDS_UNIT_H
#define KINDS_UNIT_H

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kinds.h"

/* The spec's reference kind, as kinds.json ships it. */
#define COUNT_KIND							\
	"{\"name\": \"count\", \"builtin\": \"count\",\n"		\
	" \"description\": \"Counts from 1 to total, one step every "	\
	"delay_ms\",\n"							\
	" \"params\": {\"total\": {\"type\": \"integer\", \"min\": 1, "	\
	"\"max\": 1000000, \"default\": 150},\n"			\
	"  \"delay_ms\": {\"type\": \"integer\", \"min\": 0, "		\
	"\"max\": 60000, \"default\": 50}}}"

/* One of each parameter type and rule. */
#define MIXED_KIND							\
	"{\"name\": \"mixed.kind-1\", \"builtin\": \"count\",\n"	\
	" \"description\": \"every rule\",\n"				\
	" \"params\": {\n"						\
	"  \"total\": {\"type\": \"integer\", \"min\": 1, \"max\": 10, "	\
	"\"default\": 3},\n"						\
	"  \"delay_ms\": {\"type\": \"integer\", \"min\": 0, "		\
	"\"default\": 0},\n"						\
	"  \"file\": {\"type\": \"string\", \"description\": \"a name\", " \
	"\"pattern\": \"^[a-z]+$\", \"max_length\": 5},\n"		\
	"  \"color\": {\"type\": \"string\", \"enum\": [\"red\", "	\
	"\"green\"], \"default\": \"red\"},\n"				\
	"  \"label\": {\"type\": \"string\", \"max_length\": 3, "	\
	"\"default\": \"ab\"},\n"					\
	"  \"ratio\": {\"type\": \"number\", \"min\": 0.5, \"max\": 2.5, "	\
	"\"default\": 1},\n"						\
	"  \"loud\": {\"type\": \"boolean\", \"default\": false}}}"

#define GOOD_FILE	"{\"kinds\": [" COUNT_KIND ",\n" MIXED_KIND "]}\n"

__attribute__((unused)) static struct kinds *
load_text(const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return kinds_load(unit_write_kinds(text), err, errlen);
}

/* Loads text as the test's kinds file, or ends the test. */
__attribute__((unused)) static struct kinds *
kinds_unit_load(const char *text)
{
	char		 err[1024];
	struct kinds	*ks;

	if ((ks = load_text(text, err, sizeof(err))) == NULL) {
		unit_fail(__FILE__, __LINE__, err);
		exit(1);
	}
	return ks;
}

__attribute__((unused)) static struct kinds *
load_good(void)
{
	return kinds_unit_load(GOOD_FILE);
}

__attribute__((unused)) static cJSON *
parse(const char *s)
{
	struct hg_err	 e;
	cJSON		*d;

	if ((d = json_parse(s, strlen(s), &e)) == NULL) {
		unit_fail(__FILE__, __LINE__, e.msg);
		exit(1);
	}
	return d;
}

#endif
