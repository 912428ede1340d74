package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.HygieneResponse;
import dev.keyturn.api.HygieneResponse.HygieneRow;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.spi.StoredSecret;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /v1/hygiene?prefix=P} ({@code keyturn doctor --managed}): the current values at or
 * below {@code P} that the caller may read (rows filtered by {@code read} in {@link Authorizer}),
 * checked as a put checks them ({@link PutChecks}), and compared with each other under a keyed
 * fingerprint: HMAC-SHA256 under a key derived from the root key, the same for the whole store, so
 * that {@code app/production/SECRET_KEY} and {@code app/development/SECRET_KEY} compare equal when
 * their values are. The fingerprints stay in this request's memory; the answer names equal secrets
 * only, and only among those the caller may read. Each value checked is audited as a read of its
 * version.
 */
final class HygieneApi {
  /** Label of the fingerprint key derived from the root key. */
  static final String KEY_LABEL = "keyturn hygiene fingerprint v1";

  /** The most secrets one answer covers; a bigger prefix is refused rather than cut. */
  static final int MAX_SECRETS = 10_000;

  private static final int SCAN_BATCH = 1000;

  private final SecretService service;
  private final byte[] key;
  private final JsonMapper json = dev.keyturn.api.WireJson.mapper();

  HygieneApi(SecretService service, byte[] key) {
    this.service = requireNonNull(service, "service");
    this.key = requireNonNull(key, "key").clone();
  }

  HygieneResponse check(Exchange ex) {
    String prefix = ex.query("prefix").orElse("");
    if (!prefix.matches("[A-Za-z0-9._/-]*")) {
      throw HttpError.badRequest("prefix may hold only letters, digits, '.', '_', '-' and '/'");
    }
    Map<String, List<String>> checks = new LinkedHashMap<>();
    Map<String, Integer> versions = new HashMap<>();
    Map<String, Set<String>> byFingerprint = new HashMap<>();
    Optional<String> after = Optional.empty();
    int checked = 0;
    while (true) {
      List<StoredSecret> batch = service.list(prefix, after, SCAN_BATCH);
      for (StoredSecret s : batch) {
        if (!ex.visible(s.name())) {
          continue;
        }
        if (checked == MAX_SECRETS) {
          throw HttpError.badRequest(
              "more than "
                  + MAX_SECRETS
                  + " secrets lie below '"
                  + prefix
                  + "'; narrow the prefix");
        }
        if (inspect(s.name(), ex, checks, versions, byFingerprint)) {
          checked++;
        }
      }
      if (batch.size() < SCAN_BATCH) {
        break;
      }
      after = Optional.of(batch.get(batch.size() - 1).name().value());
    }
    Map<String, Set<String>> same = new HashMap<>();
    for (Set<String> names : byFingerprint.values()) {
      if (names.size() > 1) {
        for (String n : names) {
          Set<String> others = same.computeIfAbsent(n, k -> new LinkedHashSet<>());
          names.stream().filter(o -> !o.equals(n)).forEach(others::add);
        }
      }
    }
    List<HygieneRow> rows = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : checks.entrySet()) {
      List<String> sameAs = List.copyOf(same.getOrDefault(e.getKey(), Set.of()));
      rows.add(new HygieneRow(e.getKey(), versions.get(e.getKey()), e.getValue(), sameAs));
    }
    long findings =
        rows.stream().filter(r -> !r.checks().isEmpty() || !r.sameAs().isEmpty()).count();
    ex.detail = "prefix=" + prefix + " checked=" + checked + " with findings=" + findings;
    return new HygieneResponse(prefix, checked, rows);
  }

  /** Checks one secret's current value; false when it has none. */
  private boolean inspect(
      SecretName name,
      Exchange ex,
      Map<String, List<String>> checks,
      Map<String, Integer> versions,
      Map<String, Set<String>> byFingerprint) {
    SecretValue value;
    try {
      value = service.read(name, Selector.current(), false);
    } catch (KeyturnException.NotFound e) {
      return false;
    }
    try {
      int version = value.version().number();
      ex.reads.add(new Exchange.Read(name, version, "hygiene"));
      versions.put(name.value(), version);
      byte[] bytes = value.plaintext().reveal();
      Set<String> found = new LinkedHashSet<>();
      if (value.version().type() == ValueType.JSON) {
        JsonNode node = json.readTree(bytes);
        PutChecks.Outcome outcome = PutChecks.json(name, node, true);
        found.addAll(outcome.allowedPlaceholders());
        found.addAll(outcome.warnings());
      } else {
        String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        PutChecks.Outcome outcome = PutChecks.text(name, text, true);
        found.addAll(outcome.allowedPlaceholders());
        found.addAll(outcome.warnings());
      }
      byFingerprint
          .computeIfAbsent(fingerprint(value.version().type(), bytes), k -> new LinkedHashSet<>())
          .add(name.value());
      Arrays.fill(bytes, (byte) 0);
      checks.put(name.value(), List.copyOf(found));
      return true;
    } finally {
      value.plaintext().destroy();
    }
  }

  private String fingerprint(ValueType type, byte[] value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(type.wireName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return HexFormat.of().formatHex(mac.doFinal(value));
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }
}
