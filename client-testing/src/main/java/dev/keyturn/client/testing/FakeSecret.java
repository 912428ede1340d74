package dev.keyturn.client.testing;

import dev.keyturn.client.SecretChange;
import dev.keyturn.client.SecretValue;
import dev.keyturn.client.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** One secret of a {@link FakeKeyturn}: its versions, with the server's stage rules. */
final class FakeSecret {
  final String name;
  final List<Version> versions = new ArrayList<>();
  Instant updatedAt = Instant.EPOCH;

  FakeSecret(String name) {
    this.name = name;
  }

  /** One version; its value is kept as UTF-8. */
  static final class Version {
    final int number;
    final byte[] value;
    final boolean json;
    final Instant createdAt;
    Stage stage;
    Instant acceptUntil;

    Version(int number, byte[] value, boolean json, Instant createdAt, Stage stage) {
      this.number = number;
      this.value = value;
      this.json = json;
      this.createdAt = createdAt;
      this.stage = stage;
    }

    SecretValue toValue(String name, boolean withCreatedAt) {
      SecretValue.Builder b = SecretValue.builder(name, number, stage);
      String text = new String(value, StandardCharsets.UTF_8);
      if (json) {
        b.json(text);
      } else {
        b.text(text);
      }
      if (withCreatedAt) {
        b.createdAt(createdAt);
      }
      if (stage == Stage.PREVIOUS && acceptUntil != null) {
        b.acceptUntil(acceptUntil);
      }
      return b.build();
    }
  }

  Optional<Version> current() {
    return versions.stream().filter(v -> v.stage == Stage.CURRENT).findFirst();
  }

  Optional<Version> pending() {
    return versions.stream().filter(v -> v.stage == Stage.PENDING).findFirst();
  }

  Optional<Version> newestPrevious() {
    return versions.stream()
        .filter(v -> v.stage == Stage.PREVIOUS)
        .max(Comparator.comparingInt(v -> v.number));
  }

  Optional<Version> version(int number) {
    return versions.stream().filter(v -> v.number == number).findFirst();
  }

  boolean allRetired() {
    return versions.stream().allMatch(v -> v.stage == Stage.RETIRED);
  }

  /** Pending, current and previous versions, newest first. */
  List<Version> keyring() {
    return versions.stream()
        .filter(v -> v.stage != Stage.RETIRED)
        .sorted(Comparator.comparingInt((Version v) -> v.number).reversed())
        .toList();
  }

  /** Retires previous versions whose grace window has ended at {@code now}. */
  void expire(Instant now) {
    for (Version v : versions) {
      if (v.stage == Stage.PREVIOUS && v.acceptUntil != null && !v.acceptUntil.isAfter(now)) {
        v.stage = Stage.RETIRED;
        v.acceptUntil = null;
      }
    }
  }

  /** Adds a version as the server does; what changed stage goes to {@code changes}. */
  Version add(
      byte[] value,
      boolean json,
      Stage stage,
      Optional<Duration> grace,
      Instant now,
      List<SecretChange> changes) {
    int number = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).number + 1;
    if (stage == Stage.CURRENT) {
      Optional<Version> old = current();
      if (old.isPresent()) {
        Duration g = grace.orElse(Duration.ZERO);
        if (g.isZero()) {
          old.get().stage = Stage.RETIRED;
        } else {
          old.get().stage = Stage.PREVIOUS;
          old.get().acceptUntil = now.plus(g);
        }
        changes.add(new SecretChange(name, old.get().number, old.get().stage, Optional.of(now)));
      }
    }
    Version made = new Version(number, value, json, now, stage);
    versions.add(made);
    updatedAt = now;
    changes.add(0, new SecretChange(name, number, stage, Optional.of(now)));
    return made;
  }
}
