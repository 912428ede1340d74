package dev.keyturn.targets;

import static dev.keyturn.targets.PostgresTarget.ident;
import static dev.keyturn.targets.PostgresTarget.literal;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.postgresql.util.PasswordUtil;

/**
 * An administrative session on PostgreSQL for one rule: password changes, the parity check of the
 * alternating users, and their setup. The session's {@code search_path} is {@code pg_catalog,
 * pg_temp} (set at connect and again here), and every catalog table and function is
 * schema-qualified, so a function or operator an app user plants in a database it owns is never
 * resolved by this superuser session. Not thread-safe: one rotation step uses it, then closes it.
 *
 * <p>Parity covers role attributes, settings and memberships; direct privileges on tables,
 * sequences, schemas, functions and databases; privileges granted by default ({@code
 * pg_default_acl}); and ownership (of databases, schemas and objects). Setup hands databases and
 * objects either user owns to the owner role, and moves direct and default grants to it, so that
 * whichever user is current can run a migration on what the other made.
 */
final class PostgresSession implements DatabaseTarget.Session {
  private static final String ROLE_OID = "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ?)";

  private final PostgresTarget target;
  private final Endpoint where;
  private final DatabaseSecret admin;
  private final Connection connection;
  private final int timeoutSeconds;

  PostgresSession(
      PostgresTarget target,
      Endpoint where,
      DatabaseSecret admin,
      Connection connection,
      int timeoutSeconds) {
    this.target = target;
    this.where = where;
    this.admin = admin;
    this.connection = connection;
    this.timeoutSeconds = timeoutSeconds;
    try {
      pinSearchPath(connection);
    } catch (SQLException e) {
      close();
      throw failed("set the search_path", e);
    }
  }

  /** Pins the session's {@code search_path} whatever the database or role settings say. */
  private static Connection pinSearchPath(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET search_path = " + PostgresTarget.SEARCH_PATH);
    }
    return c;
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
    if (!split(roles.get(user).get("member of")).contains(ownerRole)) {
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
      for (String database : ownedDatabases(u)) {
        out.add(u + " owns the database " + database + " (the other cannot create in it)");
      }
      int owned = owned(u);
      if (owned > 0) {
        out.add(u + " owns " + owned + " objects the other cannot alter or drop");
      }
    }
    return out;
  }

  /** Role attributes, settings and memberships, by role name. */
  private Map<String, Map<String, String>> roles(List<String> names) {
    String sql =
        "SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb,"
            + " r.rolcanlogin, r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil,"
            + " pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.unnest(r.rolconfig)"
            + "   ORDER BY 1), ','),"
            + " COALESCE((SELECT pg_catalog.string_agg(b.rolname::text, ',' ORDER BY b.rolname)"
            + "   FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles b"
            + "   ON b.oid = m.roleid WHERE m.member = r.oid), '')"
            + " FROM pg_catalog.pg_roles r WHERE r.rolname::text = ANY (?)";
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
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      s.setArray(1, connection.createArrayOf("text", names.toArray()));
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          Map<String, String> attributes = new LinkedHashMap<>();
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

  /**
   * The role's direct privileges in the session's database (tables, sequences, schemas, functions),
   * on databases, and granted to it by default privileges, one line each.
   */
  private TreeSet<String> grants(String role) {
    String sql =
        "SELECT 'table ' || c.oid::pg_catalog.regclass::text || ' ' || a.privilege_type"
            + " FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a"
            + " WHERE a.grantee = "
            + ROLE_OID
            + " UNION ALL SELECT 'schema ' || pg_catalog.quote_ident(n.nspname::text) || ' ' ||"
            + " a.privilege_type FROM pg_catalog.pg_namespace n"
            + " CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a WHERE a.grantee = "
            + ROLE_OID
            + " UNION ALL SELECT 'database ' || pg_catalog.quote_ident(d.datname::text) || ' ' ||"
            + " a.privilege_type FROM pg_catalog.pg_database d"
            + " CROSS JOIN LATERAL pg_catalog.aclexplode(d.datacl) a WHERE a.grantee = "
            + ROLE_OID
            + " UNION ALL SELECT 'function ' || p.oid::pg_catalog.regprocedure::text || ' ' ||"
            + " a.privilege_type FROM pg_catalog.pg_proc p"
            + " CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a WHERE a.grantee = "
            + ROLE_OID
            + " UNION ALL SELECT 'by default ' || "
            + DEFAULT_KIND
            + " || ' ' || a.privilege_type || ' (objects of ' ||"
            + " pg_catalog.quote_ident(o.rolname::text) || COALESCE(' in schema ' ||"
            + " pg_catalog.quote_ident(n.nspname::text), '') || ')'"
            + DEFAULT_ACL_FROM
            + " WHERE a.grantee <> d.defaclrole AND a.grantee = "
            + ROLE_OID;
    TreeSet<String> out = new TreeSet<>();
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      for (int i = 1; i <= 5; i++) {
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

  /** What kind of objects a default privilege covers, as ALTER DEFAULT PRIVILEGES names them. */
  private static final String DEFAULT_KIND =
      "CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN"
          + " 'FUNCTIONS' WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' END";

  private static final String DEFAULT_ACL_FROM =
      " FROM pg_catalog.pg_default_acl d JOIN pg_catalog.pg_roles o ON o.oid = d.defaclrole"
          + " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace"
          + " CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a";

  private List<String> ownedDatabases(String role) {
    List<String> out = new ArrayList<>();
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT d.datname FROM pg_catalog.pg_database d WHERE d.datdba = "
                + ROLE_OID
                + " ORDER BY 1")) {
      s.setString(1, role);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(r.getString(1));
        }
      }
    } catch (SQLException e) {
      throw failed("read the databases " + role + " owns", e);
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
        throw new KeyturnException.InvalidInput(user + " does not exist on " + where());
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
      for (String u : List.of(user, alt)) {
        for (String database : ownedDatabases(u)) {
          s.execute("ALTER DATABASE " + ident(database) + " OWNER TO " + ident(ownerRole));
          done.add("gave the database " + database + " of " + u + " to " + ownerRole);
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
                "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT"
                    + " datistemplate ORDER BY datname")) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    } catch (SQLException e) {
      throw failed("list the databases", e);
    }
    return out;
  }

  /**
   * In one database: objects either user owns (schemas included) go to the owner role ({@code
   * REASSIGN OWNED}), and privileges granted to either user directly or by default are granted to
   * the owner role instead.
   */
  private List<String> moveToOwner(String database, String user, String alt, String ownerRole) {
    List<String> done = new ArrayList<>();
    try (Connection c = pinSearchPath(target.connect(where, admin, database, timeoutSeconds));
        Statement s = c.createStatement()) {
      for (String u : List.of(user, alt)) {
        int owned = ownedIn(c, u);
        if (owned > 0) {
          s.execute("REASSIGN OWNED BY " + ident(u) + " TO " + ident(ownerRole));
          done.add("moved " + owned + " objects of " + u + " to " + ownerRole + " in " + database);
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
        List<String[]> defaults = defaultGrants(c, u);
        for (String[] d : defaults) {
          s.execute(d[0] + " GRANT " + d[1] + " TO " + ident(ownerRole));
          s.execute(d[0] + " REVOKE " + d[1] + " FROM " + ident(u));
        }
        if (!defaults.isEmpty()) {
          done.add(
              "moved "
                  + defaults.size()
                  + " default privileges of "
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
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class WHERE relkind IN ('r',"
                + " 'p', 'v', 'm', 'S', 'f') AND relowner = "
                + ROLE_OID
                + ") + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace WHERE nspowner = "
                + ROLE_OID
                + ") + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc WHERE proowner = "
                + ROLE_OID
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
    String sql =
        "SELECT a.privilege_type || ' ON ' || CASE WHEN c.relkind = 'S' THEN 'SEQUENCE '"
            + " ELSE 'TABLE ' END || c.oid::pg_catalog.regclass::text"
            + " FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a"
            + " WHERE a.grantee = "
            + ROLE_OID
            + " UNION ALL SELECT a.privilege_type || ' ON SCHEMA ' ||"
            + " pg_catalog.quote_ident(n.nspname::text) FROM pg_catalog.pg_namespace n"
            + " CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a WHERE a.grantee = "
            + ROLE_OID
            + " UNION ALL SELECT a.privilege_type || ' ON FUNCTION ' ||"
            + " p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_proc p"
            + " CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a WHERE a.grantee = "
            + ROLE_OID
            + " UNION ALL SELECT a.privilege_type || ' ON DATABASE ' ||"
            + " pg_catalog.quote_ident(d.datname::text) FROM pg_catalog.pg_database d"
            + " CROSS JOIN LATERAL pg_catalog.aclexplode(d.datacl) a"
            + " WHERE d.datname = pg_catalog.current_database() AND a.grantee = "
            + ROLE_OID;
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

  /**
   * Default privileges granted to the role in this database, each as {@code ALTER DEFAULT
   * PRIVILEGES FOR ROLE r [IN SCHEMA s]} and {@code PRIVILEGE ON KIND}.
   */
  private static List<String[]> defaultGrants(Connection c, String role) throws SQLException {
    String sql =
        "SELECT 'ALTER DEFAULT PRIVILEGES FOR ROLE ' || pg_catalog.quote_ident(o.rolname::text)"
            + " || COALESCE(' IN SCHEMA ' || pg_catalog.quote_ident(n.nspname::text), ''),"
            + " a.privilege_type || ' ON ' || "
            + DEFAULT_KIND
            + DEFAULT_ACL_FROM
            + " WHERE a.grantee <> d.defaclrole AND a.grantee = "
            + ROLE_OID;
    List<String[]> out = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, role);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(new String[] {r.getString(1), r.getString(2)});
        }
      }
    }
    return out;
  }

  private String where() {
    return DatabaseTarget.where(admin);
  }

  private KeyturnException.TargetFailure failed(String what, SQLException e) {
    return target.failed(admin, what, e);
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
