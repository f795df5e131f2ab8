# Hourglass. `make` builds, `make run` serves, `make test` tests, `make
# fuzz` fuzzes. run and test also install what is missing (scripts/deps),
# so that a fresh Debian 12 needs nothing else.

BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Werror
CPPFLAGS = -D_GNU_SOURCE -Ilib
ALLFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -pthread
LDLIBS	 = -lsqlite3 -lcjson -lm
SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
TSAN	 = -fsanitize=thread -fno-omit-frame-pointer

# Every .c of a folder is part of its program; a module that outgrows a
# file becomes a folder of lib/ (lib/store/), picked up here as it is.
LIB_SRC	 = $(wildcard lib/*.c lib/*/*.c)
FCGI_SRC = $(wildcard fcgi/*.c)
RUN_SRC	 = $(wildcard taskrunner/*.c)
CLI_SRC	 = $(wildcard cli/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
HEADERS	 = $(wildcard lib/*.h lib/*/*.h fcgi/*.h taskrunner/*.h cli/*.h \
	   tests/unit/*.h)

LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/migrations.o
FCGI_OBJ = $(FCGI_SRC:%.c=$(BUILD)/obj/%.o)
RUN_OBJ	 = $(RUN_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ	 = $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNITS	 = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Fuzz targets (clang's libFuzzer): tests/fuzz/fuzz_*.c over lib/.
FUZZ_CC	 = clang
FUZZ_LIB = lib/buf.c lib/cron.c lib/hg.c lib/json.c $(wildcard lib/kinds/*.c) \
	   lib/progress.c lib/tz.c cli/sse.c
FUZZ	 = $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz/fuzz_%,\
	   $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

.PHONY: all asan tsan deps run test clean fuzz fuzz-build bench FORCE
all: $(BUILD)/hourglass-fcgi $(BUILD)/hourglass-runner $(BUILD)/hourglass \
	$(UNITS)

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLFLAGS) -c -o $@ $<

# The migrations' list is a prerequisite too: one removed (another
# branch checked out) leaves every remaining file older than the output.
SQL	 = $(sort $(wildcard sql/*.sql))
$(BUILD)/gen/sql.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SQL)' | cmp -s - $@ || echo '$(SQL)' > $@

$(BUILD)/gen/migrations.c: scripts/embed-sql.sh $(SQL) $(BUILD)/gen/sql.list
	@mkdir -p $(dir $@)
	sh scripts/embed-sql.sh $(SQL) > $@

# The server's OpenAPI document, served at GET /api/openapi.json; the
# file is its one source.
$(BUILD)/gen/openapi.c: scripts/embed-text.sh docs/openapi.json
	@mkdir -p $(dir $@)
	sh scripts/embed-text.sh openapi_json docs/openapi.json > $@

$(BUILD)/obj/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLFLAGS) -c -o $@ $<

# Only the server speaks FastCGI, hashes report tokens and signs
# webhooks (Nettle: README.md says why not libcrypto), and sends webhooks
# (libcurl, loaded by dlopen only when they are on: fcgi/libcurl.h, so
# not linked); a runner loads none of them.
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
$(BUILD)/hourglass-fcgi: $(FCGI_OBJ) $(LIB_OBJ) $(BUILD)/obj/openapi.o
	$(CC) $(ALLFLAGS) -o $@ $^ -lfcgi -lnettle -ldl $(LDLIBS)

# SQLite stays a shared library: linked into the runner, its relocated
# tables would be private to each runner (1 MiB more each, measured).
$(BUILD)/hourglass-runner: $(RUN_OBJ) $(LIB_OBJ)
	$(CC) $(ALLFLAGS) -Wl,-z,now -o $@ $^ $(LDLIBS)

# The command-line client: libcurl for HTTP, cJSON for the answers, and
# of lib/ the small pieces only (no SQLite: it never opens the store).
CLI_LIB	 = $(BUILD)/obj/lib/buf.o $(BUILD)/obj/lib/hg.o $(BUILD)/obj/lib/json.o \
	   $(BUILD)/obj/lib/state.o
$(BUILD)/hourglass: $(CLI_OBJ) $(CLI_LIB)
	$(CC) $(ALLFLAGS) -o $@ $^ $(CURL_LIBS) -lcjson -lm

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) -o $@ $^ $(LDLIBS)

# The webhook's signature and backoff are the server's: their test links
# that one file of fcgi/, and Nettle, beside lib/.
$(BUILD)/tests/test_hooksign: $(BUILD)/obj/fcgi/hooksign.o
$(BUILD)/tests/test_hooksign: LDLIBS += -lnettle
# So is the framing of an answer sent whole, and the kept list answers.
$(BUILD)/tests/test_record: $(BUILD)/obj/fcgi/record.o
$(BUILD)/tests/test_listcache: $(BUILD)/obj/fcgi/listcache.o
# And the request threads' connections, with the settings they read.
$(BUILD)/tests/test_pool: $(BUILD)/obj/fcgi/pool.o $(BUILD)/obj/fcgi/server.o

# The client's parts are tested alone: its arguments and parameters, its
# SSE reader and its bar; never its main() or libcurl.
$(BUILD)/obj/tests/unit/test_cli_%.o: CPPFLAGS += -Icli
$(BUILD)/tests/test_cli_args: $(BUILD)/obj/cli/args.o $(BUILD)/obj/cli/params.o
$(BUILD)/tests/test_cli_sse: $(BUILD)/obj/cli/sse.o
$(BUILD)/tests/test_cli_bar: $(BUILD)/obj/cli/bar.o $(BUILD)/obj/cli/table.o

# The same tree built with AddressSanitizer and UBSan, beside the other.
asan:
	$(MAKE) BUILD=$(BUILD)/asan SANFLAGS="$(SAN)" all

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(CPPFLAGS) -Icli $(WARN) -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $@ $< $(FUZZ_LIB) -lcjson -lm

fuzz-build: $(FUZZ)

# Each target for FUZZ_SECONDS; what it finds joins tests/fuzz/corpus.
fuzz: fuzz-build
	@scripts/fuzz run $(BUILD)/fuzz $(FUZZ_SECONDS)

# And with ThreadSanitizer (it cannot share a build with ASan).
tsan:
	$(MAKE) BUILD=$(BUILD)/tsan SANFLAGS="$(TSAN)" all

deps:
	@scripts/deps test

run:
	@scripts/deps run
	@$(MAKE) --no-print-directory all
	exec scripts/serve

# Benchmarks against nginx itself: speed, scale and memory, written to
# bench/report-YYYY-MM-DD.md (bench/README.md). bench/run installs wrk
# when missing. BENCH_QUICK=1 for a short smoke run. Never part of test.
bench:
	@scripts/deps run
	@$(MAKE) --no-print-directory all
	@bench/run

# Unit tests for the plain, the ASan+UBSan and the TSan build, the
# end-to-end suite through real nginx for the two sanitizer builds, the
# fuzz corpus, the page; the last line counts them all (scripts/test).
test:
	@scripts/deps test
	@$(MAKE) --no-print-directory -j$$(nproc) all asan tsan fuzz-build \
	    >/dev/null
	@scripts/test $(BUILD)

# docker-compose.yml and the Dockerfile built and run for real, checked
# from the host (as root: it installs Docker and may start dockerd).
# Slow, so never part of test.
.PHONY: test-compose
test-compose:
	@scripts/test-compose

clean:
	rm -rf $(BUILD)
