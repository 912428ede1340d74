package dev.keyturn.targets;

import dev.keyturn.api.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeSet;
import org.postgresql.util.PasswordUtil;

/**
 * Target {@code postgresql} (alias {@code postgres}). Passwords are set with {@code ALTER ROLE ...
 * PASSWORD} and a SCRAM-SHA-256 verifier computed here, so the plaintext never reaches the server
 * or its log. Alternating users share a NOLOGIN owner role that holds the grants and owns the
 * objects; both users act as it ({@code ALTER ROLE ... SET role}), so a table either creates
 * belongs to both. The test is a login and {@code SELECT 1}.
 *
 * <p>Settings: {@code admin} (the secret holding an administrator's credential: a superuser, or a
 * role with CREATEROLE that may reassign the users' objects), and for alternating users {@code
 * username}, {@code alt-username} and {@code owner-role} (defaults: the current user, it with
 * {@code _b}, it with {@code _owner}); {@code timeout-seconds} (default 10). Extra fields of the
 * secret {@code sslmode} and {@code sslrootcert} go to the driver.
 */
public final class PostgresTarget extends DatabaseTarget {
  public static final String TYPE = "postgresql";

  @Override
  String engine() {
    return TYPE;
  }

  @Override
  boolean refused(SQLException e) {
    return "28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState());
  }

  @Override
  String code(SQLException e) {
    String state = Objects.requireNonNullElse(e.getSQLState(), "none");
    return "SQLState "
        + state
        + switch (state) {
          case "42501" -> ": the admin credential lacks a privilege";
          case "3D000" -> ": no such database";
          case "08001", "08006" -> ": cannot connect";
          default -> "";
        };
  }

  @Override
  String adminDatabase(DatabaseSecret app) {
    return app.dbname();
  }

  @Override
  Session session(
      DatabaseSecret admin, Connection connection, Map<String, String> settings, int timeout) {
    return new PgSession(admin, connection, timeout);
  }

  @Override
  Connection connect(DatabaseSecret secret, String dbname, int timeoutSeconds) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", secret.username());
    props.setProperty("password", secret.password());
    props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
    props.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
    props.setProperty("socketTimeout", Integer.toString(timeoutSeconds * 3));
    props.setProperty("ApplicationName", "keyturn");
    secret.extra("sslmode").ifPresent(v -> props.setProperty("sslmode", v));
    secret.extra("sslrootcert").ifPresent(v -> props.setProperty("sslrootcert", v));
    String host = secret.host().indexOf(':') >= 0 ? "[" + secret.host() + "]" : secret.host();
    return DriverManager.getConnection(
        "jdbc:postgresql://" + host + ":" + secret.port() + "/" + encodePath(dbname), props);
  }

  private static String encodePath(String dbname) {
    return java.net.URLEncoder.encode(dbname, java.nio.charset.StandardCharsets.UTF_8)
        .replace("+", "%20");
  }

  static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  private final class PgSession implements Session {
    private final DatabaseSecret admin;
    private final Connection connection;
    private final int timeoutSeconds;

    PgSession(DatabaseSecret admin, Connection connection, int timeoutSeconds) {
      this.admin = admin;
      this.connection = connection;
      this.timeoutSeconds = timeoutSeconds;
    }

    @Override
    public void changePassword(String user, String password) {
      String verifier = PasswordUtil.encodeScramSha256(password.toCharArray());
      try (Statement s = connection.createStatement()) {
        s.execute("ALTER ROLE " + ident(user) + " PASSWORD " + literal(verifier));
      } catch (SQLException e) {
        throw failed("change the password of " + user, e);
      }
    }

    @Override
    public List<String> differences(String user, String alt, String ownerRole) {
      List<String> out = new ArrayList<>();
      Map<String, Map<String, String>> roles = roles(List.of(user, alt));
      if (!roles.containsKey(user) || !roles.containsKey(alt)) {
        out.add((roles.containsKey(user) ? alt : user) + " does not exist");
        return out;
      }
      roles
          .get(user)
          .forEach((attribute, value) -> {
            if (!value.equals(roles.get(alt).get(attribute))) {
              out.add(attribute + " differs");
            }
          });
      if (!roles.get(user).get("member of").contains(ownerRole)) {
        out.add(user + " is not a member of " + ownerRole);
      }
      TreeSet<String> userGrants = grants(user);
      TreeSet<String> altGrants = grants(alt);
      for (String g : userGrants) {
        if (!altGrants.contains(g)) {
          out.add("only " + user + " has " + g);
        }
      }
      for (String g : altGrants) {
        if (!userGrants.contains(g)) {
          out.add("only " + alt + " has " + g);
        }
      }
      for (String u : List.of(user, alt)) {
        int owned = owned(u);
        if (owned > 0) {
          out.add(u + " owns " + owned + " objects the other cannot use");
        }
      }
      return out;
    }

    /** Role attributes, settings and memberships, by role name. */
    private Map<String, Map<String, String>> roles(List<String> names) {
      String sql =
          "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,"
              + " rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil,"
              + " coalesce(array_to_string(array(SELECT unnest(rolconfig) ORDER BY 1), ','), ''),"
              + " coalesce((SELECT string_agg(b.rolname, ',' ORDER BY b.rolname)"
              + "   FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid"
              + "   WHERE m.member = r.oid), '')"
              + " FROM pg_roles r WHERE rolname = ANY (?)";
      Map<String, Map<String, String>> out = new LinkedHashMap<>();
      try (PreparedStatement s = connection.prepareStatement(sql)) {
        s.setArray(1, connection.createArrayOf("text", names.toArray()));
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            Map<String, String> attributes = new LinkedHashMap<>();
            String[] labels = {
              "rolsuper",
              "rolinherit",
              "rolcreaterole",
              "rolcreatedb",
              "rolcanlogin",
              "rolreplication",
              "rolbypassrls",
              "rolconnlimit",
              "rolvaliduntil",
              "rolconfig",
              "member of"
            };
            for (int i = 0; i < labels.length; i++) {
              attributes.put(labels[i], String.valueOf(r.getString(i + 2)));
            }
            out.put(r.getString(1), attributes);
          }
        }
      } catch (SQLException e) {
        throw failed("read the roles", e);
      }
      return out;
    }

    /** The role's direct privileges in the admin session's database and on databases. */
    private TreeSet<String> grants(String role) {
      String grantee = "(SELECT oid FROM pg_roles WHERE rolname = ?)";
      String sql =
          "SELECT 'table ' || c.oid::regclass::text || ' ' || a.privilege_type"
              + " FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE a.grantee = "
              + grantee
              + " UNION ALL SELECT 'schema ' || quote_ident(n.nspname) || ' ' || a.privilege_type"
              + " FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a WHERE a.grantee = "
              + grantee
              + " UNION ALL SELECT 'database ' || quote_ident(d.datname) || ' ' || a.privilege_type"
              + " FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a WHERE a.grantee = "
              + grantee
              + " UNION ALL SELECT 'function ' || p.oid::regprocedure::text || ' ' ||"
              + " a.privilege_type FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a"
              + " WHERE a.grantee = "
              + grantee;
      TreeSet<String> out = new TreeSet<>();
      try (PreparedStatement s = connection.prepareStatement(sql)) {
        for (int i = 1; i <= 4; i++) {
          s.setString(i, role);
        }
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            out.add(r.getString(1));
          }
        }
      } catch (SQLException e) {
        throw failed("read the grants of " + role, e);
      }
      return out;
    }

    private int owned(String role) {
      try {
        return ownedIn(connection, role);
      } catch (SQLException e) {
        throw failed("read what " + role + " owns", e);
      }
    }

    @Override
    public List<String> setup(String user, String alt, String ownerRole, String password) {
      List<String> done = new ArrayList<>();
      try (Statement s = connection.createStatement()) {
        Map<String, Map<String, String>> roles = roles(List.of(user, alt, ownerRole));
        if (!roles.containsKey(user)) {
          throw new KeyturnException.InvalidInput(user + " does not exist on " + where(admin));
        }
        if (!roles.containsKey(ownerRole)) {
          s.execute("CREATE ROLE " + ident(ownerRole) + " NOLOGIN");
          done.add("created role " + ownerRole + " (NOLOGIN)");
        } else if ("true".equals(roles.get(ownerRole).get("rolcanlogin"))) {
          throw new KeyturnException.Conflict(
              ownerRole + " can log in; the owner role must be NOLOGIN");
        }
        if (!roles.containsKey(alt)) {
          String verifier = PasswordUtil.encodeScramSha256(password.toCharArray());
          s.execute("CREATE ROLE " + ident(alt) + " LOGIN PASSWORD " + literal(verifier));
          done.add("created user " + alt + " (its password is set by the first rotation)");
        }
        Map<String, String> reference = roles.get(user);
        Map<String, String> clone = roles(List.of(alt)).get(alt);
        TreeSet<String> memberships = new TreeSet<>(split(reference.get("member of")));
        memberships.add(ownerRole);
        for (String u : List.of(user, alt)) {
          List<String> has = split(roles(List.of(u)).get(u).get("member of"));
          for (String role : memberships) {
            if (!has.contains(role)) {
              s.execute("GRANT " + ident(role) + " TO " + ident(u));
              done.add("granted " + role + " to " + u);
            }
          }
        }
        if (!reference.get("rolconnlimit").equals(clone.get("rolconnlimit"))) {
          s.execute(
              "ALTER ROLE "
                  + ident(alt)
                  + " CONNECTION LIMIT "
                  + Integer.parseInt(reference.get("rolconnlimit")));
          done.add("set the connection limit of " + alt + " to that of " + user);
        }
        if (!reference.get("rolvaliduntil").equals(clone.get("rolvaliduntil"))) {
          String until = reference.get("rolvaliduntil");
          s.execute(
              "ALTER ROLE "
                  + ident(alt)
                  + " VALID UNTIL "
                  + literal(until.equals("null") ? "infinity" : until));
          done.add("set the expiry of " + alt + " to that of " + user);
        }
        for (String u : List.of(user, alt)) {
          List<String> config = split(roles(List.of(u)).get(u).get("rolconfig"));
          if (!config.contains("role=" + ownerRole)) {
            s.execute("ALTER ROLE " + ident(u) + " SET role = " + literal(ownerRole));
            done.add(u + " now acts as " + ownerRole + " (objects it creates belong to both)");
          }
        }
      } catch (SQLException e) {
        throw failed("set up " + alt + " and " + ownerRole, e);
      }
      for (String database : databases()) {
        done.addAll(moveToOwner(database, user, alt, ownerRole));
      }
      return done;
    }

    private static List<String> split(String list) {
      return list.isEmpty() ? List.of() : List.of(list.split(","));
    }

    private List<String> databases() {
      List<String> out = new ArrayList<>();
      try (Statement s = connection.createStatement();
          ResultSet r =
              s.executeQuery(
                  "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
                      + " ORDER BY datname")) {
        while (r.next()) {
          out.add(r.getString(1));
        }
      } catch (SQLException e) {
        throw failed("list the databases", e);
      }
      return out;
    }

    /**
     * In one database: objects either user owns go to the owner role ({@code REASSIGN OWNED}), and
     * privileges granted to either user directly are granted to the owner role instead.
     */
    private List<String> moveToOwner(String database, String user, String alt, String ownerRole) {
      List<String> done = new ArrayList<>();
      try (Connection c = connect(admin, database, timeoutSeconds);
          Statement s = c.createStatement()) {
        for (String u : List.of(user, alt)) {
          int owned = ownedIn(c, u);
          if (owned > 0) {
            s.execute("REASSIGN OWNED BY " + ident(u) + " TO " + ident(ownerRole));
            done.add(
                "moved " + owned + " objects of " + u + " to " + ownerRole + " in " + database);
          }
          List<String> grants = directGrants(c, u);
          for (String on : grants) {
            s.execute("GRANT " + on + " TO " + ident(ownerRole));
            s.execute("REVOKE " + on + " FROM " + ident(u));
          }
          if (!grants.isEmpty()) {
            done.add(
                "moved "
                    + grants.size()
                    + " direct grants of "
                    + u
                    + " to "
                    + ownerRole
                    + " in "
                    + database);
          }
        }
      } catch (SQLException e) {
        throw failed("move objects and grants to " + ownerRole + " in " + database, e);
      }
      return done;
    }

    /** Tables, views, sequences, schemas and functions of this database the role owns itself. */
    private static int ownedIn(Connection c, String role) throws SQLException {
      String owner = "(SELECT oid FROM pg_roles WHERE rolname = ?)";
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT (SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p', 'v', 'm', 'S',"
                  + " 'f') AND relowner = "
                  + owner
                  + ") + (SELECT count(*) FROM pg_namespace WHERE nspowner = "
                  + owner
                  + ") + (SELECT count(*) FROM pg_proc WHERE proowner = "
                  + owner
                  + ")")) {
        for (int i = 1; i <= 3; i++) {
          s.setString(i, role);
        }
        try (ResultSet r = s.executeQuery()) {
          r.next();
          return r.getInt(1);
        }
      }
    }

    /** "PRIVILEGE ON KIND object" clauses for the role's direct grants in this database. */
    private static List<String> directGrants(Connection c, String role) throws SQLException {
      String grantee = "(SELECT oid FROM pg_roles WHERE rolname = ?)";
      String sql =
          "SELECT a.privilege_type || ' ON ' || CASE WHEN c.relkind = 'S' THEN 'SEQUENCE '"
              + " ELSE 'TABLE ' END || c.oid::regclass::text"
              + " FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE a.grantee = "
              + grantee
              + " UNION ALL SELECT a.privilege_type || ' ON SCHEMA ' || quote_ident(n.nspname)"
              + " FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a WHERE a.grantee = "
              + grantee
              + " UNION ALL SELECT a.privilege_type || ' ON FUNCTION ' || p.oid::regprocedure::text"
              + " FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a WHERE a.grantee = "
              + grantee
              + " UNION ALL SELECT a.privilege_type || ' ON DATABASE ' || quote_ident(d.datname)"
              + " FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a"
              + " WHERE d.datname = current_database() AND a.grantee = "
              + grantee;
      List<String> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(sql)) {
        for (int i = 1; i <= 4; i++) {
          s.setString(i, role);
        }
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            out.add(r.getString(1));
          }
        }
      }
      return out;
    }

    private KeyturnException.TargetFailure failed(String what, SQLException e) {
      return PostgresTarget.this.failed(admin, what, e);
    }

    @Override
    public void close() {
      try {
        connection.close();
      } catch (SQLException e) {
        // closing a session that failed; nothing to do
      }
    }
  }
}
