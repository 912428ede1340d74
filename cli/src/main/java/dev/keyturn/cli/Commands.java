package dev.keyturn.cli;

import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.SecretListResponse;
import dev.keyturn.api.SecretSummary;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import dev.keyturn.api.WireJson;
import dev.keyturn.api.WriteResponse;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.core.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The commands {@link FastCli} answers, over {@link PlainHttp}, in the order of checks and with the
 * output of their picocli twins ({@link GetCommand}, {@link PutCommand}, {@link LsCommand}, {@link
 * StatusCommand}). An answer is read with core's {@link Json} when it has exactly the expected
 * fields and types, else with the client's Jackson mapper, so that odd answers fail as in {@code
 * WireClient}.
 */
final class Commands {
  static final Set<String> NAMES = Set.of("get", "put", "ls", "status");

  private final Io io;
  private final PlainHttp http;

  Commands(Io io, PlainHttp http) {
    this.io = io;
    this.http = http;
  }

  int run(FastCli.Line line) throws IOException {
    return switch (line.command) {
      case "get" -> get(line);
      case "put" -> put(line);
      case "ls" -> ls(line.positional());
      default -> status(line.positional());
    };
  }

  private int get(FastCli.Line line) {
    String name = name(line.positional());
    Map<String, String> query = new LinkedHashMap<>();
    if (line.values.containsKey("--version")) {
      query.put("version", Integer.toString(Integer.parseInt(line.values.get("--version"))));
    }
    if (line.values.containsKey("--stage")) {
      query.put("stage", line.values.get("--stage"));
    }
    byte[] body = ok(http.send("GET", "/v1/secrets/" + name + FastCli.Line.query(query), null));
    Map<String, Object> o = object(body, Set.of("name", "version", "stage", "value", "created_at"));
    String text;
    if (o != null
        && o.get("name") instanceof String
        && isInt(o.get("version"))
        && stringOrNull(o.get("stage"))
        && o.get("value") instanceof String
        && stringOrNull(o.get("created_at"))) {
      text = (String) o.get("value");
    } else {
      SecretValueResponse value = jackson(body, SecretValueResponse.class);
      text =
          value.value().isString()
              ? value.value().stringValue()
              : WireJson.mapper().writeValueAsString(value.value());
    }
    Listings.value(io, text, line.flags.contains("--raw"));
    return ExitCode.OK;
  }

  private int put(FastCli.Line line) throws IOException {
    String secret = line.positional();
    byte[] bytes = io.in().readAllBytes();
    String text =
        ValueInput.utf8(
            ValueInput.trimNewline(bytes, line.flags.contains("--keep-newline")), "standard input");
    Arrays.fill(bytes, (byte) 0);
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("value", text);
    if (line.values.containsKey("--grace")) {
      request.put("grace", line.values.get("--grace"));
    }
    if (line.flags.contains("--pending")) {
      request.put("stage", "pending");
    }
    String name = name(secret);
    byte[] json = Json.write(request).getBytes(StandardCharsets.UTF_8);
    byte[] body;
    try {
      body = ok(http.send("PUT", "/v1/secrets/" + name, json));
    } finally {
      Arrays.fill(json, (byte) 0);
    }
    Map<String, Object> o =
        object(body, Set.of("name", "version", "stage", "created_at", "accept_until", "warnings"));
    String version;
    String stage;
    List<String> warnings;
    if (o != null
        && stringOrNull(o.get("name"))
        && isInt(o.get("version"))
        && stringOrNull(o.get("stage"))
        && stringOrNull(o.get("created_at"))
        && stringOrNull(o.get("accept_until"))
        && strings(o.getOrDefault("warnings", List.of()))) {
      version = Integer.toString(((Json.Number) o.get("version")).intValue().getAsInt());
      stage = o.get("stage") == Json.NULL ? "null" : (String) o.get("stage");
      @SuppressWarnings("unchecked")
      List<String> w = (List<String>) o.getOrDefault("warnings", List.of());
      warnings = w;
    } else {
      WriteResponse written = jackson(body, WriteResponse.class);
      version = Integer.toString(written.version());
      stage = written.stage();
      warnings = written.warnings();
    }
    PutCommand.warn(io, secret, warnings);
    io.out().println(secret + ": version " + version + " is " + stage);
    return ExitCode.OK;
  }

  private int ls(String prefix) {
    List<SecretSummary> all = new ArrayList<>();
    String page = null;
    do {
      Map<String, String> query = new LinkedHashMap<>();
      if (!prefix.isEmpty()) {
        query.put("prefix", prefix);
      }
      if (page != null) {
        query.put("page_token", page);
      }
      byte[] body = ok(http.send("GET", "/v1/secrets" + FastCli.Line.query(query), null));
      SecretListResponse response = secretList(body);
      all.addAll(response.secrets());
      page = response.nextPageToken();
    } while (page != null);
    Listings.secrets(io, prefix, all);
    return ExitCode.OK;
  }

  private static SecretListResponse secretList(byte[] body) {
    Map<String, Object> o = object(body, Set.of("secrets", "next_page_token"));
    if (o != null
        && o.get("secrets") instanceof List<?> list
        && stringOrNull(o.get("next_page_token"))) {
      List<SecretSummary> rows = new ArrayList<>();
      for (Object item : list) {
        Map<String, Object> s =
            fields(item, Set.of("name", "current_version", "version_count", "updated_at"));
        if (s == null
            || !stringOrNull(s.get("name"))
            || !(s.get("current_version") == Json.NULL || isInt(s.get("current_version")))
            || !isInt(s.get("version_count"))
            || !stringOrNull(s.get("updated_at"))) {
          return jackson(body, SecretListResponse.class);
        }
        rows.add(
            new SecretSummary(
                string(s.get("name")),
                s.get("current_version") == Json.NULL ? null : intOf(s.get("current_version")),
                intOf(s.get("version_count")),
                string(s.get("updated_at"))));
      }
      return new SecretListResponse(rows, string(o.get("next_page_token")));
    }
    return jackson(body, SecretListResponse.class);
  }

  private int status(String prefix) {
    Map<String, String> query = new LinkedHashMap<>();
    if (!prefix.isEmpty()) {
      query.put("prefix", prefix);
    }
    byte[] body = ok(http.send("GET", "/v1/status" + FastCli.Line.query(query), null));
    Listings.status(io, statusOf(body));
    return ExitCode.OK;
  }

  private static final List<String> STATUS_FIELDS =
      List.of(
          "name",
          "owner",
          "strategy",
          "last_rotated",
          "next_due",
          "grace_until",
          "state",
          "rotation_id");

  /** A row's version numbers, each left out when there is none. */
  private static final List<String> STATUS_VERSIONS =
      List.of("current_version", "pending_version", "previous_version");

  private static final Set<String> STATUS_KEYS = statusKeys();

  private static Set<String> statusKeys() {
    Set<String> keys = new java.util.HashSet<>(STATUS_FIELDS);
    keys.addAll(STATUS_VERSIONS);
    keys.add("type");
    return Set.copyOf(keys);
  }

  /**
   * The board as the server sends it (rows with their type and version numbers, {@code backups}
   * null), read without Jackson; anything else (waiting or failed consumers, scheduled backups, a
   * page) through Jackson, which takes about a tenth of a second more to start.
   */
  private static StatusResponse statusOf(byte[] body) {
    StatusResponse fast = plainStatus(body);
    return fast != null ? fast : jackson(body, StatusResponse.class);
  }

  /** The board read without Jackson, or null when it holds more than a plain board. */
  static StatusResponse plainStatus(byte[] body) {
    Map<String, Object> o = object(body, Set.of("secrets", "backups"));
    if (o != null
        && (o.get("backups") == null || o.get("backups") == Json.NULL)
        && o.get("secrets") instanceof List<?> list) {
      List<StatusRow> rows = new ArrayList<>();
      for (Object item : list) {
        Map<String, Object> r = fields(item, STATUS_KEYS);
        if (r == null
            || !STATUS_FIELDS.stream().allMatch(f -> stringOrNull(r.get(f)))
            || !(r.get("type") == null || r.get("type") instanceof String)
            || !STATUS_VERSIONS.stream().allMatch(f -> r.get(f) == null || isInt(r.get(f)))) {
          return null;
        }
        rows.add(
            new StatusRow(
                string(r.get("name")),
                string(r.get("owner")),
                string(r.get("strategy")),
                string(r.get("last_rotated")),
                string(r.get("next_due")),
                string(r.get("grace_until")),
                string(r.get("state")),
                string(r.get("rotation_id")),
                null,
                null,
                (String) r.get("type"),
                versionOrNull(r.get("current_version")),
                versionOrNull(r.get("pending_version")),
                versionOrNull(r.get("previous_version"))));
      }
      return new StatusResponse(rows);
    }
    return null;
  }

  private static Integer versionOrNull(Object value) {
    return value == null ? null : intOf(value);
  }

  /** The body of a 2xx answer; an error answer as the client's exception for it. */
  static byte[] ok(PlainHttp.Response response) {
    int status = response.status();
    if (status >= 200 && status < 300) {
      return response.body();
    }
    Map<String, Object> o = object(response.body(), Set.of("error"));
    Map<String, Object> e =
        o == null
            ? null
            : fields(o.get("error"), Set.of("code", "message", "rotation_id", "check"));
    if (e != null
        && e.get("code") instanceof String code
        && e.get("message") instanceof String message
        && (!e.containsKey("rotation_id") || e.get("rotation_id") instanceof String)
        && (!e.containsKey("check") || e.get("check") instanceof String)) {
      throw KeyturnClientException.of(status, code, message, (String) e.get("rotation_id"));
    }
    // as WireClient reads it
    String code = "http_" + status;
    String message = "HTTP " + status;
    String rotationId = null;
    try {
      ErrorResponse error = WireJson.mapper().readValue(response.body(), ErrorResponse.class);
      if (error.error() != null) {
        code = error.error().code();
        message = error.error().message();
        rotationId = error.error().rotationId();
      }
    } catch (tools.jackson.core.JacksonException ignored) {
      // Not a Keyturn error body (a proxy's page, say): keep the status alone.
    }
    throw KeyturnClientException.of(status, code, message, rotationId);
  }

  /** A 2xx body read as {@code WireClient} reads it. */
  static <T> T jackson(byte[] body, Class<T> type) {
    try {
      return WireJson.mapper().readValue(body, type);
    } catch (tools.jackson.core.JacksonException e) {
      throw new KeyturnClientException(
          200, "invalid_response", "the server's answer is not what this client expects");
    }
  }

  /** The body as a JSON object with exactly the keys {@code keys}, else null. */
  static Map<String, Object> object(byte[] body, Set<String> keys) {
    Object parsed;
    try {
      parsed = Json.parse(body);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return fields(parsed, keys);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> fields(Object value, Set<String> keys) {
    if (value instanceof Map<?, ?> map && keys.containsAll(map.keySet())) {
      return (Map<String, Object>) map;
    }
    return null;
  }

  static boolean strings(Object value) {
    return value instanceof List<?> list && list.stream().allMatch(String.class::isInstance);
  }

  static boolean isInt(Object value) {
    return value instanceof Json.Number n && n.intValue().isPresent();
  }

  private static int intOf(Object value) {
    return ((Json.Number) value).intValue().getAsInt();
  }

  static boolean stringOrNull(Object value) {
    return value instanceof String || value == Json.NULL;
  }

  private static String string(Object value) {
    return value == Json.NULL ? null : (String) value;
  }

  /** The secret name checked as {@code WireClient} checks it before sending. */
  static String name(String name) {
    return dev.keyturn.client.internal.Names.secret(name);
  }
}
