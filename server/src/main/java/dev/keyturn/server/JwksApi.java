package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.keyring.JwtKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/jwks/{name}}: the public keys of a key-pair secret whose rule says {@code jwks:
 * public}, as a JWK Set, with no token. Every other name (unknown, invalid, without a rule, with a
 * rule that does not publish, or whose keys cannot be read) gets the same 404 with the same body
 * after the same one rule lookup, so the route tells nobody which names exist. The set is rebuilt
 * only when the keyring's versions change (checked on metadata, without decrypting), so that a
 * flood of requests costs two store reads each, not a key derivation. Thread-safe.
 */
final class JwksApi {
  /** How long verifiers and caches may keep a JWK Set; a new pending key is public this soon. */
  static final int MAX_AGE_SECONDS = 60;

  private static final Logger log = LoggerFactory.getLogger(JwksApi.class);
  private static final int CACHED_SETS = 256;

  private final SecretService service;
  private final RotationStore rotations;
  private final Clock clock;
  private final Map<SecretName, Built> cache =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SecretName, Built> eldest) {
          return size() > CACHED_SETS;
        }
      };

  JwksApi(SecretService service, RotationStore rotations, Clock clock) {
    this.service = requireNonNull(service, "service");
    this.rotations = requireNonNull(rotations, "rotations");
    this.clock = requireNonNull(clock, "clock");
  }

  /** A JWK Set built for one state of a keyring: its versions, stages and fingerprints. */
  private record Built(String state, byte[] document) {}

  /** The answer to every name that publishes nothing. */
  static HttpError.ApiException notPublished() {
    return new HttpError.ApiException(
        404, ErrorCodes.NOT_FOUND, "no JWK Set is published under this name");
  }

  PublicDocument jwks(Exchange ex) {
    Optional<SecretName> parsed = SecretName.parse(ex.pathTail());
    if (parsed.isEmpty()) {
      throw notPublished();
    }
    SecretName name = parsed.get();
    try {
      RotationRule rule =
          rotations
              .rule(name)
              .map(RotationStore.RuleEntry::rule)
              .filter(RotationRule::publishJwks)
              .orElseThrow(JwksApi::notPublished);
      // Versions that live consumers still sign with past their grace stay published.
      List<Version> valid =
          service.describe(name).versions().keyring(clock.instant(), service.holds(name).held());
      String state = rule.generator().spec() + " " + rule.grace() + " " + stateOf(valid);
      synchronized (cache) {
        Built built = cache.get(name);
        if (built != null && built.state().equals(state)) {
          return new PublicDocument(built.document(), MAX_AGE_SECONDS);
        }
      }
      byte[] document = build(name, rule);
      synchronized (cache) {
        cache.put(name, new Built(state, document));
      }
      return new PublicDocument(document, MAX_AGE_SECONDS);
    } catch (HttpError.ApiException e) {
      throw e;
    } catch (RuntimeException e) {
      // Logged for the operator (never a value: the keyring's errors name versions only); the
      // caller sees what any other name gets.
      log.warn("jwks for {} not served: {}", name, SafeFailure.describe(e));
      throw notPublished();
    }
  }

  private byte[] build(SecretName name, RotationRule rule) {
    List<KeyVersion> members = new ArrayList<>();
    List<SecretValue> values = service.keyring(name);
    try {
      for (SecretValue value : values) {
        Version v = value.version();
        String text = new String(value.plaintext().reveal(), StandardCharsets.UTF_8);
        KeyStage stage = KeyStage.of(v.stage().wireName());
        members.add(
            v.type() == ValueType.JSON
                ? KeyVersion.json(v.number(), stage, text)
                : KeyVersion.text(v.number(), stage, text));
      }
    } finally {
      values.forEach(v -> v.plaintext().destroy());
    }
    return JwtKeyring.of(
            name.value(), rule.generator().spec(), rule.grace(), Optional.empty(), members, clock)
        .jwks()
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String stateOf(List<Version> versions) {
    StringBuilder out = new StringBuilder();
    for (Version v : versions) {
      out.append(v.number())
          .append(':')
          .append(v.stage().wireName())
          .append(':')
          .append(v.fingerprint())
          .append(';');
    }
    return out.toString();
  }
}
