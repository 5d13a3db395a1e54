#!/usr/bin/env bash
# t0709: the PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java) from a
# small Java program (tests/java/JdbcCheck.java, compiled here into the build
# directory): SCRAM login, PreparedStatements, ResultSet types, the driver's
# DatabaseMetaData queries (getTables, getColumns, getPrimaryKeys) and
# transactions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
JAR=/usr/share/java/postgresql.jar
command -v javac >/dev/null && command -v java >/dev/null ||
  { echo "no JDK (javac/java): run scripts/install-deps"; exit 77; }
[ -f "$JAR" ] || { echo "$JAR is missing: run scripts/install-deps"; exit 77; }

classes=$MALLARD_BIN_DIR/java-classes
mkdir -p "$classes"
check "the Java client compiles" \
  javac -nowarn -d "$classes" -cp "$JAR" "$MALLARD_SOURCE_DIR/tests/java/JdbcCheck.java"

auth=$SCRATCH/users.conf
printf 'j4va secret\n' | "$MALLARD" serve passwd --auth-file "$auth" javauser >/dev/null 2>&1
check "the server starts with SCRAM users" start_server --database "$SCRATCH/jdbc.duckdb" --auth-file "$auth"

TZ=UTC timeout 180 java -Xss8m -cp "$classes:$JAR" JdbcCheck "$PORT" >"$SCRATCH/client.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/client.out"
check "JDBC client checks" test $rc -eq 0
stop_server
check "the server shuts down cleanly" server_exited_cleanly
finish
