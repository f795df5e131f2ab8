#!/bin/sh
# embed-text.sh NAME FILE: writes a C file holding FILE as the string
# NAME, with its length in NAME_len, so that a binary serves it with no
# file at run time (docs/openapi.json, in hourglass-fcgi).
set -eu
echo "/* Generated from $2 by scripts/embed-text.sh; do not edit. */"
echo '#include <stddef.h>'
echo "const char $1[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$2"
echo ';'
echo "const size_t $1_len = sizeof($1) - 1;"
