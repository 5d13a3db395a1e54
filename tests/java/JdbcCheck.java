// JdbcCheck: the PostgreSQL JDBC driver against `mallard serve` (t0709).
// Connects with SCRAM, runs PreparedStatements with parameters, reads each
// common type through ResultSet, walks DatabaseMetaData (getTables,
// getColumns, getPrimaryKeys) and checks transactions.  Prints one
// "ok - " or "FAIL - " line per check; exits 1 if any failed.
import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

public class JdbcCheck {
    static int failed = 0;

    static void check(boolean cond, String what) {
        System.out.println((cond ? "ok - " : "FAIL - ") + what);
        if (!cond) failed++;
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/db";
        Properties props = new Properties();
        props.setProperty("user", "javauser");
        props.setProperty("password", "j4va secret");
        try (Connection c = DriverManager.getConnection(url, props)) {
            check(true, "connects with SCRAM-SHA-256");
            DatabaseMetaData md = c.getMetaData();
            check(md.getDatabaseMajorVersion() == 15, "server major version 15 (" + md.getDatabaseProductVersion() + ")");
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR NOT NULL, "
                        + "amount DECIMAL(10,2), paid BOOLEAN, day DATE, ts TIMESTAMP, qty BIGINT, ratio DOUBLE)");
                st.execute("CREATE TABLE order_lines (order_id INTEGER, line INTEGER, sku VARCHAR, PRIMARY KEY (order_id, line))");
                st.execute("CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100");
            }

            // PreparedStatement with parameters of each type, reused.
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 1; i <= 3; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, i == 2 ? "O'Hara" : "cust" + i);
                    ps.setBigDecimal(3, new BigDecimal("" + (i * 75) + ".25"));
                    ps.setBoolean(4, i % 2 == 1);
                    ps.setDate(5, java.sql.Date.valueOf("2024-03-0" + i));
                    ps.setTimestamp(6, Timestamp.valueOf("2024-03-0" + i + " 10:11:12.5"));
                    ps.setLong(7, 5000000000L + i);
                    ps.setDouble(8, i / 4.0);
                    check(ps.executeUpdate() == 1, "prepared INSERT " + i + " reports one row");
                }
                ps.setInt(1, 4);
                ps.setString(2, "nulls");
                for (int k = 3; k <= 8; k++) ps.setNull(k, Types.NULL);
                check(ps.executeUpdate() == 1, "prepared INSERT with NULL parameters");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, customer, amount, paid, day, ts, qty, ratio FROM orders WHERE id >= ? ORDER BY id")) {
                ps.setInt(1, 2);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "the query returns rows");
                    check(rs.getInt(1) == 2 && rs.getString(2).equals("O'Hara"), "int and varchar");
                    check(rs.getBigDecimal(3).equals(new BigDecimal("150.25")), "numeric -> BigDecimal (" + rs.getBigDecimal(3) + ")");
                    check(!rs.getBoolean(4), "boolean");
                    check(rs.getDate(5).toString().equals("2024-03-02"), "date -> java.sql.Date (" + rs.getDate(5) + ")");
                    check(rs.getTimestamp(6).equals(Timestamp.valueOf("2024-03-02 10:11:12.5")),
                            "timestamp -> Timestamp (" + rs.getTimestamp(6) + ")");
                    check(rs.getLong(7) == 5000000002L, "bigint -> long");
                    check(rs.getDouble(8) == 0.5, "double");
                    ResultSetMetaData rsm = rs.getMetaData();
                    check(rsm.getColumnType(1) == Types.INTEGER && rsm.getColumnType(3) == Types.NUMERIC
                            && rsm.getColumnType(4) == Types.BIT && rsm.getColumnType(5) == Types.DATE
                            && rsm.getColumnType(6) == Types.TIMESTAMP && rsm.getColumnType(7) == Types.BIGINT,
                            "ResultSetMetaData column types");
                    check(rsm.getColumnName(2).equals("customer"), "ResultSetMetaData column names");
                    check(rs.next() && rs.next(), "more rows");
                    check(rs.getString(2).equals("nulls") && rs.getBigDecimal(3) == null && rs.getDate(5) == null
                            && rs.getTimestamp(6) == null && rs.getObject(4) == null, "NULLs come back as null");
                    rs.getLong(7);
                    check(rs.wasNull(), "wasNull after a NULL bigint");
                    check(!rs.next(), "and no more");
                }
                // The same statement again: the driver switches to a named server-side statement.
                for (int round = 0; round < 6; round++) {
                    ps.setInt(1, 4);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!(rs.next() && rs.getInt(1) == 4 && !rs.next())) {
                            check(false, "reused PreparedStatement round " + round);
                        }
                    }
                }
                check(true, "a PreparedStatement reused six times (server-prepared after the threshold)");
            }

            // DatabaseMetaData.
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, null, "%order%", new String[] {"TABLE"})) {
                while (rs.next()) tables.add(rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
            }
            check(tables.equals(Arrays.asList("main.order_lines:TABLE", "main.orders:TABLE")), "getTables(TABLE) " + tables);
            List<String> views = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, "main", "%", new String[] {"VIEW"})) {
                while (rs.next()) views.add(rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
            }
            check(views.equals(Arrays.asList("big_orders:VIEW")), "getTables(VIEW) " + views);
            List<String> cols = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "main", "orders", "%")) {
                while (rs.next())
                    cols.add(rs.getInt("ORDINAL_POSITION") + ":" + rs.getString("COLUMN_NAME") + ":" + rs.getInt("DATA_TYPE")
                            + ":" + rs.getString("TYPE_NAME") + ":" + rs.getString("IS_NULLABLE"));
            }
            List<String> want = Arrays.asList("1:id:" + Types.INTEGER + ":int4:NO", "2:customer:" + Types.VARCHAR + ":text:NO",
                    "3:amount:" + Types.NUMERIC + ":numeric:YES", "4:paid:" + Types.BIT + ":bool:YES",
                    "5:day:" + Types.DATE + ":date:YES", "6:ts:" + Types.TIMESTAMP + ":timestamp:YES",
                    "7:qty:" + Types.BIGINT + ":int8:YES", "8:ratio:" + Types.DOUBLE + ":float8:YES");
            check(cols.equals(want), "getColumns " + cols);
            List<String> pk = new ArrayList<>();
            try (ResultSet rs = md.getPrimaryKeys(null, "main", "order_lines")) {
                while (rs.next()) pk.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("KEY_SEQ"));
            }
            check(pk.equals(Arrays.asList("order_id:1", "line:2")), "getPrimaryKeys (composite) " + pk);
            pk.clear();
            try (ResultSet rs = md.getPrimaryKeys(null, null, "orders")) {
                while (rs.next()) pk.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("KEY_SEQ"));
            }
            check(pk.equals(Arrays.asList("id:1")), "getPrimaryKeys " + pk);
            List<String> schemas = new ArrayList<>();
            try (ResultSet rs = md.getSchemas()) {
                while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
            }
            check(schemas.contains("main"), "getSchemas lists main " + schemas);

            // Transactions.
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO orders (id, customer) VALUES (10, 'tmp')");
                c.rollback();
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM orders WHERE id = 10")) {
                    rs.next();
                    check(rs.getInt(1) == 0, "rollback discards an insert");
                }
                st.executeUpdate("INSERT INTO orders (id, customer) VALUES (11, 'kept')");
                c.commit();
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM orders WHERE id = 11")) {
                    rs.next();
                    check(rs.getInt(1) == 1, "commit keeps an insert");
                }
                try {
                    st.executeUpdate("INSERT INTO orders (id, customer) VALUES (11, 'dup')");
                    check(false, "a duplicate key fails");
                } catch (SQLException e) {
                    check("23505".equals(e.getSQLState()), "a duplicate key fails with 23505 (" + e.getSQLState() + ")");
                }
                c.rollback();
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
                    rs.next();
                    check(rs.getInt(1) == 5, "after rollback the connection works (" + rs.getInt(1) + " rows)");
                }
                c.commit();
            }
            c.setAutoCommit(true);
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
