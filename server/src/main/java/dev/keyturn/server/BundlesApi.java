package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.BundleEntry;
import dev.keyturn.api.BundleResponse;
import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /v1/bundles?prefix=P}: every current value one level below {@code P} that the caller
 * may read, in one answer, for {@code keyturn run}, {@code render} and agents. Secrets the caller
 * may not read are left out (the route's rows are filtered by {@code read} in {@link Authorizer}),
 * as are secrets deeper below {@code P} and secrets without a current value. Each secret returned
 * is audited as a read of its version ({@link Exchange#reads}), in the records that are durable
 * before the answer is sent.
 */
final class BundlesApi {
  /** The most secrets one bundle holds; a bigger folder is refused rather than cut. */
  static final int MAX_SECRETS = 1000;

  private static final int SCAN_BATCH = 1000;

  private final SecretService service;
  private final JsonMapper json = WireJson.mapper();

  BundlesApi(SecretService service) {
    this.service = requireNonNull(service, "service");
  }

  BundleResponse bundle(Exchange ex) {
    String prefix = folder(ex.query("prefix").orElse(""));
    boolean keyring = ex.flag("keyring");
    String under = prefix.isEmpty() ? "" : prefix + "/";
    List<BundleEntry> entries = new ArrayList<>();
    Optional<String> after = Optional.empty();
    while (true) {
      List<StoredSecret> batch = service.list(under, after, SCAN_BATCH);
      for (StoredSecret s : batch) {
        String rest = s.name().value().substring(under.length());
        if (rest.contains("/") || !ex.visible(s.name())) {
          continue;
        }
        if (entries.size() == MAX_SECRETS) {
          throw HttpError.badRequest(
              "more than " + MAX_SECRETS + " secrets lie below '" + prefix + "'; split the folder");
        }
        entry(s.name(), keyring, ex).ifPresent(entries::add);
      }
      if (batch.size() < SCAN_BATCH) {
        break;
      }
      after = Optional.of(batch.get(batch.size() - 1).name().value());
    }
    ex.detail = "prefix=" + prefix + " secrets=" + entries.size() + (keyring ? " keyring" : "");
    return new BundleResponse(prefix, entries);
  }

  /**
   * The prefix as a folder: empty (the top level) or a canonical name; one trailing {@code /} is
   * allowed.
   */
  static String folder(String raw) {
    String prefix = raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
    if (prefix.isEmpty()) {
      return prefix;
    }
    try {
      return SecretName.of(prefix).value();
    } catch (KeyturnException.InvalidInput e) {
      throw HttpError.badRequest(
          "prefix must be empty or a canonical secret name: " + e.getMessage());
    }
  }

  /** The secret's current value (and its fallbacks), or empty when it has no current value. */
  private Optional<BundleEntry> entry(SecretName name, boolean keyring, Exchange ex) {
    List<SecretValue> values;
    try {
      values =
          keyring ? service.keyring(name) : List.of(service.read(name, Selector.current(), false));
    } catch (KeyturnException.NotFound e) {
      // Deleted, or only a pending version: nothing current to deliver.
      return Optional.empty();
    }
    try {
      Optional<SecretValue> current =
          values.stream().filter(v -> v.version().stage() == Stage.CURRENT).findFirst();
      if (current.isEmpty()) {
        return Optional.empty();
      }
      Version v = current.get().version();
      List<KeyringEntry> fallbacks = null;
      if (keyring) {
        // The pending version first, then previous ones newest first: the order Django's
        // SECRET_KEY_FALLBACKS wants, and the first is what a verifier's VAR_OLD takes.
        fallbacks = new ArrayList<>();
        List<SecretValue> others = new ArrayList<>(values);
        others.sort(
            Comparator.comparing((SecretValue o) -> o.version().stage() != Stage.PENDING)
                .thenComparing(o -> -o.version().number()));
        for (SecretValue other : others) {
          Version o = other.version();
          if (o.stage() != Stage.CURRENT) {
            fallbacks.add(
                new KeyringEntry(
                    o.number(),
                    o.stage().wireName(),
                    valueNode(other),
                    SecretsApi.time(o.acceptUntil())));
          }
        }
      }
      ex.reads.add(
          new Exchange.Read(
              name,
              v.number(),
              "bundle"
                  + (fallbacks == null
                      ? ""
                      : " fallbacks "
                          + fallbacks.stream().map(f -> String.valueOf(f.version())).toList())));
      return Optional.of(
          new BundleEntry(
              name.value(),
              v.number(),
              v.stage().wireName(),
              v.type().wireName(),
              valueNode(current.get()),
              SecretsApi.time(v.createdAt()),
              fallbacks));
    } finally {
      values.forEach(value -> value.plaintext().destroy());
    }
  }

  private JsonNode valueNode(SecretValue value) {
    byte[] bytes = value.plaintext().reveal();
    if (value.version().type() == ValueType.JSON) {
      return json.readTree(bytes);
    }
    return json.getNodeFactory().stringNode(new String(bytes, StandardCharsets.UTF_8));
  }
}
