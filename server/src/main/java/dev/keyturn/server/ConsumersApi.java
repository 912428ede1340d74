package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ConsumerDeparted;
import dev.keyturn.api.ConsumerHolding;
import dev.keyturn.api.ConsumerInfo;
import dev.keyturn.api.ConsumerListResponse;
import dev.keyturn.api.ConsumerRequest;
import dev.keyturn.core.Consumer;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.spi.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/consumers}: processes that report which versions of which secrets they hold, so that a
 * previous version is not retired while a live one still uses it (docs/api.md, "Consumers"). An id
 * belongs to the token that registered it: another token gets 409, so a development token cannot
 * overwrite a production consumer's holdings. Registrations, changes of what a consumer holds and
 * departures are audited with the change in one transaction; a heartbeat that changes nothing but
 * the time is not audited. A consumer that newly reports a version it could not apply (an agent
 * whose reload or health check failed) is logged and announced through the notifier ({@code
 * delivery.fail}); the status board shows it while the consumer is live. Thread-safe.
 */
final class ConsumersApi {
  private static final Logger log = LoggerFactory.getLogger(ConsumersApi.class);

  /** How long past its ttl a registration is kept before it is purged (its id then free). */
  static final Duration PURGE_AFTER = Duration.ofDays(1);

  /**
   * The most registrations, live or not yet purged, one token may have. Every registration naming a
   * secret is read whenever that secret's keyring, status or retirement is judged, so one read
   * token must not pile them up without end; a token at the limit first loses its own stale ones.
   */
  static final int MAX_PER_TOKEN = 500;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** The most announced failures remembered; then it starts over. */
  static final int MAX_ANNOUNCED = 10_000;

  private final Store store;
  private final SecretService secrets;
  private final Clock clock;
  private final Notifier notifier;

  /**
   * The failures announced (consumer, secret, version), so that a consumer toggling between failed
   * and not, or between two failed versions, does not send a notification per heartbeat.
   */
  private final Set<String> announced = ConcurrentHashMap.newKeySet();

  ConsumersApi(Store store, SecretService secrets, Clock clock, Notifier notifier) {
    this.store = requireNonNull(store, "store");
    this.secrets = requireNonNull(secrets, "secrets");
    this.clock = requireNonNull(clock, "clock");
    this.notifier = requireNonNull(notifier, "notifier");
  }

  /** The secrets a registration names, each a canonical name (a 400 otherwise). */
  static List<SecretName> named(ConsumerRequest body) {
    if (body.secrets() == null || body.secrets().isEmpty()) {
      throw HttpError.badRequest("secrets names at least one secret");
    }
    if (body.secrets().size() > Consumer.MAX_SECRETS) {
      throw HttpError.badRequest("a consumer names at most " + Consumer.MAX_SECRETS + " secrets");
    }
    List<SecretName> names = new ArrayList<>();
    for (ConsumerHolding h : body.secrets()) {
      if (h == null || h.name() == null) {
        throw HttpError.badRequest("every entry of secrets needs a name");
      }
      names.add(
          SecretName.parse(h.name())
              .orElseThrow(() -> HttpError.badRequest("secrets must name canonical secrets")));
    }
    return names;
  }

  /** The secret {@code ?secret=} names (a 400 when it is missing or not canonical). */
  static SecretName listed(Exchange ex) {
    return ex.query("secret")
        .flatMap(SecretName::parse)
        .orElseThrow(() -> HttpError.badRequest("?secret= must name a secret"));
  }

  /** {@code PUT /v1/consumers/{id}}: registers, changes or keeps alive the caller's consumer. */
  ConsumerInfo put(Exchange ex) {
    String id = id(ex);
    ConsumerRequest body = ex.body(ConsumerRequest.class);
    Consumer.Kind kind = Consumer.Kind.fromWire(body.kind() == null ? "" : body.kind());
    if (body.ttlSeconds() == null) {
      throw HttpError.badRequest("ttl_seconds is required (10 to 3600)");
    }
    if (body.name() == null) {
      throw HttpError.badRequest("name is required");
    }
    List<SecretName> names = named(body);
    List<Consumer.Holding> holdings = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      ConsumerHolding h = body.secrets().get(i);
      if (h.using() == null) {
        throw HttpError.badRequest(names.get(i) + ": using is required");
      }
      if (h.accepting() != null && h.accepting().stream().anyMatch(v -> v == null)) {
        throw HttpError.badRequest(names.get(i) + ": accepting holds version numbers");
      }
      if (h.failed() != null && h.failed() < 1) {
        throw HttpError.badRequest(names.get(i) + ": failed is a version number");
      }
      holdings.add(
          new Consumer.Holding(
              names.get(i),
              h.using(),
              h.accepting() == null ? List.of() : h.accepting(),
              h.failed() == null ? 0 : h.failed()));
    }
    String owner = ex.caller.tokenId();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Duration ttl = Duration.ofSeconds(body.ttlSeconds());
    boolean[] quiet = new boolean[1];
    List<Consumer.Holding> before = new ArrayList<>();
    Consumer saved =
        store.inTransaction(work -> {
          Optional<Consumer> old = work.consumers().consumer(id);
          before.clear();
          old.filter(o -> o.liveAt(now)).ifPresent(o -> before.addAll(o.holdings()));
          if (old.isPresent() && !old.get().owner().equals(owner)) {
            throw new KeyturnException.Conflict(
                "consumer " + id + " belongs to another token; choose another id");
          }
          if (old.isEmpty() && work.consumers().owned(owner) >= MAX_PER_TOKEN) {
            // Its stale registrations hold nothing: they make room before the refusal.
            work.consumers().purge(owner, now);
            if (work.consumers().owned(owner) >= MAX_PER_TOKEN) {
              throw new KeyturnException.Conflict(
                  "a token has at most "
                      + MAX_PER_TOKEN
                      + " live consumers; remove some (DELETE /v1/consumers/{id}) or give each"
                      + " host a token of its own");
            }
          }
          Consumer next =
              old.map(o -> o.heartbeat(body.name(), kind, holdings, ttl, now))
                  .orElseGet(
                      () -> new Consumer(id, owner, body.name(), kind, holdings, ttl, now, now));
          work.consumers().save(next);
          if (old.isPresent() && old.get().liveAt(now) && old.get().sameHoldings(next)) {
            quiet[0] = true;
            return next;
          }
          work.consumers().purge(now.minus(PURGE_AFTER));
          ex.detail =
              (old.isPresent() && old.get().liveAt(now) ? "updated" : "registered")
                  + " consumer "
                  + id
                  + " ("
                  + kind.wireName()
                  + ", ttl "
                  + ttl.toSeconds()
                  + "s) holding "
                  + String.join(", ", holdings.stream().map(Consumer.Holding::describe).toList());
          work.audit().append(ex.changeRecords());
          return next;
        });
    if (quiet[0]) {
      ex.unaudited();
    }
    announceFailures(saved, before);
    return info(saved, saved.holdings());
  }

  private boolean exists(SecretName name, int version) {
    try {
      return secrets.describe(name).versions().version(version).isPresent();
    } catch (KeyturnException.NotFound e) {
      return false;
    }
  }

  /** Logs and announces each failure {@code consumer} reports that it did not report before. */
  private void announceFailures(Consumer consumer, List<Consumer.Holding> before) {
    for (Consumer.Holding h : consumer.holdings()) {
      if (h.failed() == 0
          || before.stream()
              .anyMatch(b -> b.secret().equals(h.secret()) && b.failed() == h.failed())) {
        continue;
      }
      // A reader chooses the number: only a version that exists is announced, and each once per
      // consumer, so one read token cannot flood the operator's notification channel.
      if (!exists(h.secret(), h.failed())) {
        continue;
      }
      if (announced.size() >= MAX_ANNOUNCED) {
        announced.clear();
      }
      if (!announced.add(consumer.id() + "\n" + h.secret().value() + "\n" + h.failed())) {
        continue;
      }
      String text =
          h.secret()
              + ": consumer "
              + consumer.id()
              + " ("
              + consumer.kind().wireName()
              + ") could not apply version "
              + h.failed()
              + " and still uses version "
              + h.using();
      log.warn("{}", text);
      notifier.send(
          "delivery.fail",
          h.secret().value(),
          Optional.empty(),
          "failed",
          text,
          Optional.of("consumer " + consumer.id() + " could not apply version " + h.failed()));
    }
  }

  /** {@code DELETE /v1/consumers/{id}}: the caller's consumer departs (200 if it was not there). */
  ConsumerDeparted delete(Exchange ex) {
    String id = id(ex);
    String owner = ex.caller.tokenId();
    boolean removed =
        store.inTransaction(work -> {
          Optional<Consumer> old = work.consumers().consumer(id);
          if (old.isEmpty()) {
            return false;
          }
          if (!old.get().owner().equals(owner)) {
            throw new KeyturnException.Conflict("consumer " + id + " belongs to another token");
          }
          work.consumers().remove(id);
          ex.detail = "consumer " + id + " departed";
          work.audit().append(ex.changeRecords());
          return true;
        });
    return new ConsumerDeparted(id, removed);
  }

  /**
   * {@code GET /v1/consumers?secret=}: the live consumers naming the secret, each with its holding
   * of that secret only (the others may be secrets the caller cannot read).
   */
  ConsumerListResponse list(Exchange ex) {
    SecretName name = listed(ex);
    ex.detail = "secret=" + name;
    List<ConsumerInfo> out = new ArrayList<>();
    for (Consumer c : secrets.consumers(name)) {
      out.add(info(c, List.of(c.holding(name).orElseThrow())));
    }
    return new ConsumerListResponse(name.value(), out);
  }

  private static String id(Exchange ex) {
    String id = ex.pathTail();
    if (!ID.matcher(id).matches()) {
      throw HttpError.badRequest("a consumer id is 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    return id;
  }

  private static ConsumerInfo info(Consumer c, List<Consumer.Holding> holdings) {
    return new ConsumerInfo(
        c.id(),
        c.name(),
        c.kind().wireName(),
        c.owner(),
        holdings.stream()
            .map(h ->
                new ConsumerHolding(
                    h.secret().value(),
                    h.using(),
                    h.accepting(),
                    h.failed() == 0 ? null : h.failed()))
            .toList(),
        (int) c.ttl().toSeconds(),
        c.registeredAt().toString(),
        c.lastSeen().toString(),
        c.expiresAt().toString());
  }
}
