#!/bin/sh
# Writes a C file holding each migration of sql/ as a string, in order, so
# that the binaries carry their schema and need no file at run time.
set -eu
echo '/* Generated from sql/ by scripts/embed-sql.sh; do not edit. */'
echo '#include <stddef.h>'
echo 'const char *const store_migrations[] = {'
for f in "$@"; do
	printf '\t/* %s */\n' "$(basename "$f")"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$f"
	printf '\t,\n'
done
echo '};'
echo "const size_t store_nmigrations = $#;"
