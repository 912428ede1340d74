package dev.keyturn.cli;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.TokenRenewed;
import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.client.KeyturnConflictException;
import dev.keyturn.client.KeyturnUnauthorizedException;
import dev.keyturn.client.internal.WireClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps a long-lived client's own token alive ({@code run --watch}, {@code agent}): it learns the
 * token's expiry ({@code GET /v1/whoami}) and renews it ({@code POST /v1/tokens/self/renew}) when
 * two thirds of the time left have passed, so a token with a lifetime L is renewed every 2L/3. Each
 * renewal is one line in the log, with the new expiry, never the token. A token that does not
 * expire is left alone, silently; one whose creator's expiry stops it ({@code capped}) is renewed
 * no further once it no longer moves, and the log says when it will stop working. A refused token
 * (401) ends the renewals; a server that cannot be reached is tried again with back-off, never
 * later than the time at which the token should have been renewed. Runs on one daemon thread of its
 * own.
 */
final class TokenRenewer implements AutoCloseable {
  static final Duration FIRST_RETRY = Duration.ofSeconds(2);
  static final Duration MAX_RETRY = Duration.ofSeconds(60);

  private final WireClient client;
  private final Consumer<String> log;
  private final Clock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "keyturn-token-renewer");
        t.setDaemon(true);
        return t;
      });
  private Optional<Instant> expires = Optional.empty(); // only touched on the timer thread
  private Duration retry = FIRST_RETRY;

  TokenRenewer(WireClient client, Consumer<String> log, Clock clock) {
    this.client = requireNonNull(client, "client");
    this.log = requireNonNull(log, "log");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Starts following the token: asks for its expiry now, on the renewer's thread. */
  TokenRenewer start() {
    timer.execute(this::learn);
    return this;
  }

  private void learn() {
    WhoAmIResponse who;
    try {
      who = client.whoami();
    } catch (KeyturnUnauthorizedException e) {
      log.accept("the token is refused (" + e.getMessage() + "); not renewing it");
      return;
    } catch (RuntimeException e) {
      again(this::learn, "cannot learn the token's expiry (" + ExitCode.message(e) + ")");
      return;
    }
    retry = FIRST_RETRY;
    if (who.expiresAt() == null) {
      return; // nothing to renew, and nothing worth a line in the log
    }
    expires = Optional.of(Instant.parse(who.expiresAt()));
    scheduleRenewal();
  }

  private void renew() {
    TokenRenewed renewed;
    try {
      renewed = client.renewToken();
    } catch (KeyturnUnauthorizedException e) {
      log.accept("the token is refused (" + e.getMessage() + "); stopped renewing it");
      return;
    } catch (KeyturnConflictException e) {
      log.accept("the token cannot be renewed (" + e.getMessage() + "); stopped renewing it");
      return;
    } catch (RuntimeException e) {
      again(this::renew, "cannot renew the token (" + ExitCode.message(e) + ")");
      return;
    }
    retry = FIRST_RETRY;
    Instant before = expires.orElseThrow();
    Instant after = Instant.parse(renewed.expiresAt());
    expires = Optional.of(after);
    if (renewed.capped() && !after.isAfter(before)) {
      log.accept(
          "the token cannot be renewed past its creator's expiry; it stops working at " + after);
      return;
    }
    log.accept(
        "renewed the token; it now expires at "
            + after
            + (renewed.capped() ? " (its creator's expiry)" : ""));
    scheduleRenewal();
  }

  /** Renews when two thirds of the time left have passed. */
  private void scheduleRenewal() {
    Duration left = Duration.between(clock.instant(), expires.orElseThrow());
    if (left.isNegative() || left.isZero()) {
      log.accept("the token expired at " + expires.get() + "; not renewing it");
      return;
    }
    timer.schedule(
        this::renew, left.multipliedBy(2).dividedBy(3).toMillis(), TimeUnit.MILLISECONDS);
  }

  private void again(Runnable task, String why) {
    Duration wait = retry;
    retry = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
    if (expires.isPresent()) {
      Duration left = Duration.between(clock.instant(), expires.get());
      if (left.isNegative() || left.isZero()) {
        log.accept(why + "; the token expired at " + expires.get() + "; not renewing it");
        return;
      }
      // Never sleep through the expiry: try at least three more times before it.
      Duration third = left.dividedBy(3);
      wait = third.compareTo(wait) < 0 ? third : wait;
    }
    log.accept(why + "; trying again in " + wait.toSeconds() + " s");
    timer.schedule(task, Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
