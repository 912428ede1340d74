package dev.keyturn.server;

import dev.keyturn.api.WireJson;
import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The shape a value supplied to {@code POST /v1/rotate/{name}} must have, checked before anything
 * is stored (issue 11 item 1): only a {@code manual} rule takes one; a JSON secret takes a JSON
 * object; a database secret takes one whose every field but {@code password} equals the current
 * value's and the identity the rule pins (engine, host, port, dbname, username), so a rotator can
 * change the password of the account the admin chose, and nothing else. Messages never quote a
 * value.
 */
final class SuppliedValues {
  private static final Set<String> PINNED = Set.of("engine", "host", "port", "dbname", "username");

  private SuppliedValues() {}

  static void check(
      Optional<RotationRule> rule, SecretService secrets, SecretName name, Plaintext supplied) {
    if (rule.isEmpty()) {
      throw new KeyturnException.NotFound(
          name + " has no rotation rule (set one with keyturn rotation set)");
    }
    if (rule.get().strategy() != Strategy.MANUAL) {
      throw new KeyturnException.InvalidInput(
          name
              + " is rotated with generated values ("
              + rule.get().generator().spec()
              + "): a value may be supplied only under a manual rule");
    }
    SecretValue current = secrets.read(name, Selector.current(), false);
    boolean database = DatabaseSecret.canonicalEngine(rule.get().targetType()).isPresent();
    if (current.version().type() != ValueType.JSON && !database) {
      return;
    }
    JsonNode given = object(supplied.reveal(), name + ": the new value must be a JSON object");
    if (!database) {
      return;
    }
    JsonNode now = object(current.plaintext().reveal(), name + "'s current value is not JSON");
    Set<String> fields = new TreeSet<>();
    now.propertyNames().forEach(fields::add);
    given.propertyNames().forEach(fields::add);
    fields.remove("password");
    for (String field : fields) {
      if (!given.has(field) || !now.has(field) || !given.get(field).equals(now.get(field))) {
        throw new KeyturnException.InvalidInput(
            name
                + ": a supplied value changes the password only; field '"
                + field
                + "' differs from the current value (an admin changes the identity with"
                + " keyturn rotation set)");
      }
    }
    if (!given.path("password").isString() || given.path("password").asString().isEmpty()) {
      throw new KeyturnException.InvalidInput(name + ": the new value needs a 'password'");
    }
    for (Map.Entry<String, String> pin : rule.get().target().entrySet()) {
      if (PINNED.contains(pin.getKey())
          && given.has(pin.getKey())
          && !given.get(pin.getKey()).asString().equals(pin.getValue())) {
        throw new KeyturnException.InvalidInput(
            name
                + ": field '"
                + pin.getKey()
                + "' differs from the identity the rule pins (keyturn rotation show)");
      }
    }
  }

  private static JsonNode object(byte[] bytes, String message) {
    try {
      JsonNode node = WireJson.mapper().readTree(bytes);
      if (node != null && node.isObject()) {
        return node;
      }
    } catch (JacksonException e) {
      // not JSON: the message below says so without quoting it
    }
    throw new KeyturnException.InvalidInput(message);
  }
}
