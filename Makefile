# Thin wrapper: every target is a script in scripts/ (they can be run directly).
#   make run        deps, private MariaDB (.run/mariadb, 127.0.0.1:3307), build, serve
#   make test       deps, private MariaDB (.run/mariadb-test), build + ctest, build-asan + ctest, fuzz 30s
#   make build      deps, Release build in build/
#   make fuzz       build-fuzz (clang) and run every libFuzzer target FUZZ_SECONDS (30) each
#   make deps       install the Debian packages for building and testing
#   make db-start / db-stop / db-status   the private MariaDB of `make run`
#   make bench      wrk figures into docs/benchmarks.md (~20 min, the Galera section included)
#   make bench-cluster  only that section: one MariaDB beside a Galera cluster, a node killed
#                   (.run/bench/cluster.md; never docs/)
#   make cluster    a three-node Galera cluster on loopback (.run/galera, SQL 3311/3321/3331)
#   make cluster-stop / cluster-status    stop it / show each node's state
#   make run-cluster  as make run, on that cluster (DATABASE_URL lists the three nodes)
#   make clean      remove build directories (keeps .run/ data)
#   make distclean  clean, stop the private MariaDBs and remove .run/
# Variables (environment or command line): HOST, PORT, JWT_SECRET_KEY,
# RUN_DB_PORT, GALERA_PORT, TEST_JOBS, BUILD_JOBS, TEST_DB_KEEP, FUZZ_SECONDS, FUZZ_JOBS.

SHELL := /bin/bash
RUN_DB_PORT ?= 3307
FUZZ_SECONDS ?= 30

.PHONY: all run test fuzz build deps db-start db-stop db-status clean distclean help bench \
	cluster cluster-stop cluster-status run-cluster bench-cluster

all: build

run:
	scripts/run.sh

test:
	scripts/test.sh

fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# wrk + mariadb-slap figures into docs/benchmarks.md (~15 min); never part of test
bench:
	bench/run.sh

bench-cluster:
	bench/cluster.sh

build:
	scripts/deps.sh run
	scripts/build.sh release

deps:
	scripts/deps.sh test

db-start:
	scripts/mariadb.sh start .run/mariadb $(RUN_DB_PORT)

db-stop:
	scripts/mariadb.sh stop .run/mariadb

db-status:
	scripts/mariadb.sh status .run/mariadb

cluster:
	scripts/deps.sh run
	scripts/galera.sh start

cluster-stop:
	scripts/galera.sh stop

cluster-status:
	scripts/galera.sh status

run-cluster:
	RUN_CLUSTER=1 scripts/run.sh

clean:
	scripts/clean.sh

distclean:
	scripts/clean.sh --dist

help:
	@sed -n '2,18p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'
